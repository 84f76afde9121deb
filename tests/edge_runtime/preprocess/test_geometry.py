"""resize against Pillow, pad against cv2.copyMakeBorder, center_crop against Keras' offsets."""

import numpy as np
import pytest
from PIL import Image

from edge_runtime.errors import DataError
from edge_runtime.preprocess.geometry import center_crop, pad, resize
from tests.edge_runtime.oracles import oracle

cv2 = oracle("cv2")


@pytest.mark.parametrize("resample", ["nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"])
def test_resize_uint8_gray_and_rgb_equal_pillow(resample):
    rng = np.random.default_rng(0)
    method = getattr(Image.Resampling, resample.upper())
    for channels in (1, 3):
        x = rng.integers(0, 256, (2, 20, 24, channels), dtype=np.uint8)
        out = resize(x, size=[9, 13], resample=resample)
        assert out.shape == (2, 9, 13, channels) and out.dtype == np.uint8
        for img, got in zip(x, out, strict=True):
            src = Image.fromarray(img[..., 0] if channels == 1 else img)
            ref = np.asarray(src.resize((13, 9), method)).reshape(9, 13, channels)
            np.testing.assert_array_equal(got, ref)


def test_resize_float_resizes_each_channel_as_a_pillow_F_image():
    x = np.random.default_rng(1).random((1, 10, 10, 2)).astype(np.float32)
    out = resize(x, size=[5, 20])
    assert out.dtype == np.float32 and out.shape == (1, 5, 20, 2)
    for c in range(2):
        ref = np.asarray(Image.fromarray(x[0, ..., c], mode="F").resize((20, 5), Image.Resampling.BILINEAR))
        np.testing.assert_array_equal(out[0, ..., c], ref)


@pytest.mark.parametrize(("mode", "border"), [
    ("constant", cv2.BORDER_CONSTANT), ("edge", cv2.BORDER_REPLICATE),
    ("reflect", cv2.BORDER_REFLECT_101), ("symmetric", cv2.BORDER_REFLECT),
])
def test_pad_equals_opencv_copymakeborder(mode, border):
    x = np.random.default_rng(2).integers(0, 256, (2, 6, 7, 1), dtype=np.uint8)
    out = pad(x, width=[1, 2, 3, 4], mode=mode, value=9)
    for img, got in zip(x, out, strict=True):
        ref = cv2.copyMakeBorder(img[..., 0], 1, 2, 3, 4, border, value=9)
        np.testing.assert_array_equal(got[..., 0], ref)


def test_pad_wider_than_the_image_with_reflect_is_a_data_error():
    with pytest.raises(DataError, match="reflect padding must be smaller"):
        pad(np.zeros((1, 3, 3, 1)), width=3, mode="reflect")


def test_center_crop_takes_the_keras_centercrop_window():
    x = np.arange(7 * 8).reshape(1, 7, 8, 1)
    out = center_crop(x, size=[4, 5])
    np.testing.assert_array_equal(out[0, ..., 0], x[0, 1:5, 1:6, 0])  # (7-4)//2 = 1, (8-5)//2 = 1
    with pytest.raises(DataError, match="at least 8x5"):
        center_crop(x, size=[8, 5])
