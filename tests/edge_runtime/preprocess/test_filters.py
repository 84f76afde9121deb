"""gaussian_blur vs scikit-image, sobel and morphology vs OpenCV, Otsu vs skimage.filters.threshold_otsu."""

import warnings

import numpy as np
import pytest

from edge_runtime.preprocess.filters import gaussian_blur, morphology, otsu_thresholds, sobel, threshold
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.preprocess.digits import mnist

cv2 = oracle("cv2")
gaussian, threshold_otsu = oracle("skimage.filters").gaussian, oracle("skimage.filters").threshold_otsu


@pytest.mark.parametrize("mode", ["nearest", "reflect", "mirror", "constant"])
def test_gaussian_blur_equals_skimage_gaussian(mode):
    x = mnist(10)
    out = gaussian_blur(x, sigma=1.3, mode=mode)
    assert out.dtype == np.float32
    ref = np.stack([gaussian(img[..., 0].astype(np.float64), sigma=1.3, mode=mode, preserve_range=True) for img in x])
    np.testing.assert_allclose(out[..., 0], ref, atol=1e-3, rtol=0)  # float32 taps on 0..255 values


def test_sobel_equals_opencv_sobel_and_magnitude():
    x = mnist(10)
    out = sobel(x, output="all")
    assert out.shape == (10, 28, 28, 3) and out.dtype == np.float32
    gx = np.stack([cv2.Sobel(img[..., 0], cv2.CV_32F, 1, 0, ksize=3) for img in x])
    gy = np.stack([cv2.Sobel(img[..., 0], cv2.CV_32F, 0, 1, ksize=3) for img in x])
    np.testing.assert_array_equal(out[..., 0], gx)  # integer sums: exact
    np.testing.assert_array_equal(out[..., 1], gy)
    np.testing.assert_allclose(out[..., 2], cv2.magnitude(gx, gy), rtol=1e-6, atol=1e-3)
    np.testing.assert_array_equal(sobel(x, output="gy")[..., 0], gy)


def test_otsu_threshold_equals_skimage_on_uint8_digits_exactly():
    x = mnist(40)[..., 0]
    np.testing.assert_array_equal(otsu_thresholds(x.reshape(40, -1)), [threshold_otsu(img) for img in x])


def test_otsu_threshold_equals_skimage_on_float_images():
    x = mnist(20)[..., 0] / 255.0 + np.random.default_rng(0).random((20, 28, 28)) * 1e-3
    ref = np.array([threshold_otsu(img) for img in x])
    np.testing.assert_allclose(otsu_thresholds(x.reshape(20, -1)), ref, atol=1e-12, rtol=0)


def test_threshold_marks_pixels_strictly_above_t():
    x = mnist(6)
    t = np.array([threshold_otsu(img[..., 0]) for img in x])
    np.testing.assert_array_equal(threshold(x), (x > t[:, None, None, None]).astype(np.float32))
    np.testing.assert_array_equal(threshold(x, method="fixed", value=100), (x > 100).astype(np.float32))


def test_otsu_on_a_constant_image_is_its_value_and_gives_zeros_without_warnings():
    x = np.full((2, 8, 8, 1), 42, np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = threshold(x)
        t = otsu_thresholds(x.reshape(2, -1).astype(np.float32))
    assert not out.any()
    np.testing.assert_array_equal(t, [42.0, 42.0])
    assert threshold_otsu(x[0, ..., 0]) == 42


@pytest.mark.parametrize(("operation", "cv_op"), [
    ("erode", cv2.MORPH_ERODE), ("dilate", cv2.MORPH_DILATE), ("open", cv2.MORPH_OPEN), ("close", cv2.MORPH_CLOSE),
])
@pytest.mark.parametrize(("shape", "cv_shape"), [("square", cv2.MORPH_RECT), ("cross", cv2.MORPH_CROSS)])
@pytest.mark.parametrize("size", [3, 5])
def test_morphology_equals_opencv(operation, cv_op, shape, cv_shape, size):
    x = mnist(8)
    out = morphology(x, operation=operation, size=size, footprint=shape)
    assert out.dtype == np.uint8
    kernel = cv2.getStructuringElement(cv_shape, (size, size))
    ref = np.stack([cv2.morphologyEx(img[..., 0], cv_op, kernel) for img in x])
    np.testing.assert_array_equal(out[..., 0], ref)


def test_morphology_on_floats_keeps_the_dtype():
    x = mnist(3).astype(np.float32) / 255
    out = morphology(x, operation="dilate")
    kernel = np.ones((3, 3), np.uint8)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[..., 0], np.stack([cv2.dilate(img[..., 0], kernel) for img in x]))
