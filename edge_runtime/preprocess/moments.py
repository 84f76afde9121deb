"""Moment-based normalization of digits: deskew and center_of_mass.

Both read image moments as ``cv2.moments`` defines them (intensity-weighted, pixel centres at
integer coordinates) with one matmul per batch, and move pixels with a gather from a zero-padded
copy, so there is no Python loop over images or pixels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from edge_runtime.preprocess.registry import check_batch, register_op

#: OpenCV's tutorial threshold: |mu02| below this means "no vertical extent", leave the image alone
MIN_MU02 = 1e-2


@lru_cache(maxsize=32)
def _moment_basis(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns (1, x) over W and rows (1, y, y^2) over H: moments factor into two small products."""
    x, y = np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)
    cols, rows = np.stack([np.ones(w), x], axis=1), np.stack([np.ones(h), y, y * y])
    cols.setflags(write=False)
    rows.setflags(write=False)
    return cols, rows


def _moments(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """(n, H*W) -> (n, 5) raw moments m00, m10, m01, m11, m02 (float64).

    Per row sum_x I and sum_x x I, then (1, y, y^2) weighted sums over rows. Stacked matmuls run
    the same BLAS call per image whatever the batch size, so an image gets bit-identical moments
    alone and in a batch.
    """
    cols, rows = _moment_basis(h, w)
    per_row = np.matmul(img.reshape(-1, h, w).astype(np.float64), cols)  # (n, H, 2)
    m = np.matmul(rows, per_row).reshape(-1, 6)  # (n, [1, y, y^2] x [sum I, sum x I])
    return m[:, :5]  # m00, m10, m01, m11, m02 (the sixth, sum y^2 x I, is unused)


def _skew(m00, m10, m01, m11, m02):
    """mu11 / mu02 per image (0 where |mu02| < MIN_MU02); numpy arrays or Python floats alike.

    The same IEEE double operations in the same order either way, so one frame (floats) and a
    batch (arrays) get identical skews.
    """
    if isinstance(m00, float):
        mass = m00 if m00 > 0 else 1.0
        mu02 = m02 - m01 * m01 / mass
        return 0.0 if abs(mu02) < MIN_MU02 else (m11 - m10 * m01 / mass) / mu02
    mass = np.where(m00 > 0, m00, 1.0)
    mu02 = m02 - m01 * m01 / mass
    flat = np.abs(mu02) < MIN_MU02
    return np.where(flat, 0.0, (m11 - m10 * m01 / mass) / np.where(flat, 1.0, mu02))


@lru_cache(maxsize=32)
def _row_tables(n: int, h: int, w: int):
    """Zero padding per side, the flat positions in the padded (n, H, W + 2 pad) array of the W + 1
    samples each output row reads when its shift is 0, and y - H/2 per row."""
    pad = w + 2  # a sample more than w + 1 pixels away from the row is zero whatever the shift
    rows = (np.arange(n * h) * (w + 2 * pad)).reshape(n, h) + pad
    samples, centred = rows[:, :, None] + np.arange(w + 1), np.arange(h) - h / 2.0
    samples.setflags(write=False)  # cached and shared by every call
    centred.setflags(write=False)
    return pad, samples, centred


@lru_cache(maxsize=32)
def _pixel_basis(h: int, w: int) -> np.ndarray:
    """(H*W, 5) float64 columns 1, x, y, x*y, y^2 per pixel: the five moments in one product."""
    y, x = (a.ravel().astype(np.float64) for a in np.mgrid[0:h, 0:w])
    basis = np.stack([np.ones(h * w), x, y, x * y, y * y], axis=1)
    basis.setflags(write=False)
    return basis


def deskew_frame(img: np.ndarray) -> np.ndarray:
    """One (H, W) uint8 image -> (H, W) float32, bit-identical to its row of ``deskew``, unchecked.

    For the one-frame device path: the moments are one matmul against per-pixel coordinates
    (exact in float64 for uint8 pixels, so equal to the factored sums whatever the order); the
    shear is the batch path's arithmetic on 2-D arrays.
    """
    h, w = img.shape
    m00, m10, m01, m11, m02 = (img.reshape(-1) @ _pixel_basis(h, w)).tolist()
    pad, samples, centred = _row_tables(1, h, w)
    skew = _skew(m00, m10, m01, m11, m02)
    shift = skew * centred
    k = np.floor(shift)
    frac = shift - k  # exact
    if abs(skew) * (h / 2.0) > pad - 1:  # beyond the padding every sample is 0: clamp there
        k = np.clip(k, -pad, pad - 1)
    padded = np.zeros((h, w + 2 * pad), dtype=np.float32)
    padded[:, pad : pad + w] = img
    window = padded.reshape(-1).take(np.add(k[:, None], samples[0], dtype=np.intp, casting="unsafe"))
    left = window[:, :-1]
    out = window[:, 1:] - left
    out *= frac[:, None]
    out += left
    return out


@register_op("deskew", output_shape=lambda shape, **_: tuple(shape),
             cost=lambda shape, **_: 12 * shape[0] * shape[1], compilable=True, differentiable=True, keeps_grid=True)
def deskew(x: np.ndarray) -> np.ndarray:
    """Undo the slant of a digit: the classic MNIST deskew (OpenCV's digits tutorial).

    skew = mu11 / mu02 from the second-order central moments; output pixel (y, x) samples the input
    at (y, x + skew * (y - H/2)) with linear interpolation and zeros outside, i.e.
    ``cv2.warpAffine(img, [[1, skew, -skew*H/2], [0, 1, 0]], WARP_INVERSE_MAP | INTER_LINEAR)``,
    without OpenCV's 1/32-pixel quantization. |mu02| < 1e-2 (blank image) leaves the image as is.
    (N, H, W, 1) real -> float32 in the input's units.
    """
    check_batch(x, "deskew", channels=1)
    n, h, w, _ = x.shape
    flat = x.reshape(n, h * w)
    moments = _moments(flat, h, w)
    pad, samples, centred = _row_tables(n, h, w)
    # each row shifts as a whole by skew * (y - H/2): integer part k, fraction per row
    if n == 1:  # one frame: the scalar part in Python floats (fewer numpy calls, same arithmetic)
        one = _skew(*moments[0].tolist())
        shift, reach = (one * centred)[None, :], abs(one) * (h / 2.0)
    else:
        skew = _skew(*moments.T)
        shift, reach = skew[:, None] * centred, float(np.abs(skew).max()) * (h / 2.0)
    k = np.floor(shift)
    frac = shift - k  # exact
    if reach > pad - 1:  # beyond the padding every sample is 0: clamp there
        k = np.clip(k, -pad, pad - 1)
    padded = np.zeros((n, h, w + 2 * pad), dtype=np.float32)
    padded[:, :, pad : pad + w] = x.reshape(n, h, w)
    window = padded.reshape(-1).take(np.add(k[:, :, None], samples, dtype=np.intp, casting="unsafe"))
    left = window[:, :, :-1]
    out = window[:, :, 1:] - left
    out *= frac[:, :, None]  # float64 fraction, rounded into the float32 result
    out += left
    return out[..., None]


@register_op("center_of_mass", output_shape=lambda shape, **_: tuple(shape),
             cost=lambda shape, **_: 6 * shape[0] * shape[1] * shape[2])
def center_of_mass(x: np.ndarray) -> np.ndarray:
    """Translate each image by whole pixels so its intensity centroid lands on the centre.

    The MNIST recipe (LeCun et al.): shift = round(((H-1)/2, (W-1)/2) - (m01, m10) / m00), rounding
    half to even; channels are summed for the centroid and moved together; vacated pixels are 0;
    a blank (or non-positive total) image is returned unchanged. Equal to ``cv2.warpAffine`` with that integer translation.
    (N, H, W, C) real -> same dtype.
    """
    check_batch(x, "center_of_mass")
    n, h, w, c = x.shape
    mono = x.sum(axis=-1, dtype=np.float64)
    m00, m10, m01 = _moments(mono.reshape(n, h * w), h, w)[:, :3].T
    blank = m00 <= 0
    mass = np.where(blank, 1.0, m00)
    dy = np.clip(np.where(blank, 0, np.rint((h - 1) / 2.0 - m01 / mass)), -h, h).astype(np.intp)
    dx = np.clip(np.where(blank, 0, np.rint((w - 1) / 2.0 - m10 / mass)), -w, w).astype(np.intp)
    padded = np.zeros((n, 3 * h, 3 * w, c), dtype=x.dtype)
    padded[:, h : 2 * h, w : 2 * w] = x
    rows = (np.arange(h)[None, :] - dy[:, None] + h)[:, :, None]  # (n, H, 1)
    cols = (np.arange(w)[None, :] - dx[:, None] + w)[:, None, :]  # (n, 1, W)
    return padded[np.arange(n)[:, None, None], rows, cols]
