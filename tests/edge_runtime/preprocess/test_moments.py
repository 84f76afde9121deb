"""deskew and center_of_mass against OpenCV (moments + warpAffine) and scikit-image (exact warp)."""

import numpy as np

from edge_runtime.preprocess.moments import _moments, center_of_mass, deskew
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.preprocess.digits import mnist

cv2 = oracle("cv2")
AffineTransform, warp = oracle("skimage.transform").AffineTransform, oracle("skimage.transform").warp


def opencv_deskew(img):
    """OpenCV's digits tutorial (samples/python/digits.py)."""
    m = cv2.moments(img)
    if abs(m["mu02"]) < 1e-2:
        return img.copy()
    skew = m["mu11"] / m["mu02"]
    matrix = np.float32([[1, skew, -0.5 * img.shape[0] * skew], [0, 1, 0]])
    return cv2.warpAffine(img, matrix, img.shape[::-1], flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def test_moments_equal_opencv_central_moments():
    x = mnist(20)[..., 0]
    m00, m10, m01, m11, m02 = _moments(x.reshape(20, -1), 28, 28).T
    ref = [cv2.moments(img) for img in x]
    np.testing.assert_allclose(m11 - m10 * m01 / m00, [r["mu11"] for r in ref], rtol=1e-9)
    np.testing.assert_allclose(m02 - m01 * m01 / m00, [r["mu02"] for r in ref], rtol=1e-9)


def test_deskew_equals_an_exact_bilinear_shear_from_skimage():
    x = mnist(40)
    ours = deskew(x)
    assert ours.dtype == np.float32 and ours.shape == x.shape
    for img, got in zip(x[..., 0], ours[..., 0], strict=True):
        m = cv2.moments(img)
        skew = m["mu11"] / m["mu02"]
        shear = AffineTransform(matrix=np.array([[1, skew, -14 * skew], [0, 1, 0], [0, 0, 1]]))
        ref = warp(img.astype(np.float64), shear, order=1, mode="constant", cval=0, preserve_range=True)
        np.testing.assert_allclose(got, ref, atol=1e-3, rtol=0)  # float32 arithmetic on 0..255


def test_deskew_matches_the_opencv_deskew_up_to_its_coordinate_quantization():
    # warpAffine rounds source coordinates to 1/32 pixel, so a pixel between an ink value of 255 and
    # 0 may differ by up to 255/64 = 4 levels plus uint8 rounding; on average far less.
    x = mnist(60)
    ours = deskew(x)[..., 0]
    ref = np.stack([opencv_deskew(img) for img in x[..., 0]]).astype(np.float32)
    diff = np.abs(ours - ref)
    assert diff.max() <= 255 / 64 + 0.5
    assert diff.mean() < 0.25


def test_deskew_leaves_a_blank_or_flat_image_alone():
    blank = np.zeros((1, 28, 28, 1), np.uint8)
    np.testing.assert_array_equal(deskew(blank), blank.astype(np.float32))
    line = np.zeros((1, 28, 28, 1), np.uint8)
    line[0, 10, 3:20] = 200  # one row: mu02 == 0
    np.testing.assert_array_equal(deskew(line), line.astype(np.float32))


def test_deskew_removes_the_slant_of_a_sheared_bar():
    bar = np.zeros((28, 28), np.float32)
    for y in range(4, 24):
        bar[y, 12 + (y - 14) // 3 : 15 + (y - 14) // 3] = 255  # leaning right going down
    straight = deskew(bar[None, :, :, None])[0, :, :, 0]
    m = cv2.moments(straight)
    assert abs(m["mu11"] / m["mu02"]) < 0.02 < abs(cv2.moments(bar)["mu11"] / cv2.moments(bar)["mu02"])


def test_deskew_of_one_frame_equals_its_row_in_a_batch_bit_for_bit():
    x = mnist(30)
    batch = deskew(x)
    np.testing.assert_array_equal(np.concatenate([deskew(img[None]) for img in x]), batch)
    np.testing.assert_array_equal(deskew(x.astype(np.float32)), batch)


def test_center_of_mass_equals_opencv_integer_translation():
    rng = np.random.default_rng(5)
    x = np.zeros((12, 28, 28, 1), np.uint8)
    for img in x:  # blobs placed off-centre
        y0, x0 = rng.integers(0, 18, 2)
        img[y0 : y0 + 8, x0 : x0 + 6, 0] = rng.integers(1, 256, (8, 6))
    ours = center_of_mass(x)
    assert ours.dtype == np.uint8
    for img, got in zip(x[..., 0], ours[..., 0], strict=True):
        m = cv2.moments(img)
        dx, dy = np.rint(13.5 - m["m10"] / m["m00"]), np.rint(13.5 - m["m01"] / m["m00"])
        ref = cv2.warpAffine(img, np.float32([[1, 0, dx], [0, 1, dy]]), (28, 28), flags=cv2.INTER_NEAREST)
        np.testing.assert_array_equal(got, ref)


def test_center_of_mass_moves_channels_together_and_leaves_blank_images():
    x = np.zeros((2, 10, 10, 3), np.float32)
    x[0, 0:2, 0:2] = [1.0, 2.0, 3.0]
    out = center_of_mass(x)
    np.testing.assert_array_equal(out[0, 4:6, 4:6], x[0, 0:2, 0:2])
    np.testing.assert_array_equal(out[1], x[1])
