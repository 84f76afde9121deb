"""Neighbourhood filters: gaussian_blur, sobel, threshold (fixed and Otsu), morphology.

Every filter works per channel and loops only over kernel taps (never pixels or images).
Dtype contracts: ``gaussian_blur`` and ``sobel`` give float32; ``threshold`` gives float32 in
{0, 1}; ``morphology`` keeps the dtype.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess.registry import (
    check_batch,
    check_choice,
    check_int,
    check_number,
    param_error,
    register_op,
)

_same_shape = lambda shape, **_: tuple(shape)  # noqa: E731
_pixels = lambda shape: int(np.prod(shape))  # noqa: E731


# gaussian blur -----------------------------------------------------------------------------------
#: border modes, named as scipy.ndimage / skimage name them -> numpy.pad modes
BLUR_MODES = {"nearest": "edge", "reflect": "symmetric", "mirror": "reflect", "constant": "constant"}


def _blur_validate(*, sigma=1.0, truncate=4.0, mode="nearest"):
    check_number("gaussian_blur", "sigma", sigma, positive=True)
    check_number("gaussian_blur", "truncate", truncate, positive=True)
    check_choice("gaussian_blur", "mode", mode, tuple(BLUR_MODES))


def gaussian_kernel(sigma: float, truncate: float) -> np.ndarray:
    """scipy.ndimage's 1-D kernel: radius int(truncate * sigma + 0.5), normalized to sum 1."""
    radius = int(truncate * sigma + 0.5)
    taps = np.exp(-0.5 / (sigma * sigma) * np.arange(-radius, radius + 1, dtype=np.float64) ** 2)
    return taps / taps.sum()


def _correlate(padded: np.ndarray, kernel: np.ndarray, axis: int, length: int) -> np.ndarray:
    """Sum of kernel[i] * padded shifted by i along ``axis`` (1 or 2), ``length`` outputs."""
    out = None
    for i, weight in enumerate(kernel):
        view = padded.take(np.arange(i, i + length), axis=axis)
        term = view * np.float32(weight)
        out = term if out is None else out + term
    return out


@register_op("gaussian_blur", output_shape=_same_shape, validate=_blur_validate,
             compilable=True, differentiable=True, keeps_grid=True,
             cost=lambda shape, *, sigma=1.0, truncate=4.0, **_: 4 * (2 * int(truncate * sigma + 0.5) + 1) * _pixels(shape))
def gaussian_blur(x: np.ndarray, *, sigma: float = 1.0, truncate: float = 4.0, mode: str = "nearest") -> np.ndarray:
    """Separable Gaussian blur, equal to ``skimage.filters.gaussian(preserve_range=True)`` /
    ``scipy.ndimage.gaussian_filter`` with the same ``sigma``, ``truncate`` and border ``mode``
    (constant borders are 0). Real (N, H, W, C) -> float32."""
    check_batch(x, "gaussian_blur")
    _blur_validate(sigma=sigma, truncate=truncate, mode=mode)
    kernel = gaussian_kernel(float(sigma), float(truncate))
    r = len(kernel) // 2
    _, h, w, _ = x.shape
    padded = np.pad(x.astype(np.float32), ((0, 0), (r, r), (r, r), (0, 0)), mode=BLUR_MODES[mode])
    rows = _correlate(padded, kernel, 1, h)
    return _correlate(rows, kernel, 2, w).astype(np.float32, copy=False)


# sobel --------------------------------------------------------------------------------------------
SOBEL_OUTPUTS = ("magnitude", "gx", "gy", "all")


def _sobel_validate(*, output="magnitude"):
    check_choice("sobel", "output", output, SOBEL_OUTPUTS)


def sobel_derivatives(p):
    """(gx, gy) of a batch padded by one pixel, as slice sums and differences: numpy arrays or
    TensorFlow tensors alike (the graph twin runs this same arithmetic)."""
    smooth_y = p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]  # (N, H, W+2, C)
    smooth_x = p[:, :, :-2] + 2 * p[:, :, 1:-1] + p[:, :, 2:]  # (N, H+2, W, C)
    return smooth_y[:, :, 2:] - smooth_y[:, :, :-2], smooth_x[:, 2:] - smooth_x[:, :-2]


@register_op("sobel", validate=_sobel_validate, compilable=True, differentiable=True, keeps_grid=True,
             output_shape=lambda shape, *, output="magnitude": (*shape[:-1], shape[-1] * (3 if output == "all" else 1)),
             cost=lambda shape, **_: 14 * _pixels(shape))
def sobel(x: np.ndarray, *, output: str = "magnitude") -> np.ndarray:
    """3x3 Sobel derivatives as ``cv2.Sobel(ddepth=CV_32F, ksize=3)`` with its default reflect-101 border.

    ``output``: "gx" (d/dx), "gy" (d/dy), "magnitude" sqrt(gx^2 + gy^2) (``cv2.magnitude``), or
    "all": per input channel the three of them, channels [c0 gx, c0 gy, c0 mag, c1 gx, ...].
    Real (N, H, W, C) -> float32.
    """
    check_batch(x, "sobel")
    _sobel_validate(output=output)
    p = np.pad(x.astype(np.float32), ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    gx, gy = sobel_derivatives(p)
    if output == "gx":
        return gx
    if output == "gy":
        return gy
    mag = np.sqrt(gx * gx + gy * gy)
    if output == "magnitude":
        return mag
    return np.stack([gx, gy, mag], axis=-1).reshape(*x.shape[:-1], 3 * x.shape[-1])


# threshold ----------------------------------------------------------------------------------------
def _threshold_validate(*, method="otsu", value=None):
    check_choice("threshold", "method", method, ("otsu", "fixed"))
    if method == "fixed":
        if value is None:
            raise param_error("threshold", "value", value, "a number when method='fixed'")
        check_number("threshold", "value", value)
    elif value is not None:
        raise param_error("threshold", "value", value, "no value when method='otsu' (it is computed per image)")


def otsu_thresholds(planes: np.ndarray) -> np.ndarray:
    """Otsu's threshold of each row of ``planes`` (M, pixels), as ``skimage.filters.threshold_otsu``.

    Integers: one bin per level between the row's min and max; floats: 256 equal bins over
    [min, max] with bin centres as candidates. A constant row gets its own value (so nothing is
    strictly above it); no division by zero is evaluated.
    """
    m = len(planes)
    lo, hi = planes.min(axis=1), planes.max(axis=1)
    constant = lo == hi
    if planes.dtype.kind in "ui":
        planes, lo, hi = planes.astype(np.int64), lo.astype(np.int64), hi.astype(np.int64)
        levels = max(int(hi.max() - lo.min()) + 1, 2)  # two bins at least: one threshold candidate
        bins = (planes - lo[:, None]).astype(np.intp)
        centres = lo[:, None].astype(np.int64) + np.arange(levels)[None, :]
    else:
        levels = 256
        span = np.where(constant, 1.0, hi.astype(np.float64) - lo)
        bins = np.minimum(((planes - lo[:, None]) * (levels / span)[:, None]).astype(np.intp), levels - 1)
        edges = lo[:, None] + (np.arange(levels + 1) / levels)[None, :] * span[:, None]
        centres = (edges[:, :-1] + edges[:, 1:]) / 2
    counts = np.bincount((bins + np.arange(m)[:, None] * levels).ravel(), minlength=m * levels)
    counts = counts.reshape(m, levels).astype(np.float32)  # skimage casts counts to float32
    last = levels - 1 - np.argmax(counts[:, ::-1] > 0, axis=1)  # the highest occupied bin
    valid = np.arange(levels - 1)[None, :] < last[:, None]  # both classes non-empty (bin 0 is occupied)
    weight1 = np.cumsum(counts, axis=1)
    weight2 = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    sum1 = np.cumsum(counts * centres, axis=1)
    sum2 = np.cumsum((counts * centres)[:, ::-1], axis=1)[:, ::-1]
    mean1 = sum1 / np.where(weight1 > 0, weight1, 1)
    mean2 = sum2 / np.where(weight2 > 0, weight2, 1)
    variance = weight1[:, :-1] * weight2[:, 1:] * (mean1[:, :-1] - mean2[:, 1:]) ** 2
    variance = np.where(valid, variance, -np.inf)
    best = centres[np.arange(m), np.argmax(variance, axis=1)]
    return np.where(constant, lo, best)


@register_op("threshold", output_shape=_same_shape, validate=_threshold_validate, compilable=True, keeps_grid=True,
             cost=lambda shape, *, method="otsu", **_: _pixels(shape) * (4 if method == "otsu" else 1) + 2048 * shape[-1])
def threshold(x: np.ndarray, *, method: str = "otsu", value: float | None = None) -> np.ndarray:
    """Binarize: 1.0 where x > t, else 0.0 (``cv2.THRESH_BINARY``, skimage's ``image > t``).

    ``method="fixed"`` uses ``value``; ``"otsu"`` computes t per image and channel with
    :func:`otsu_thresholds`. A constant image has t = its value, so the result is all zeros.
    Real (N, H, W, C) -> float32.
    """
    check_batch(x, "threshold")
    _threshold_validate(method=method, value=value)
    if method == "fixed":
        return (x > value).astype(np.float32)
    n, h, w, c = x.shape
    planes = x.transpose(0, 3, 1, 2).reshape(n * c, h * w)
    t = otsu_thresholds(planes).reshape(n, 1, 1, c)
    return (x > t).astype(np.float32)


# morphology ---------------------------------------------------------------------------------------
MORPH_OPS = ("erode", "dilate", "open", "close")


def _morph_validate(*, operation="close", size=3, footprint="square"):
    check_choice("morphology", "operation", operation, MORPH_OPS)
    check_int("morphology", "size", size, 1)
    if size % 2 == 0:
        raise param_error("morphology", "size", size, "an odd integer >= 1")
    check_choice("morphology", "footprint", footprint, ("square", "cross"))


def _extreme(x: np.ndarray, size: int, footprint: str, dilate: bool) -> np.ndarray:
    """Min (erode) or max (dilate) over the footprint; the border never wins (OpenCV's default)."""
    r = size // 2
    if x.dtype.kind == "f":
        fill = -np.inf if dilate else np.inf
    else:
        info = np.iinfo(x.dtype)
        fill = info.min if dilate else info.max
    pick = np.maximum if dilate else np.minimum
    padded = np.pad(x, ((0, 0), (r, r), (r, r), (0, 0)), constant_values=fill)
    h, w = x.shape[1:3]
    vertical = padded[:, 0:h]
    for i in range(1, size):
        vertical = pick(vertical, padded[:, i : i + h])  # (N, H, W + 2r, C)
    if footprint == "square":
        out = vertical[:, :, 0:w]
        for j in range(1, size):
            out = pick(out, vertical[:, :, j : j + w])
        return out
    horizontal = padded[:, r : r + h, 0:w]
    for j in range(1, size):
        horizontal = pick(horizontal, padded[:, r : r + h, j : j + w])
    return pick(vertical[:, :, r : r + w], horizontal)


@register_op("morphology", output_shape=_same_shape, validate=_morph_validate,
             compilable=True, differentiable=True, keeps_grid=True,
             cost=lambda shape, *, operation="close", size=3, **_: (2 if operation in ("open", "close") else 1) * 2 * size * _pixels(shape))
def morphology(x: np.ndarray, *, operation: str = "close", size: int = 3, footprint: str = "square") -> np.ndarray:
    """Grey-level erode / dilate / open (erode then dilate) / close (dilate then erode) with a
    ``size`` x ``size`` square or cross ``footprint``, equal to ``cv2.erode`` / ``cv2.dilate`` /
    ``cv2.morphologyEx`` with ``cv2.getStructuringElement(MORPH_RECT or MORPH_CROSS)`` and OpenCV's
    default border (pixels outside never win). Real (N, H, W, C) -> same dtype."""
    check_batch(x, "morphology")
    _morph_validate(operation=operation, size=size, footprint=footprint)
    steps = {"erode": (False,), "dilate": (True,), "open": (False, True), "close": (True, False)}[operation]
    for dilate in steps:
        x = _extreme(x, size, footprint, dilate)
    return x
