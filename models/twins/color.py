"""Graph twins of the intensity ops ``invert``, ``grayscale`` and ``equalize`` (``edge_runtime.preprocess.color``).

A twin computes on float32, but these numpy ops keep uint8 as uint8 with integer rounding, so
their twins take ``dtype``: the numpy name of the dtype the op receives on the host ("uint8" for a
raw camera frame). On uint8 input every intermediate is an integer below 2^24, so float32 holds it
exactly and the twins are bit-exact; on float input they repeat the numpy op's float32 arithmetic.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess.color import _LUMA, _LUMA_FIXED
from models.backend import tf
from models.twins.registry import register_twin

#: the 256 grey levels of a uint8 image, as a broadcastable float32 row
_LEVELS = np.arange(256, dtype=np.float32)


def _is_uint8(dtype) -> bool:
    return np.dtype(dtype) == np.uint8


@register_twin("invert")
def invert(x, *, maximum=None, dtype="float32"):
    """``maximum - x``; the default maximum is 255 for uint8 input and 1.0 for float input."""
    if maximum is None:
        maximum = 255.0 if _is_uint8(dtype) else 1.0
    return np.float32(maximum) - x


def _channel_mix(x, weights: np.ndarray):
    """(N, H, W, C) @ (C,) -> (N, H, W, 1) as one FULLY_CONNECTED (MatMul) over the pixels."""
    height, width, channels = (int(d) for d in x.shape[1:])
    column = np.zeros((channels, 1), np.float32)
    column[:3, 0] = weights  # an alpha channel gets weight 0: ignored, as the numpy op ignores it
    mixed = tf.matmul(tf.reshape(x, [-1, channels]), column)
    return tf.reshape(mixed, [-1, height, width, 1])


@register_twin("grayscale", piecewise="uint8 rounding, passed straight through")
def grayscale(x, *, dtype="float32"):
    """ITU-R 601 luma; uint8 input with Pillow's fixed point floor((19595 R + 38470 G + 7471 B + 2^15) / 2^16).

    The weighted sums of uint8 input are integers below 2^24, exact in float32 in any order.
    """
    if x.shape[-1] == 1:
        return x
    if _is_uint8(dtype):
        luma = (_channel_mix(x, _LUMA_FIXED.astype(np.float32)) + np.float32(0x8000)) * np.float32(1.0 / 0x10000)
        return straight_through_floor(luma)
    return _channel_mix(x, _LUMA)


def straight_through_floor(y):
    """floor(y) for y >= 0, with the gradient of y (a straight-through estimator, as BPDA uses).

    floor's own gradient is zero, which would hide the frame from a white-box attack. The value is
    exactly floor(y): floor(y) - y is exact in float32 (Sterbenz), so y + (floor(y) - y) is too.
    """
    return y + tf.stop_gradient(tf.floor(y) - y)


@register_twin("equalize", piecewise="a step function of the levels: zero gradient")
def equalize(x):
    """Histogram equalization of uint8 levels (as floats), per image and channel, like ``cv2.equalizeHist``.

    The histogram's cumulative counts are comparisons against the 256 levels summed over the
    pixels (no scatter, no CUMSUM); the lookup is a one-hot product, so every step is an exact
    integer count and the rounding is the numpy op's float32 one. It costs 2 x 256 comparisons
    per pixel: cheap on 28x28, dear on large frames.
    """
    height, width, channels = (int(d) for d in x.shape[1:])
    pixels = height * width
    planes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [-1, channels, pixels, 1])  # (N, C, HW, 1)
    cdf = tf.reduce_sum(tf.cast(planes <= _LEVELS, tf.float32), axis=2)  # (N, C, 256): pixels <= level
    darkest = tf.reduce_min(planes, axis=2)  # (N, C, 1)
    first = tf.reduce_sum(tf.cast(planes <= darkest[:, :, None], tf.float32), axis=2)  # count of the darkest level
    rest = np.float32(pixels) - first
    constant = tf.equal(rest, 0.0)
    scale = np.float32(255.0) / tf.where(constant, tf.ones_like(rest), rest)
    lut = tf.clip_by_value(tf.round((cdf - first) * scale), 0.0, 255.0)
    lut = tf.where(constant, tf.broadcast_to(_LEVELS, tf.shape(lut)), lut)  # a constant image stays as it is
    onehot = tf.cast(tf.equal(planes, _LEVELS), tf.float32)  # (N, C, HW, 256)
    out = tf.reduce_sum(onehot * lut[:, :, None, :], axis=-1)  # (N, C, HW): lut[pixel]
    return tf.transpose(tf.reshape(out, [-1, channels, height, width]), [0, 2, 3, 1])
