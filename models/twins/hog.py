"""Graph twin of ``hog``, both variants, from ops XNNPACK delegates.

Per pixel: central differences (slice, subtract, pad), magnitude, and the unsigned orientation
from a polynomial atan with octant folding (no ATAN2). Orientation bins are weight planes
(N, bins, H, W): circular tents for "interpolated" (OpenCV's bilinear bin interpolation), hard
bins by skimage's edge rule for "skimage". Spatial pooling is the numpy op's own separable tables
as two FULLY_CONNECTED products (OpenCV's Gaussian x bilinear block window; skimage's cell sums),
then L2-Hys per block. The magnitude is sqrt(s + 1e-30) - 1e-15 and the block norm sqrt(s + 1e-30)
so their gradients stay finite at zero (FGSM through the twin); in float32 the values are
unchanged (exactly 0 for a zero gradient, sqrt(s) for any s above 1e-20).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess.hog import _grid, _interpolated_tables
from models.backend import tf
from models.twins.registry import NotCompilable, register_twin
from models.twins.steps import (
    _TINY,
    central_differences,
    matmul_last,
    positive,
    safe_sqrt,
    unsigned_orientation,
)


def _at_least(z):
    """1.0 where z >= 0, else 0.0."""
    return 1.0 - positive(-z)


def _magnitude_and_bins(x, orientations: int):
    """(N, 1, H, W) gradient magnitude and (N, 1, H, W) orientation in bin units [0, bins)."""
    h, w = int(x.shape[1]), int(x.shape[2])
    gy, gx = central_differences(tf.reshape(x, [-1, h, w]))
    mag = safe_sqrt(gy * gy + gx * gx)
    u = unsigned_orientation(gy, gx) * np.float32(orientations)
    return tf.reshape(mag, [-1, 1, h, w]), tf.reshape(u, [-1, 1, h, w])


def _l2hys(v, eps1, eps2, *, squared: bool):
    """The numpy op's L2-Hys on the last axis: normalize, clip at 0.2, normalize again."""
    def norm(t, eps):
        ss = tf.reduce_sum(t * t, axis=-1, keepdims=True)
        return tf.sqrt(ss + np.float32(eps)) if squared else tf.sqrt(ss + _TINY) + np.float32(eps)

    v = v / norm(v, eps1)
    v = tf.minimum(v, 0.2)
    return v / norm(v, eps2)


def _interpolated(x, cell: int, block: int, orientations: int):
    h, w = int(x.shape[1]), int(x.shape[2])
    nby, nbx = _grid(h, w, cell, block)
    ax, ay, _, _ = _interpolated_tables(h, w, cell, block, orientations)
    mag, u = _magnitude_and_bins(x, orientations)
    # tents on bins + 2 centres (-0.5 and bins + 0.5 are the wrap-around neighbours of the last and
    # first bin), folded back after pooling: pooling is linear, and the fold is a tiny matmul there
    planes = orientations + 2
    centres = (np.arange(planes, dtype=np.float32) - 0.5).reshape(1, -1, 1, 1)
    tents = tf.nn.relu(1.0 - tf.abs(u - centres))  # (N, bins + 2, H, W)
    pooled = matmul_last(tents * mag, ax)  # (N, planes, H, X)
    pooled = matmul_last(tf.transpose(pooled, [0, 1, 3, 2]), ay)  # (N, planes, X, Y)
    # X = (bx, cx), Y = (by, cy); OpenCV orders (bx, by, cx, cy, bin)
    pooled = tf.reshape(pooled, [-1, planes, nbx, block, nby, block])
    fold = np.zeros((planes, orientations), np.float32)
    fold[np.arange(1, planes - 1), np.arange(orientations)] = 1.0
    fold[0, orientations - 1] = fold[planes - 1, 0] = 1.0
    size = block * block * orientations
    blocks = tf.reshape(matmul_last(tf.transpose(pooled, [0, 2, 4, 3, 5, 1]), fold), [-1, nbx * nby, size])
    return tf.reshape(_l2hys(blocks, 0.1 * size, 1e-3, squared=False), [-1, nbx * nby * size])


def _cell_table(size: int, cell: int) -> np.ndarray:
    """(size, cells) 0/1: pixel i belongs to whole cell i // cell (the margin belongs to none)."""
    cells = size // cell
    table = np.zeros((size, cells), np.float32)
    table[np.arange(cells * cell), np.arange(cells * cell) // cell] = 1.0
    return table


def _skimage(x, cell: int, block: int, orientations: int):
    h, w = int(x.shape[1]), int(x.shape[2])
    nby, nbx = _grid(h, w, cell, block)
    mag, u = _magnitude_and_bins(x, orientations)
    edges = np.arange(orientations + 1, dtype=np.float32).reshape(1, -1, 1, 1)
    above = _at_least(u - edges)  # (N, bins + 1, H, W): u >= edge i
    hard = above[:, :-1] - above[:, 1:]  # edge_i <= u < edge_(i+1)
    cells = matmul_last(hard * mag, _cell_table(w, cell))  # (N, bins, H, CX)
    cells = matmul_last(tf.transpose(cells, [0, 1, 3, 2]), _cell_table(h, cell))  # (N, bins, CX, CY)
    cells = tf.transpose(cells, [0, 3, 2, 1]) * np.float32(1.0 / (cell * cell))  # (N, CY, CX, bins)
    parts = [cells[:, r : r + nby, c : c + nbx, :] for r in range(block) for c in range(block)]
    size = block * block * orientations
    blocks = tf.reshape(tf.stack(parts, axis=3), [-1, nby * nbx, size])  # (by, bx, r, c, bin)
    return tf.reshape(_l2hys(blocks, 1e-10, 1e-10, squared=True), [-1, nby * nbx * size])


_VARIANTS = {"interpolated": _interpolated, "skimage": _skimage}


@register_twin("hog", piecewise="orientation binning (a bin edge: a jump for skimage, a kink interpolated) and zero gradient magnitude")
def hog(x, *, variant: str = "interpolated", cell: int = 7, block: int = 2, orientations: int = 9):
    """The numpy ``hog`` in graph ops: (N, H, W, 1) float32 -> (N, features) float32.

    Differentiable almost everywhere; piecewise where a pixel's orientation crosses a bin edge
    (skimage: a jump; interpolated: a kink) and at zero gradient. Parameters are validated where
    the pipeline is built (``Pipeline.from_spec``), not here.
    """
    if x.shape[-1] != 1:
        raise NotCompilable(f"hog twin: expected 1 channel. Received: shape={tuple(x.shape)}")
    return _VARIANTS[variant](x, cell, block, orientations)
