"""Graph twins of the geometry ops ``pad`` and ``center_crop`` (``edge_runtime.preprocess.geometry``).

Both only move pixels, so they are exact. Padding is written as slices and one concatenation per
axis (STRIDED_SLICE + CONCATENATION in TFLite, Slice + Concat in ONNX): XNNPACK takes those,
whereas ONNX's ``Pad`` has no "symmetric" mode and TFLite's MIRROR_PAD no "edge" one.
``resize`` stays on the host: Pillow's antialiased filters widen with the scale factor, which no
builtin resize op reproduces.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess.geometry import PAD_MODES, _crop_shape, _widths
from models.backend import tf
from models.twins.registry import register_twin


def _pad_axis(x, axis: int, before: int, after: int, mode: str, value: float):
    if before == 0 and after == 0:
        return x
    length = x.shape[axis]
    if mode == "constant":
        paddings = [[0, 0]] * 4
        paddings[axis] = [before, after]
        return tf.pad(x, paddings, constant_values=float(value))

    def row(i):
        return x[:, i : i + 1] if axis == 1 else x[:, :, i : i + 1]

    # numpy.pad itself on the row indices says which source row every border row copies (wider
    # borders than the image reflect again, as np.pad does)
    source = np.pad(np.arange(length), (before, after), mode=mode)
    parts = [row(int(i)) for i in source[:before]] + [x] + [row(int(i)) for i in source[before + length :]]
    return tf.concat(parts, axis=axis)


def pad_image(x, top: int, bottom: int, left: int, right: int, mode: str, value: float = 0.0):
    """Pad height and width of (N, H, W, C) like ``np.pad`` in ``mode`` (numpy's mode names)."""
    x = _pad_axis(x, 1, top, bottom, mode, value)
    return _pad_axis(x, 2, left, right, mode, value)


@register_twin("pad")
def pad(x, *, width=2, mode: str = "constant", value: float = 0):
    """``edge_runtime.preprocess.geometry.pad`` (the numpy op validates; this twin follows it exactly)."""
    top, bottom, left, right = _widths(width)
    return pad_image(x, top, bottom, left, right, PAD_MODES[mode], value)


@register_twin("center_crop")
def center_crop(x, *, size=None):
    """The central ``size`` window: a strided slice at the numpy op's offsets."""
    height, width, _ = _crop_shape(tuple(x.shape[1:]), size=size)
    top, left = (x.shape[1] - height) // 2, (x.shape[2] - width) // 2
    return x[:, top : top + height, left : left + width]
