"""Graph twin of ``deskew``: moments as one matmul, the shear as per-row tent weights and a matmul.

The numpy op gathers two neighbours per output pixel; here each row's linear interpolation is a
(W, W) matrix of tent weights max(0, 1 - |j - x - shift|), so the resampling is one batched
matmul and there is no GATHER (XNNPACK does not delegate it). The moments are the numpy op's
factored sums, two small FULLY_CONNECTED products ((1, x) per row, then (1, y, y^2)): tables under
1,024 weights stay float in dynamic-range models. Coordinates are centred (central moments do not
depend on the origin), which keeps float32 sums close to the numpy op's float64 ones.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from edge_runtime.preprocess.moments import MIN_MU02
from models.backend import tf
from models.twins.registry import NotCompilable, register_twin
from models.twins.steps import matmul_last, positive


@lru_cache(maxsize=8)
def centred_tables(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns (1, x) over W and rows (1, y, y^2) over H, x and y measured from the image centre."""
    x, y = np.arange(w) - (w - 1) / 2.0, np.arange(h) - (h - 1) / 2.0
    return (np.stack([np.ones(w), x], axis=1).astype(np.float32),
            np.stack([np.ones(h), y, y * y], axis=1).astype(np.float32))


def skew(x):
    """mu11 / mu02 per image of (N, H, W, 1), 0 where |mu02| < MIN_MU02 (the numpy op's rule)."""
    h, w = int(x.shape[1]), int(x.shape[2])
    cols, rows = centred_tables(h, w)
    per_row = matmul_last(tf.reshape(x, [-1, h, w]), cols)  # (N, H, [sum I, sum x I])
    m = matmul_last(tf.transpose(per_row, [0, 2, 1]), rows)  # (N, [sum I, sum x I], [1, y, y^2])
    # 2-D slices of a flat (N, 6): XNNPACK does not take a STRIDED_SLICE that drops an axis, and
    # five such slices here split the model into two partitions
    m = tf.reshape(m, [-1, 6])
    m00, m01, m02, m10, m11 = (m[:, i : i + 1] for i in range(5))
    has_mass = positive(m00)
    mass = m00 * has_mass + (1.0 - has_mass)  # where(m00 > 0, m00, 1)
    mu02 = m02 - m01 * m01 / mass
    flat = positive(np.float32(MIN_MU02) - tf.abs(mu02))  # 1 where |mu02| < MIN_MU02
    return (m11 - m10 * m01 / mass) / (mu02 + flat) * (1.0 - flat)  # (N, 1)


@register_twin("deskew", piecewise="the shear's linear interpolation (kinks at whole-pixel shifts)")
def deskew(x):
    """The numpy ``deskew`` in graph ops: (N, H, W, 1) float32 -> same shape.

    Row y samples the input at x + skew * (y - H/2) with linear interpolation and zeros outside.
    Differentiable almost everywhere: the tent weights are piecewise linear in the shift.
    """
    if x.shape[-1] != 1:
        raise NotCompilable(f"deskew twin: expected 1 channel. Received: shape={tuple(x.shape)}")
    h, w = int(x.shape[1]), int(x.shape[2])
    centred = (np.arange(h) - h / 2.0).astype(np.float32)
    shift = skew(x) * centred  # (N, H)
    offset = (np.arange(w)[:, None] - np.arange(w)[None, :]).astype(np.float32)  # j - x, (W_in, W_out)
    tents = tf.nn.relu(1.0 - tf.abs(offset - shift[:, :, None, None]))  # (N, H, W_in, W_out)
    rows = tf.reshape(x, [-1, h, 1, w])
    return tf.reshape(tf.matmul(rows, tents), [-1, h, w, 1])
