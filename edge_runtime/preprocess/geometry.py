"""Geometry ops: resize (Pillow), center_crop, pad.

Dtype contracts: ``resize`` keeps uint8 with 1, 3 or 4 channels (Pillow's L/RGB/RGBA modes) and
gives float32 otherwise (each channel resized as a Pillow "F" image); ``center_crop`` and ``pad``
keep the dtype.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import DataError, require
from edge_runtime.preprocess.registry import check_batch, check_choice, check_int, param_error, register_op

#: resampling filters by name, as Pillow's ``Image.Resampling`` members
RESAMPLING = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def _size(op: str, size) -> tuple[int, int]:
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise param_error(op, "size", size, "a [height, width] pair of positive integers")
    return check_int(op, "size", size[0]), check_int(op, "size", size[1])


def _resize_validate(*, size=None, resample="bilinear"):
    _size("resize", size)
    check_choice("resize", "resample", resample, RESAMPLING)


@register_op("resize", output_shape=lambda shape, *, size=None, **_: (*_size("resize", size), shape[-1]),
             validate=_resize_validate,
             cost=lambda shape, *, size=None, **_: 16 * int(np.prod(_size("resize", size))) * shape[-1])
def resize(x: np.ndarray, *, size: list | None = None, resample: str = "bilinear") -> np.ndarray:
    """Resize every image to ``size`` = [height, width] with Pillow's named filter (``Image.resize``).

    Pillow's filters widen with the scale factor when shrinking (antialiasing), unlike OpenCV's.
    """
    check_batch(x, "resize")
    _resize_validate(size=size, resample=resample)
    image = require("PIL.Image", "edge", "resize")
    height, width = _size("resize", size)
    method = getattr(image.Resampling, resample.upper())
    if x.dtype == np.uint8 and x.shape[-1] in _MODES:
        mode = _MODES[x.shape[-1]]
        out = [np.asarray(image.fromarray(img if mode != "L" else img[..., 0], mode=mode)
                          .resize((width, height), method)) for img in x]
        return np.stack(out).reshape(len(x), height, width, x.shape[-1])
    planes = x.astype(np.float32).transpose(0, 3, 1, 2)
    out = [np.asarray(image.fromarray(p, mode="F").resize((width, height), method)) for p in planes.reshape(-1, *x.shape[1:3])]
    return np.stack(out).reshape(len(x), x.shape[-1], height, width).transpose(0, 2, 3, 1).copy()


def _crop_validate(*, size=None):
    _size("center_crop", size)


def _crop_shape(shape, *, size=None):
    height, width = _size("center_crop", size)
    if height > shape[0] or width > shape[1]:
        raise DataError(f"center_crop: expected images of at least {height}x{width}. Received: image shape {tuple(shape)}")
    return (height, width, shape[-1])


@register_op("center_crop", output_shape=_crop_shape, validate=_crop_validate, cost=lambda shape, **_: 0,
             compilable=True, differentiable=True)
def center_crop(x: np.ndarray, *, size: list | None = None) -> np.ndarray:
    """The central ``size`` = [height, width] window, top = (H - height) // 2 as Keras' CenterCrop."""
    check_batch(x, "center_crop")
    height, width, _ = _crop_shape(x.shape[1:], size=size)
    top, left = (x.shape[1] - height) // 2, (x.shape[2] - width) // 2
    return x[:, top : top + height, left : left + width].copy()


#: pad modes: ours -> numpy's (OpenCV: CONSTANT, REPLICATE, REFLECT_101, REFLECT)
PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _widths(width) -> tuple[int, int, int, int]:
    if isinstance(width, (list, tuple)) and len(width) == 4:
        return tuple(check_int("pad", "width", w, 0) for w in width)
    if isinstance(width, (list, tuple)):
        raise param_error("pad", "width", width, "an integer >= 0 or [top, bottom, left, right]")
    w = check_int("pad", "width", width, 0)
    return (w, w, w, w)


def _pad_validate(*, width=2, mode="constant", value=0):
    _widths(width)
    check_choice("pad", "mode", mode, tuple(PAD_MODES))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise param_error("pad", "value", value, "a finite number")


def _pad_shape(shape, *, width=2, **_):
    top, bottom, left, right = _widths(width)
    return (shape[0] + top + bottom, shape[1] + left + right, shape[-1])


@register_op("pad", output_shape=_pad_shape, validate=_pad_validate, cost=lambda shape, **_: 0,
             compilable=True, differentiable=True)
def pad(x: np.ndarray, *, width=2, mode: str = "constant", value: float = 0) -> np.ndarray:
    """Pad height and width: ``np.pad`` modes, equal to ``cv2.copyMakeBorder`` CONSTANT / REPLICATE
    ("edge") / REFLECT_101 ("reflect") / REFLECT ("symmetric"). ``width`` is one int or
    [top, bottom, left, right]; ``value`` fills "constant" (cast to the dtype)."""
    check_batch(x, "pad")
    _pad_validate(width=width, mode=mode, value=value)
    top, bottom, left, right = _widths(width)
    if mode in ("reflect", "symmetric") and max(top, bottom) >= x.shape[1] + (mode == "symmetric") or (
        mode in ("reflect", "symmetric") and max(left, right) >= x.shape[2] + (mode == "symmetric")
    ):
        raise DataError(f"pad: {mode} padding must be smaller than the image. Received: width={width} shape={x.shape}")
    extra = {"constant_values": value} if mode == "constant" else {}
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), mode=PAD_MODES[mode], **extra)
