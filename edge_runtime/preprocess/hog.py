"""Histogram of oriented gradients in two variants, batch-vectorized with cached tables.

``variant="interpolated"`` (default) reproduces OpenCV's ``cv2.HOGDescriptor`` (unsigned
gradients, no gamma, Gaussian block window sigma = block_px / 4, orientation-bin and spatial
(bilinear within the block) interpolation, L2-Hys with OpenCV's constants, blocks and cells in
its column-major order). ``variant="skimage"`` reproduces ``skimage.feature.hog`` with
``block_norm="L2-Hys"``: hard bins by its edge rule ``w*i <= o < w*(i+1)`` (so an angle that
rounds to 180 degrees counts nowhere), mean magnitude per cell, row-major blocks.

Both use central differences with a zero border (OpenCV's reflect-101 border gives the same
zeros). Several channels: each pixel uses the channel with the largest gradient magnitude (first
on ties), as both references do. Blocks step by one cell; pixels right of / below the last whole
block are ignored. Dtype contract: any real (N, H, W, C) batch in, float32 (N, features) out.
Gradients are in the units of the input: OpenCV's first-normalization constant (0.1 per feature of
a block) is an absolute number, so it matches OpenCV exactly for 0..255 input and weighs more
after ``scale``.

Speed: no Python loop over pixels or blocks. The interpolated variant scatters each pixel's two
orientation weights into per-bin planes (one ``np.put``), then pools them with two small dense
matmuls (the separable Gaussian x bilinear window); the skimage variant is one ``np.bincount``.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from edge_runtime.errors import DataError
from edge_runtime.preprocess.registry import check_batch, check_choice, check_int, register_op

VARIANTS = ("interpolated", "skimage")
#: images per chunk, so intermediates stay in cache for large batches
CHUNK = 256


def _validate(*, variant="interpolated", cell=7, block=2, orientations=9):
    check_choice("hog", "variant", variant, VARIANTS)
    check_int("hog", "cell", cell, 1)
    check_int("hog", "block", block, 1)
    check_int("hog", "orientations", orientations, 2)


def _grid(h: int, w: int, cell: int, block: int) -> tuple[int, int]:
    """Blocks along y and x; an image smaller than one block is a DataError."""
    side = cell * block
    if h < side or w < side:
        raise DataError(
            f"hog: expected images of at least {side}x{side} pixels (block {block} x cell {cell}). "
            f"Received: image size {h}x{w}"
        )
    return (h - side) // cell + 1, (w - side) // cell + 1


def _output_shape(shape, *, variant="interpolated", cell=7, block=2, orientations=9):
    nby, nbx = _grid(shape[0], shape[1], cell, block)
    return (nby * nbx * block * block * orientations,)


def _cost(shape, *, variant="interpolated", cell=7, block=2, orientations=9):
    """Operations per image as a direct C loop does them (gradient, angle, binning, pooling, norm)."""
    h, w = shape[0], shape[1]
    nby, nbx = _grid(h, w, cell, block)
    per_pixel = 2 + 4 + 12 + 4  # two differences, magnitude, arctan (about 12), bin index and weight
    side = cell * block
    size = block * block * orientations
    if variant == "interpolated":  # 4 cells x 2 bins x multiply-add, per pixel of every block
        pooling = nby * nbx * side * side * 4 * 2 * 2
    else:  # one add per pixel of a whole cell
        pooling = (h // cell) * (w // cell) * cell * cell
    return h * w * shape[-1] * per_pixel + pooling + nby * nbx * size * 6


# tables ------------------------------------------------------------------------------------------
def _axis_window(n_blocks: int, size: int, cell: int, block: int) -> np.ndarray:
    """(n_blocks * block, size): Gaussian x bilinear weight of pixel ``size`` for (block, cell) rows.

    OpenCV (HOGCache::init): Gaussian exp(-(j - side/2)^2 / (2 sigma^2)) with sigma = 2 side / 8,
    bilinear to cell centres (j + 0.5) / cell - 0.5 within the block, cells outside dropped.
    """
    side = cell * block
    sigma = (side + side) / 8.0
    j = np.arange(side, dtype=np.float64)
    gauss = np.exp(-((j - side * 0.5) ** 2) / (2.0 * sigma * sigma))
    centre = (j + 0.5) / cell - 0.5
    tents = np.maximum(0.0, 1.0 - np.abs(centre[None, :] - np.arange(block)[:, None]))  # (block, side)
    window = np.zeros((n_blocks, block, size))
    for b in range(n_blocks):  # a table built once per shape: a loop over blocks, not pixels
        window[b, :, b * cell : b * cell + side] = tents * gauss
    return window.reshape(n_blocks * block, size)


@lru_cache(maxsize=32)
def _interpolated_tables(h, w, cell, block, orientations):
    nby, nbx = _grid(h, w, cell, block)
    ax = np.ascontiguousarray(_axis_window(nbx, w, cell, block).T, dtype=np.float32)  # (W, X)
    ay = np.ascontiguousarray(_axis_window(nby, h, cell, block).T, dtype=np.float32)  # (H, Y)
    # pooled result is (bin, X=(bx, cx), Y=(by, cy)); OpenCV orders (bx, by, cx, cy, bin)
    order = np.arange(orientations * nbx * block * nby * block).reshape(
        orientations, nbx, block, nby, block
    ).transpose(1, 3, 2, 4, 0)
    return ax, ay, order.ravel(), _plane_base(CHUNK, orientations + 2, h, w)


@lru_cache(maxsize=32)
def _skimage_tables(h, w, cell, block, orientations):
    nby, nbx = _grid(h, w, cell, block)
    ncy, ncx = h // cell, w // cell
    rows, cols = np.arange(h) // cell, np.arange(w) // cell
    cells = rows[:, None] * ncx + cols[None, :]
    outside = (rows[:, None] >= ncy) | (cols[None, :] >= ncx)
    cells = np.where(outside, ncy * ncx, cells)  # one dummy cell collects the ignored margin
    # blocks (by, bx, r, c) gather cells (by + r, bx + c)
    by, bx, r, c = np.meshgrid(np.arange(nby), np.arange(nbx), np.arange(block), np.arange(block), indexing="ij")
    gather = ((by + r) * ncx + (bx + c)).ravel()
    width = 180.0 / orientations  # skimage: 180. / orientations, edges width * i
    exact = all(Fraction(width * i) == Fraction(width) * i for i in range(orientations + 1))
    return cells.ravel() * (orientations + 1), gather, ncy * ncx + 1, width, exact


# gradient ----------------------------------------------------------------------------------------
def _gradients(x: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Central differences (gy, gx) as one (2, N, H, W) array, zero on the border.

    Several channels: per pixel the channel with the largest squared magnitude (first on ties).
    """
    n, h, w, c = x.shape
    g = np.zeros((2, n, h, w, c), dtype=dtype)
    np.subtract(x[:, 2:], x[:, :-2], out=g[0, :, 1:-1], dtype=dtype)
    np.subtract(x[:, :, 2:], x[:, :, :-2], out=g[1, :, :, 1:-1], dtype=dtype)
    if c == 1:
        return g[..., 0]
    pick = np.argmax(g[0] * g[0] + g[1] * g[1], axis=-1)[None, ..., None]
    return np.take_along_axis(g, pick, axis=-1)[..., 0]


def _magnitude(g: np.ndarray) -> np.ndarray:
    sq = g * g
    mag = sq[0]
    mag += sq[1]
    return np.sqrt(mag, out=mag)


# the two variants on one chunk --------------------------------------------------------------------
def _interpolated(x: np.ndarray, cell: int, block: int, orientations: int) -> np.ndarray:
    n, h, w, _ = x.shape
    ax, ay, order, base = _interpolated_tables(h, w, cell, block, orientations)
    g = _gradients(x)
    mag = _magnitude(g)
    # OpenCV: s = angle * nbins / pi - 0.5 with angle in [0, 2 pi); the lower bin floor(s) mod nbins
    # gets (1 - frac), the next bin frac. Here the angle is folded to [0, pi] (flip the gradient when
    # gy < 0) and shifted by one bin, so plane q = floor(s) + 1 lies in 0..nbins+1 with no modulo;
    # planes 0 and nbins+1 wrap around after pooling.
    bits = g.view(np.int32)  # flip gx where gy is negative: xor with gy's sign bit
    flipped = (bits[1] ^ (bits[0] & np.int32(-(2**31)))).view(np.float32)
    t = np.arctan2(np.abs(g[0]), flipped)  # the unsigned angle, in [0, pi]
    t *= np.float32(orientations / np.pi)
    t += np.float32(0.5)
    plane = np.floor(t)
    t -= plane
    upper = mag * t
    mag -= upper
    hw = h * w
    planes = np.zeros((n, orientations + 2, h, w), dtype=np.float32)
    index = plane.astype(np.intp)
    index *= hw
    index += base[:n] if n <= len(base) else _plane_base(n, orientations + 2, h, w)
    flat = planes.reshape(-1)
    flat[index] = mag  # pixels never collide: one plane pair per pixel
    index += hw
    flat[index] = upper
    # separable window: (n, planes*H, W) @ (W, X), then (n, planes*X, H) @ (H, Y); stacked per image
    # so each BLAS call stays small (single-threaded, no oversubscription)
    pooled = np.matmul(planes.reshape(n, -1, w), ax)
    pooled = np.matmul(pooled.reshape(n, orientations + 2, h, -1).transpose(0, 1, 3, 2).reshape(n, -1, h), ay)
    pooled = pooled.reshape(n, orientations + 2, -1)
    bins = pooled[:, 1:-1]
    bins[:, 0] += pooled[:, -1]
    bins[:, -1] += pooled[:, 0]
    blocks = bins.reshape(n, -1).take(order, axis=1).reshape(n, -1, block * block * orientations)
    return _l2hys(blocks, np.float32(0.1 * blocks.shape[-1]), np.float32(1e-3), squared=False).reshape(n, -1)


@lru_cache(maxsize=64)
def _plane_base(n: int, planes: int, h: int, w: int) -> np.ndarray:
    """Flat offset of pixel p of image i in an (n, planes, H, W) array: i * planes * H * W + p."""
    return (np.arange(n)[:, None] * (planes * h * w) + np.arange(h * w)[None, :]).reshape(n, h, w)


def _skimage(x: np.ndarray, cell: int, block: int, orientations: int) -> np.ndarray:
    n, h, w, _ = x.shape
    cells, gather, n_cells, width, exact = _skimage_tables(h, w, cell, block, orientations)
    g = _gradients(x, np.float64 if x.dtype == np.float64 else np.float32)
    mag = _magnitude(g)
    g = g.astype(np.float64)  # skimage bins in float64: the same expression gives the same angles
    raw = np.rad2deg(np.arctan2(g[0], g[1]))
    # skimage's `raw % 180`, without np.remainder's slow divmod: same values, 180.0 itself maps to 0
    # while a tiny negative angle still rounds up to 180.0 and lands in no bin (its edge rule)
    angle = np.where(raw < 0, raw + 180.0, raw)
    angle[raw == 180.0] = 0.0
    if exact:  # edges are exact multiples of the width: floor(angle / width) is the edge rule
        angle /= width
        bins = np.floor(angle, out=angle).astype(np.intp)
    else:
        bins = np.searchsorted(width * np.arange(orientations + 1), angle, side="right") - 1
    bins += cells.reshape(h, w)
    bins += (np.arange(n) * (n_cells * (orientations + 1)))[:, None, None]
    hist = np.bincount(bins.ravel(), mag.ravel(), minlength=n * n_cells * (orientations + 1))
    hist = hist.reshape(n, n_cells, orientations + 1)[:, : n_cells - 1, :orientations] / (cell * cell)
    blocks = hist.take(gather, axis=1).reshape(n, -1, block * block * orientations)
    return _l2hys(blocks, 1e-10, 1e-10, squared=True).astype(np.float32).reshape(n, -1)


def _l2hys(v: np.ndarray, eps1, eps2, *, squared: bool) -> np.ndarray:
    """L2 normalize each block (last axis), clip at 0.2, normalize again.

    OpenCV divides by (norm + eps); skimage by sqrt(norm^2 + eps^2) (``squared=True``, eps^2 given).
    ``v`` must be C-contiguous: then each block's sums run in one order whatever the batch size,
    so an image gives bit-identical features alone (device) and in a batch (training).
    """
    ss = (v * v).sum(axis=-1, keepdims=True)
    v = v / (np.sqrt(ss + eps1) if squared else np.sqrt(ss) + eps1)
    np.minimum(v, 0.2, out=v)
    ss = (v * v).sum(axis=-1, keepdims=True)
    v /= np.sqrt(ss + eps2) if squared else np.sqrt(ss) + eps2
    return v


_VARIANT_FN = {"interpolated": _interpolated, "skimage": _skimage}


@register_op("hog", output_shape=_output_shape, cost=_cost, validate=_validate)
def hog(x: np.ndarray, *, variant: str = "interpolated", cell: int = 7, block: int = 2,
        orientations: int = 9) -> np.ndarray:
    """HOG feature vector per image: cv2.HOGDescriptor ("interpolated") or skimage.feature.hog ("skimage").

    (N, H, W, C) real -> (N, features) float32; see the module docstring for the exact semantics.
    """
    check_batch(x, "hog")
    _validate(variant=variant, cell=cell, block=block, orientations=orientations)
    _grid(x.shape[1], x.shape[2], cell, block)
    fn = _VARIANT_FN[variant]
    if x.shape[0] <= CHUNK:
        return fn(x, cell, block, orientations)
    return np.concatenate([fn(x[i : i + CHUNK], cell, block, orientations) for i in range(0, len(x), CHUNK)])
