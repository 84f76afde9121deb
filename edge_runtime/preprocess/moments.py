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
def _moment_basis(h: int, w: int) -> np.ndarray:
    """(5, H*W) rows 1, x, y, x*y, y*y for the raw moments m00, m10, m01, m11, m02."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.stack([np.ones_like(x), x, y, x * y, y * y]).reshape(5, h * w)


def _moments(img: np.ndarray) -> np.ndarray:
    """(n, H, W) -> (n, 5) raw moments m00, m10, m01, m11, m02 (float64).

    A broadcast product summed along the contiguous last axis (not a matmul, whose BLAS kernel
    may change with the batch size): an image gets bit-identical moments alone and in a batch.
    """
    n, h, w = img.shape
    return (img.reshape(n, 1, h * w).astype(np.float64) * _moment_basis(h, w)).sum(axis=-1)


@lru_cache(maxsize=32)
def _row_tables(h: int, w: int):
    pad = w + 2  # a sample more than w + 1 pixels away from the row is zero whatever the shift
    cols = np.arange(w)[:, None] + np.arange(2)[None, :]  # (W, 2): the two bilinear neighbours
    return pad, cols, np.arange(h) - h / 2.0


@register_op("deskew", output_shape=lambda shape, **_: tuple(shape),
             cost=lambda shape, **_: 12 * shape[0] * shape[1])
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
    img = x.reshape(n, h, w).astype(np.float32, copy=False)
    m00, m10, m01, m11, m02 = _moments(img).T
    mass = np.where(m00 > 0, m00, 1.0)
    mu11 = m11 - m10 * m01 / mass
    mu02 = m02 - m01 * m01 / mass
    flat = np.abs(mu02) < MIN_MU02
    skew = np.where(flat, 0.0, mu11 / np.where(flat, 1.0, mu02))
    # each row shifts as a whole: integer part k and fraction f are per row
    pad, cols, centred = _row_tables(h, w)
    shift = skew[:, None] * centred[None, :]  # (n, H)
    k = np.floor(shift)
    f = (shift - k).astype(np.float32)
    start = np.clip(k, -pad, pad - 1).astype(np.intp) + pad + (np.arange(n * h) * (w + 2 * pad)).reshape(n, h)
    padded = np.zeros((n, h, w + 2 * pad), dtype=np.float32)
    padded[:, :, pad : pad + w] = img
    both = padded.reshape(-1)[start[:, :, None, None] + cols]  # (n, H, W, 2)
    weights = np.stack([1.0 - f, f], axis=-1)[:, :, None, :]  # (n, H, 1, 2)
    return (both * weights).sum(axis=-1, dtype=np.float32)[..., None]


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
    m00, m10, m01 = _moments(mono)[:, :3].T
    blank = m00 <= 0
    mass = np.where(blank, 1.0, m00)
    dy = np.clip(np.where(blank, 0, np.rint((h - 1) / 2.0 - m01 / mass)), -h, h).astype(np.intp)
    dx = np.clip(np.where(blank, 0, np.rint((w - 1) / 2.0 - m10 / mass)), -w, w).astype(np.intp)
    padded = np.zeros((n, 3 * h, 3 * w, c), dtype=x.dtype)
    padded[:, h : 2 * h, w : 2 * w] = x
    rows = (np.arange(h)[None, :] - dy[:, None] + h)[:, :, None]  # (n, H, 1)
    cols = (np.arange(w)[None, :] - dx[:, None] + w)[:, None, :]  # (n, 1, W)
    return padded[np.arange(n)[:, None, None], rows, cols]
