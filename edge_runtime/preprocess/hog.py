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
orientation weights into per-bin planes (fancy assignment), then pools them with two small dense
matmuls (the separable Gaussian x bilinear window); the skimage variant is one ``np.bincount``.
Batches run in chunks of CHUNK images and skip zero-gradient pixels; one frame takes a path with
as few numpy calls as possible. Every reduction runs per image in a fixed order, so an image gets
bit-identical features alone (one frame on the device) and inside any batch (training).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from edge_runtime.errors import DataError
from edge_runtime.preprocess.registry import check_batch, check_choice, check_int, register_op


def _frozen(*arrays):
    """Cached tables are shared by every call (and thread): make them read-only."""
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)
    return arrays

VARIANTS = ("interpolated", "skimage")
#: images per chunk, so intermediates stay in cache for large batches
CHUNK = 64


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
    _validate(variant="interpolated", cell=cell, block=block, orientations=orientations)
    nby, nbx = _grid(h, w, cell, block)
    ax = np.ascontiguousarray(_axis_window(nbx, w, cell, block).T, dtype=np.float32)  # (W, X)
    ay = np.ascontiguousarray(_axis_window(nby, h, cell, block).T, dtype=np.float32)  # (H, Y)
    # pooled result is (bin, X=(bx, cx), Y=(by, cy)); OpenCV orders (bx, by, cx, cy, bin)
    order = np.arange(orientations * nbx * block * nby * block).reshape(
        orientations, nbx, block, nby, block
    ).transpose(1, 3, 2, 4, 0)
    q = np.arange(2 * orientations + 2)  # q = floor(s): lower bin q - 1, upper bin q (mod nbins)
    lut = np.stack([(q - 1) % orientations, q % orientations]) * (h * w)
    return _frozen(ax, ay, order.ravel(), lut)


@lru_cache(maxsize=32)
def _skimage_tables(h, w, cell, block, orientations):
    _validate(variant="skimage", cell=cell, block=block, orientations=orientations)
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
    return _frozen(cells.ravel() * (orientations + 1), gather, ncy * ncx + 1, width, exact)


# gradient ----------------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _neighbours(h: int, w: int) -> np.ndarray:
    """(2, 2*H*W) flat indices: row 0 the pixels below and right, row 1 above and left.

    A border pixel names itself twice, so its difference is exactly 0 (the zero border).
    """
    y, x = np.mgrid[0:h, 0:w]
    inner_y, inner_x = (y > 0) & (y < h - 1), (x > 0) & (x < w - 1)
    down, up = np.where(inner_y, y + 1, y), np.where(inner_y, y - 1, y)
    right, left = np.where(inner_x, x + 1, x), np.where(inner_x, x - 1, x)
    return _frozen(np.stack([down * w + x, y * w + right, up * w + x, y * w + left]).reshape(2, 2 * h * w))[0]


def _gradients(x: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Central differences as one (2, N, H*W) array [gy, gx], zero on the border.

    One image: a gather of the four neighbours and one subtraction (few numpy calls); a batch:
    slices. Both subtract the same two values, so the results are identical.
    Several channels: per pixel the channel with the largest squared magnitude (first on ties).
    """
    n, h, w, c = x.shape
    if n == 1 and c == 1:
        v = x.reshape(-1).take(_neighbours(h, w))
        g = v[0] - v[1] if x.dtype == dtype else np.subtract(v[0], v[1], dtype=dtype)
        return g.reshape(2, 1, h * w)
    g = np.zeros((2, n, h, w, c), dtype=dtype)
    np.subtract(x[:, 2:], x[:, :-2], out=g[0, :, 1:-1], dtype=dtype)
    np.subtract(x[:, :, 2:], x[:, :, :-2], out=g[1, :, :, 1:-1], dtype=dtype)
    if c > 1:
        pick = np.argmax(g[0] * g[0] + g[1] * g[1], axis=-1)[None, ..., None]
        g = np.take_along_axis(g, pick, axis=-1)
    return g.reshape(2, n, h * w)


def _magnitude(g: np.ndarray) -> np.ndarray:
    sq = g * g
    mag = sq[0]
    mag += sq[1]
    return np.sqrt(mag, out=mag)


# the two variants on one chunk --------------------------------------------------------------------
def _interpolated(x: np.ndarray, cell: int, block: int, orientations: int) -> np.ndarray:
    n, h, w, c = x.shape
    if n == 1 and c == 1:
        return _interpolated_one(x, _one_frame_tables(h, w, cell, block, orientations))
    ax, ay, order, lut = _interpolated_tables(h, w, cell, block, orientations)
    g = _gradients(x)
    mag = _magnitude(g)
    base = _pixel_base(n, orientations, h * w)
    if n > 1:  # a batch: only pixels with a gradient go on (zero weights would change nothing)
        keep = np.nonzero(mag.reshape(-1) > 0)[0]
        g, mag, base = g.reshape(2, -1).take(keep, axis=1), mag.reshape(-1).take(keep), base.reshape(-1).take(keep)
    # OpenCV: s = angle * nbins / pi - 0.5 with angle in [0, 2 pi); bin floor(s) mod nbins gets
    # (1 - frac) of the magnitude, the next bin frac. Here s = atan2 * nbins / pi + nbins + 0.5,
    # which is OpenCV's s + 1 modulo nbins and lies in [0.5, 2 nbins + 0.5]: a table maps
    # q = floor(s) to both bins' plane offsets, no modulo needed.
    s = np.arctan2(g[0], g[1])
    s *= np.float32(orientations / np.pi)
    s += np.float32(orientations + 0.5)
    q = np.floor(s)
    frac = s - q
    weights = np.empty((2, *mag.shape), dtype=np.float32)
    np.multiply(mag, frac, out=weights[1])
    np.subtract(mag, weights[1], out=weights[0])
    index = lut.take(q.astype(np.intp), axis=1)  # lower and upper bin plane offsets
    index += base
    planes = np.zeros((n, orientations, h, w), dtype=np.float32)
    planes.reshape(-1)[index] = weights  # no collisions: a pixel's two bins differ
    # separable window: (n, bins*H, W) @ (W, X), then (n, bins*X, H) @ (H, Y); stacked per image, so
    # every image runs the same small single-threaded BLAS call whatever the batch size
    pooled = np.matmul(planes.reshape(n, -1, w), ax)
    pooled = np.matmul(pooled.reshape(n, orientations, h, -1).transpose(0, 1, 3, 2).reshape(n, -1, h), ay)
    blocks = pooled.reshape(n, -1).take(order, axis=1).reshape(n, -1, block * block * orientations)
    return _l2hys(blocks, np.float32(0.1 * blocks.shape[-1]), np.float32(1e-3), squared=False).reshape(n, -1)


@lru_cache(maxsize=32)
def _one_frame_tables(h, w, cell, block, orientations):
    ax, ay, order, lut = _interpolated_tables(h, w, cell, block, orientations)
    size = block * block * orientations
    return _frozen(lut, np.arange(h * w), ax, ay, order, h, w, orientations,
                   np.float32(orientations / np.pi), np.float32(orientations + 0.5), size, np.float32(0.1 * size))


def _interpolated_one(x: np.ndarray, tables) -> np.ndarray:
    """One (1, H, W, 1) frame: the same arithmetic as the batch path, step for step (so the same
    bits), in as few numpy calls as possible; at 28x28 each call costs about as much as its work."""
    lut, pixels, ax, ay, order, h, w, orientations, k, c, size, eps = tables
    hw = h * w
    flat = x.reshape(hw)
    # [gy, gx]: the batch path's subtractions on contiguous runs of the flat image; gx's run wraps
    # from one row's end to the next row's start, and those two border columns are zeroed after
    g = np.zeros((2, hw), dtype=np.float32)
    np.subtract(flat[2 * w :], flat[: -2 * w], out=g[0, w:-w], dtype=np.float32)
    np.subtract(flat[2:], flat[:-2], out=g[1, 1:-1], dtype=np.float32)
    g[1].reshape(h, w)[:, :: max(w - 1, 1)] = 0.0
    sq = g * g
    weights = np.empty_like(sq)  # [lower bin, upper bin]
    mag = np.add(sq[0], sq[1], out=weights[0])
    np.sqrt(mag, out=mag)
    s = np.arctan2(g[0], g[1])
    s *= k
    s += c
    index = lut.take(s.astype(np.intp), axis=1)  # s > 0: truncation is floor
    s -= np.floor(s)
    np.multiply(mag, s, out=weights[1])
    mag -= weights[1]
    index += pixels
    planes = np.zeros(orientations * h * w, dtype=np.float32)
    planes[index] = weights  # no collisions: a pixel's two bins differ
    pooled = planes.reshape(-1, w) @ ax
    pooled = pooled.reshape(orientations, h, -1).transpose(0, 2, 1).reshape(-1, h) @ ay
    return _l2hys(pooled.reshape(-1).take(order).reshape(-1, size), eps, np.float32(1e-3), squared=False).reshape(1, -1)


def interpolated_frame(img: np.ndarray, cell: int = 7, block: int = 2, orientations: int = 9) -> np.ndarray:
    """One unchecked (H, W) finite real image -> (1, features) float32: ``hog(img[None, ..., None])``
    bit for bit, for callers that already validated the frame (the fused one-frame pipeline)."""
    h, w = img.shape
    return _interpolated_one(img, _one_frame_tables(h, w, cell, block, orientations))


@lru_cache(maxsize=16)
def _pixel_base(n: int, planes: int, hw: int) -> np.ndarray:
    """(n, H*W) flat offset of pixel p of image i in an (n, planes, H, W) array."""
    return _frozen(np.arange(n)[:, None] * (planes * hw) + np.arange(hw)[None, :])[0]


def _skimage(x: np.ndarray, cell: int, block: int, orientations: int) -> np.ndarray:
    n, h, w, _ = x.shape
    cells, gather, n_cells, width, exact = _skimage_tables(h, w, cell, block, orientations)
    g = _gradients(x, np.float64 if x.dtype == np.float64 else np.float32)
    mag = _magnitude(g)
    cells = cells + (np.arange(n) * (n_cells * (orientations + 1)))[:, None]  # (n, H*W) cell offsets
    if n > 1:  # a batch: only pixels with a gradient go on (adding 0.0 to a bin changes nothing)
        keep = np.nonzero(mag.reshape(-1) > 0)[0]
        g, mag, cells = g.reshape(2, -1).take(keep, axis=1), mag.reshape(-1).take(keep), cells.reshape(-1).take(keep)
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
    bins += cells
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
    ss = np.vecdot(v, v)[..., None]
    v = v / (np.sqrt(ss + eps1) if squared else np.sqrt(ss) + eps1)
    np.minimum(v, 0.2, out=v)
    ss = np.vecdot(v, v)[..., None]
    v /= np.sqrt(ss + eps2) if squared else np.sqrt(ss) + eps2
    return v


_VARIANT_FN = {"interpolated": _interpolated, "skimage": _skimage}


@register_op("hog", output_shape=_output_shape, cost=_cost, validate=_validate, compilable=True, differentiable=True)
def hog(x: np.ndarray, *, variant: str = "interpolated", cell: int = 7, block: int = 2,
        orientations: int = 9) -> np.ndarray:
    """HOG feature vector per image: cv2.HOGDescriptor ("interpolated") or skimage.feature.hog ("skimage").

    (N, H, W, C) real -> (N, features) float32; see the module docstring for the exact semantics.
    """
    check_batch(x, "hog")
    fn = _VARIANT_FN.get(variant) if isinstance(variant, str) else None
    if fn is None:
        _validate(variant=variant, cell=cell, block=block, orientations=orientations)
    # the other parameters and the image size are checked when the cached tables are built
    if x.shape[0] <= CHUNK:
        return fn(x, cell, block, orientations)
    return np.concatenate([fn(x[i : i + CHUNK], cell, block, orientations) for i in range(0, len(x), CHUNK)])
