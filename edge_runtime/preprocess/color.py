"""Intensity ops: grayscale (ITU-R 601), invert, histogram equalization.

Dtype contracts: ``grayscale`` and ``invert`` keep uint8 as uint8 (bit-exact with Pillow) and turn
any other real dtype into float32; ``equalize`` takes uint8 only (it is defined on 256 levels;
apply it before ``scale``) and returns uint8.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import DataError
from edge_runtime.preprocess.registry import check_batch, check_number, register_op

#: Pillow's fixed-point ITU-R 601-2 luma: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16
_LUMA_FIXED = np.array([19595, 38470, 7471], dtype=np.int64)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _gray_shape(shape, **_):
    return (*shape[:-1], 1)


@register_op("grayscale", output_shape=_gray_shape, compilable=True, differentiable=True, keeps_grid=True,
             cost=lambda shape, **_: 5 * shape[0] * shape[1])
def grayscale(x: np.ndarray) -> np.ndarray:
    """RGB(A) to luma L = 0.299 R + 0.587 G + 0.114 B, as ``PIL.Image.convert("L")``.

    (N, H, W, 3 or 4) -> (N, H, W, 1); alpha is ignored, one channel passes through unchanged.
    uint8 uses Pillow's fixed-point rounding (bit-exact); other dtypes give float32.
    """
    check_batch(x, "grayscale", channels=(1, 3, 4))
    if x.shape[-1] == 1:
        return x
    rgb = x[..., :3]
    if x.dtype == np.uint8:
        return (((rgb @ _LUMA_FIXED) + 0x8000) >> 16).astype(np.uint8)[..., None]
    return (rgb.astype(np.float32) @ _LUMA)[..., None]


def _invert_validate(*, maximum=None):
    if maximum is not None:
        check_number("invert", "maximum", maximum, positive=True)


@register_op("invert", output_shape=lambda shape, **_: tuple(shape), validate=_invert_validate,
             compilable=True, differentiable=True, keeps_grid=True, pixelwise=True,
             cost=lambda shape, **_: int(np.prod(shape)))
def invert(x: np.ndarray, *, maximum: float | None = None) -> np.ndarray:
    """``maximum - x`` (dark ink on light paper to MNIST's light on dark), as ``PIL.ImageOps.invert``.

    ``maximum`` defaults to 255 for uint8 (result uint8) and 1.0 for floats (result float32).
    """
    check_batch(x, "invert")
    _invert_validate(maximum=maximum)
    if x.dtype == np.uint8 and maximum in (None, 255):
        return 255 - x
    top = np.float32(1.0 if maximum is None else maximum)
    return top - x.astype(np.float32)


@register_op("equalize", output_shape=lambda shape, **_: tuple(shape), compilable=True, keeps_grid=True,
             cost=lambda shape, **_: 3 * int(np.prod(shape)) + 2 * 256 * shape[-1])
def equalize(x: np.ndarray) -> np.ndarray:
    """Histogram equalization of each image and channel, equal to ``cv2.equalizeHist``.

    uint8 (N, H, W, C) -> uint8. lut[v] = round((cdf[v] - cdf[min]) * 255 / (pixels - cdf[min]))
    in float32, as OpenCV computes it. A constant image (one level) is returned unchanged, as
    OpenCV does; no division by zero happens.
    """
    check_batch(x, "equalize")
    if x.dtype != np.uint8:
        raise DataError(
            f"equalize: expected uint8 images (256 levels); apply it before scale. "
            f"Received: shape={x.shape} dtype={x.dtype}"
        )
    n, h, w, c = x.shape
    planes = x.transpose(0, 3, 1, 2).reshape(n * c, h * w)
    keys = planes + (np.arange(n * c) * 256)[:, None]
    hist = np.bincount(keys.ravel(), minlength=n * c * 256).reshape(n * c, 256)
    cdf = np.cumsum(hist, axis=1)
    first = cdf[np.arange(n * c), np.argmax(hist > 0, axis=1)]  # count of the darkest level
    rest = (h * w - first).astype(np.float32)
    constant = rest == 0
    scale = np.float32(255.0) / np.where(constant, np.float32(1.0), rest)
    lut = np.rint((cdf - first[:, None]).astype(np.float32) * scale[:, None])
    lut = np.where(constant[:, None], np.arange(256, dtype=np.float32), np.clip(lut, 0, 255)).astype(np.uint8)
    out = lut.reshape(-1)[keys]
    return out.reshape(n, c, h, w).transpose(0, 2, 3, 1).copy()
