"""grayscale and invert against Pillow, equalize against cv2.equalizeHist (all bit-exact on uint8)."""

import warnings

import numpy as np
import pytest
from PIL import Image, ImageOps

from edge_runtime.errors import DataError
from edge_runtime.preprocess.color import equalize, grayscale, invert
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.preprocess.digits import mnist

cv2 = oracle("cv2")


def test_grayscale_uint8_equals_pillow_convert_L_exactly():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (4, 9, 11, 3), dtype=np.uint8)
    ref = np.stack([np.asarray(Image.fromarray(img).convert("L")) for img in rgb])
    out = grayscale(rgb)
    assert out.dtype == np.uint8 and out.shape == (4, 9, 11, 1)
    np.testing.assert_array_equal(out[..., 0], ref)
    rgba = np.concatenate([rgb, np.full((4, 9, 11, 1), 7, np.uint8)], axis=-1)  # alpha is ignored
    np.testing.assert_array_equal(grayscale(rgba), out)


def test_grayscale_float_uses_itu_r_601_weights_and_passes_gray_through():
    x = np.random.default_rng(1).random((2, 5, 5, 3)).astype(np.float32)
    ref = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    np.testing.assert_allclose(grayscale(x)[..., 0], ref, atol=1e-6)
    gray = mnist(2)
    assert grayscale(gray) is gray


def test_invert_equals_pillow_imageops_invert_and_floats_flip_in_unit_range():
    x = mnist(5)
    ref = np.stack([np.asarray(ImageOps.invert(Image.fromarray(img[..., 0]))) for img in x])
    np.testing.assert_array_equal(invert(x)[..., 0], ref)
    f = np.array([0.0, 0.25, 1.0], np.float32).reshape(1, 1, 3, 1)
    np.testing.assert_array_equal(invert(f).ravel(), [1.0, 0.75, 0.0])
    np.testing.assert_array_equal(invert(f, maximum=2.0).ravel(), [2.0, 1.75, 1.0])


def test_equalize_equals_opencv_equalizehist_on_digits_and_noise():
    x = np.concatenate([mnist(30), np.random.default_rng(2).integers(0, 256, (5, 28, 28, 1), dtype=np.uint8)])
    ref = np.stack([cv2.equalizeHist(img[..., 0]) for img in x])
    out = equalize(x)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[..., 0], ref)


def test_equalize_works_per_channel():
    x = np.random.default_rng(3).integers(0, 200, (2, 16, 16, 3), dtype=np.uint8)
    out = equalize(x)
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], np.stack([cv2.equalizeHist(img[..., c]) for img in x]))


def test_equalize_leaves_a_constant_image_unchanged_without_warnings():
    x = np.full((2, 8, 8, 1), 93, np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = equalize(x)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(out[0, ..., 0], cv2.equalizeHist(x[0, ..., 0]))


def test_equalize_refuses_float_images():
    with pytest.raises(DataError, match=r"equalize: expected uint8 .*dtype=float32"):
        equalize(np.zeros((1, 4, 4, 1), np.float32))
