"""Graph twins of the neighbourhood filters (``edge_runtime.preprocess.filters``).

Kernels are fixed, so each filter is written as shifted slices times constants (STRIDED_SLICE,
MUL, ADD: XNNPACK takes them, a 3x3 CONV_2D on one channel it runs slower), repeating the numpy
op's own order of arithmetic. Morphology is a max-pool with SAME padding, whose padded cells never
win, exactly OpenCV's border rule. Otsu's threshold is per image: a 256-bin histogram as
comparisons summed over the pixels, CUMSUM and ARG_MAX.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess.filters import BLUR_MODES, gaussian_kernel, sobel_derivatives
from models.backend import tf
from models.twins.geometry import pad_image
from models.twins.registry import NotCompilable, register_twin
from models.twins.steps import safe_sqrt

#: bins of Otsu's histogram: the 256 uint8 levels, or 256 equal bins over [min, max] for floats
OTSU_BINS = 256


def _correlate(padded, kernel: np.ndarray, axis: int, length: int):
    """Sum of kernel[i] * padded shifted by i along ``axis``, in the numpy op's order."""
    out = None
    for i, weight in enumerate(kernel):
        view = padded[:, i : i + length] if axis == 1 else padded[:, :, i : i + length]
        term = view * np.float32(weight)
        out = term if out is None else out + term
    return out


@register_twin("gaussian_blur")
def gaussian_blur(x, *, sigma: float = 1.0, truncate: float = 4.0, mode: str = "nearest"):
    """Separable Gaussian blur: border padding, then one pass of scaled slices per axis."""
    kernel = gaussian_kernel(float(sigma), float(truncate))
    r = len(kernel) // 2
    height, width = int(x.shape[1]), int(x.shape[2])
    padded = pad_image(x, r, r, r, r, BLUR_MODES[mode])
    return _correlate(_correlate(padded, kernel, 1, height), kernel, 2, width)


@register_twin("sobel", piecewise="the magnitude at a zero gradient (its gradient taken as 0 there)")
def sobel(x, *, output: str = "magnitude"):
    """3x3 Sobel with a reflect-101 border, as slice sums and differences (exact float32 arithmetic)."""
    gx, gy = sobel_derivatives(pad_image(x, 1, 1, 1, 1, "reflect"))
    if output == "gx":
        return gx
    if output == "gy":
        return gy
    mag = safe_sqrt(gx * gx + gy * gy)
    if output == "magnitude":
        return mag
    height, width, channels = (int(d) for d in x.shape[1:])
    return tf.reshape(tf.stack([gx, gy, mag], axis=-1), [-1, height, width, 3 * channels])


@register_twin("threshold", piecewise="a step: zero gradient almost everywhere")
def threshold(x, *, method: str = "otsu", value=None, dtype="float32"):
    """1.0 where x > t else 0.0: t is ``value``, or Otsu's threshold per image and channel.

    The output is a step function: its gradient is zero almost everywhere (not differentiable).
    """
    if method == "fixed":
        return tf.cast(x > np.float32(value), tf.float32)
    return tf.cast(x > otsu(x, dtype=dtype), tf.float32)


def otsu(x, *, dtype="float32"):
    """(N, 1, 1, C) Otsu thresholds of (N, H, W, C), as ``edge_runtime.preprocess.filters.otsu_thresholds``.

    uint8 input: one bin per level 0..255 (the numpy op bins the levels between min and max; the
    empty bins below min only add candidates of variance 0, never chosen). Float input: 256
    equal bins over [min, max], centres as candidates. The class statistics are float32 here,
    float64 in numpy: only a near-tie between two candidates' variances could pick another bin.
    """
    kind = np.dtype(dtype).kind
    if kind in "ui" and np.dtype(dtype) != np.uint8:
        raise NotCompilable(f"threshold: Otsu's graph twin takes uint8 or float input. Received: dtype={dtype!r}")
    height, width, channels = (int(d) for d in x.shape[1:])
    planes = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [-1, channels, height * width, 1])  # (N, C, HW, 1)
    lo, hi = tf.reduce_min(planes, axis=2), tf.reduce_max(planes, axis=2)  # (N, C, 1)
    constant = tf.equal(lo, hi)
    k = np.arange(OTSU_BINS, dtype=np.float32)
    if kind == "u":
        bins, centres = planes, tf.broadcast_to(k, tf.shape(lo * k))
    else:
        span = tf.where(constant, tf.ones_like(hi), hi - lo)
        bins = tf.minimum(tf.floor((planes - lo[:, :, None]) * (OTSU_BINS / span)[:, :, None]), OTSU_BINS - 1)
        edges = lo + np.arange(OTSU_BINS + 1, dtype=np.float32) / OTSU_BINS * span
        centres = (edges[:, :, :-1] + edges[:, :, 1:]) / 2
    counts = tf.reduce_sum(tf.cast(tf.equal(bins, k), tf.float32), axis=2)  # (N, C, bins)
    weight1 = tf.cumsum(counts, axis=-1)
    sum1 = tf.cumsum(counts * centres, axis=-1)
    above = weight1[:, :, -1:] - weight1  # pixels in bins > k
    sum_above = sum1[:, :, -1:] - sum1
    mean1 = sum1 / tf.maximum(weight1, 1.0)
    mean2 = sum_above / tf.maximum(above, 1.0)
    variance = weight1 * above * tf.square(mean1 - mean2)
    variance = tf.where(above > 0, variance, -tf.ones_like(variance))  # both classes non-empty
    best = tf.reduce_sum(tf.one_hot(tf.argmax(variance, axis=-1), OTSU_BINS) * centres, axis=-1, keepdims=True)
    t = tf.where(constant, lo, best)  # a constant image: its own value, nothing above it
    return tf.reshape(tf.transpose(t, [0, 2, 1]), [-1, 1, 1, channels])


def _pool(x, rows: int, cols: int, dilate: bool):
    """Max (dilate) or min (erode, as -max(-x)) over a rows x cols window; padded cells never win."""
    if dilate:
        return tf.nn.max_pool2d(x, [rows, cols], 1, "SAME")
    return -tf.nn.max_pool2d(-x, [rows, cols], 1, "SAME")


def _extreme(x, size: int, footprint: str, dilate: bool):
    if footprint == "square":
        return _pool(x, size, size, dilate)
    vertical, horizontal = _pool(x, size, 1, dilate), _pool(x, 1, size, dilate)
    return tf.maximum(vertical, horizontal) if dilate else tf.minimum(vertical, horizontal)


@register_twin("morphology", piecewise="the min/max over the footprint (gradient to the extreme pixel only)")
def morphology(x, *, operation: str = "close", size: int = 3, footprint: str = "square"):
    """Erode / dilate / open / close as SAME max-pools (MAX_POOL_2D, ONNX MaxPool): exact.

    Differentiable piecewise, as a max-pool is: the gradient flows to the window's extreme pixel.
    """
    steps = {"erode": (False,), "dilate": (True,), "open": (False, True), "close": (True, False)}[operation]
    for dilate in steps:
        x = _extreme(x, size, footprint, dilate)
    return x
