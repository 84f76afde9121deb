"""hog: variant "interpolated" equals cv2.HOGDescriptor, variant "skimage" equals skimage.feature.hog."""

import numpy as np
import pytest

from edge_runtime.errors import DataError
from edge_runtime.preprocess import hog as hog_module
from edge_runtime.preprocess.hog import hog
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.preprocess.digits import mnist

cv2 = oracle("cv2")
skimage_hog = oracle("skimage.feature").hog

# OpenCV computes angles with its fast polynomial atan (cartToPolar); the orientation-bin weights
# therefore differ by ~1e-4 of a bin, which moves unit-norm features by at most ~4e-4 (measured).
OPENCV_ATOL = 1e-3
# skimage sums a cell in float32: features agree to float32 rounding.
SKIMAGE_ATOL = 1e-6


def opencv_hog(images, cell, block, orientations):
    """cv2.HOGDescriptor over the top-left window that holds whole blocks, one row per image."""
    h, w = images.shape[1:3]
    side = cell * block
    win = (side + (w - side) // cell * cell, side + (h - side) // cell * cell)
    desc = cv2.HOGDescriptor(win, (side, side), (cell, cell), (cell, cell), orientations)
    rows = [desc.compute(img, (cell, cell), (0, 0), [(0, 0)]).ravel() for img in images]
    return np.stack(rows)


def test_interpolated_equals_opencv_hogdescriptor_on_mnist():
    x = mnist(60)
    ours = hog(x)
    assert ours.shape == (60, 324) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, opencv_hog(x[..., 0], 7, 2, 9), atol=OPENCV_ATOL, rtol=0)


@pytest.mark.parametrize(("shape", "cell", "block", "orientations"), [
    ((30, 37), 6, 2, 9),  # margins right of / below the last block are ignored, as in OpenCV
    ((32, 32), 8, 2, 12),
    ((24, 30), 4, 3, 6),
])
def test_interpolated_equals_opencv_on_other_geometries(shape, cell, block, orientations):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (4, *shape, 1), dtype=np.uint8)
    ours = hog(x, cell=cell, block=block, orientations=orientations)
    np.testing.assert_allclose(ours, opencv_hog(x[..., 0], cell, block, orientations), atol=OPENCV_ATOL, rtol=0)


def test_interpolated_takes_the_strongest_channel_like_opencv():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (3, 28, 28, 3), dtype=np.uint8)
    np.testing.assert_allclose(hog(x), opencv_hog(x, 7, 2, 9), atol=OPENCV_ATOL, rtol=0)


def test_skimage_variant_equals_skimage_feature_hog_on_mnist():
    x = mnist(60)
    ours = hog(x, variant="skimage")
    ref = np.stack([skimage_hog(img[..., 0], 9, (7, 7), (2, 2), block_norm="L2-Hys") for img in x])
    np.testing.assert_allclose(ours, ref, atol=SKIMAGE_ATOL, rtol=0)


@pytest.mark.parametrize(("shape", "cell", "block", "orientations", "dtype"), [
    ((30, 33), 7, 2, 9, np.uint8),  # margin pixels beyond the last whole cell are ignored
    ((28, 28), 7, 2, 7, np.float32),  # 180/7 is not exact: the edge rule by searchsorted
    ((24, 24), 4, 3, 8, np.float64),
])
def test_skimage_variant_on_other_geometries_and_dtypes(shape, cell, block, orientations, dtype):
    rng = np.random.default_rng(3)
    x = (rng.random((3, *shape, 1)) * 255).astype(dtype)
    ours = hog(x, variant="skimage", cell=cell, block=block, orientations=orientations)
    ref = np.stack([skimage_hog(img[..., 0], orientations, (cell, cell), (block, block)) for img in x])
    np.testing.assert_allclose(ours, ref, atol=SKIMAGE_ATOL, rtol=0)


def test_skimage_variant_with_channels_matches_channel_axis():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 256, (2, 28, 28, 3), dtype=np.uint8)
    ref = np.stack([skimage_hog(img, 9, (7, 7), (2, 2), channel_axis=-1) for img in x])
    np.testing.assert_allclose(hog(x, variant="skimage"), ref, atol=SKIMAGE_ATOL, rtol=0)


def test_skimage_variant_drops_an_angle_that_rounds_to_180_degrees_like_skimage():
    """DESIGN.md pitfall: skimage's edge rule 20*i <= o < 20*(i+1) puts o == 180.0 in no bin."""
    img = np.tile(np.arange(28, dtype=np.float64), (28, 1))  # gx = 2 everywhere inside
    img[11, 1] = np.nextafter(1.0, 0.0)  # gy at (10, 1) = -1.1e-16: angle -6e-15 deg, % 180 == 180.0
    assert np.rad2deg(np.arctan2(img[11, 1] - img[9, 1], img[10, 2] - img[10, 0])) % 180 == 180.0
    ours = hog(img[None, :, :, None], variant="skimage")[0]
    np.testing.assert_allclose(ours, skimage_hog(img, 9, (7, 7), (2, 2)), atol=SKIMAGE_ATOL, rtol=0)
    # a float32 angle (or floor(o / 20) wrapped modulo 9) would say bin 8 of cell (1, 0) of block
    # (0, 0), feature 2 * 9 + 8; skimage (and we) leave it exactly zero
    assert ours[2 * 9 + 8] == 0.0
    wrong = img.copy()
    wrong[11, 1], wrong[9, 1] = 1.0, 1.0 + 4e-15  # the same pixel clearly inside bin 8 instead
    assert hog(wrong[None, :, :, None], variant="skimage")[0][2 * 9 + 8] > 0


def test_a_batch_larger_than_a_chunk_equals_image_by_image():
    x = np.concatenate([mnist(60)] * 5)  # 300 > CHUNK images
    assert len(x) > hog_module.CHUNK
    for variant in ("interpolated", "skimage"):  # bit-identical: device (one frame) == training (batch)
        whole = hog(x, variant=variant)
        singles = np.concatenate([hog(img[None], variant=variant) for img in x[::37]])
        np.testing.assert_array_equal(whole[::37], singles)


@pytest.mark.parametrize("variant", ["interpolated", "skimage"])
def test_blank_images_give_zero_features_without_warnings(variant):
    assert not hog(np.zeros((2, 28, 28, 1), np.uint8), variant=variant).any()


def test_an_image_smaller_than_a_block_is_a_data_error():
    with pytest.raises(DataError, match=r"at least 14x14 pixels .*Received: image size 13x28"):
        hog(np.zeros((1, 13, 28, 1), np.uint8))
    with pytest.raises(DataError, match="at least 10x10"):
        hog(np.zeros((1, 9, 9, 1), np.uint8), cell=5)
