"""Small TensorFlow building blocks the twins share, chosen for what XNNPACK delegates.

XNNPACK takes elementwise ops, MINIMUM/MAXIMUM, ABS, SQRT, FULLY_CONNECTED, PAD, STRIDED_SLICE
and TRANSPOSE, but not SIGN, SELECT, LESS, CAST or ATAN2 (see DESIGN.md, "Preprocessing inside
the model"): comparisons are written as saturated ramps and the angle as a polynomial.
"""

from __future__ import annotations

import numpy as np

from models.backend import tf

#: the step's slope, 2^45, applied as three factors of 2^15: every constant stays exact in float16
#: (fp16 variants store constants as float16; 1e30 would become inf and inf * 0 NaN). The step
#: is exact for |z| above 3e-14.
_STEEP = np.float32(2.0**15)
#: the smallest divisor the angle uses (0 / 0 -> 0), a power of two float16 still holds
_FLOOR = np.float32(2.0**-20)
#: atan(z) = z * P(z^2) on [0, 1]: a degree-15 odd polynomial fitted by iterated weighted least
#: squares (minimax-like); error 3.7e-8 rad in float64, 1.4e-7 rad evaluated in float32
ATAN_COEFFS = (0.9999993356122769, -0.3332986081778127, 0.19946565481736045, -0.13908627069129312,
               0.0964218822084064, -0.05591217573034193, 0.021862839408827044, -0.004054531512720425)


def positive(z):
    """1.0 where z > 0, else 0.0 (RELU + MINIMUM, no comparison op)."""
    return tf.minimum(tf.nn.relu(z * _STEEP * _STEEP * _STEEP), 1.0)


def atan_unit(z):
    """atan(z) / pi for z in [0, 1] by the fitted polynomial (Horner, float32); exactly 1/4 at z = 1."""
    s = z * z
    p = s * np.float32(ATAN_COEFFS[-1] / np.pi) + np.float32(ATAN_COEFFS[-2] / np.pi)
    for c in ATAN_COEFFS[-3::-1]:
        p = p * s + np.float32(c / np.pi)
    p = p * z
    return p + positive(z - np.float32(0.99999994)) * (np.float32(0.25) - p)  # z == 1: the diagonal


def unsigned_orientation(gy, gx):
    """atan2(gy, gx) modulo pi, as a fraction of pi in [0, 1), without ATAN2.

    Octant folding around :func:`atan_unit`. The angles that are exact multiples of 45 degrees
    come out exact (0, 1/4, 1/2, 3/4), so a hard bin edge there sorts them as float64 does:
    gy = 0 gives 0 (atan2's +-pi and 0 modulo pi), gx = 0 with gy != 0 gives 1/2.
    """
    ay, ax = tf.abs(gy), tf.abs(gx)
    small, large = tf.minimum(ay, ax), tf.maximum(ay, ax)
    t = atan_unit(small / tf.maximum(large, _FLOOR))  # [0, 1/4]
    t = t + positive(ay - ax) * (np.float32(0.5) - 2.0 * t)  # atan(|gy| / |gx|) / pi in [0, 1/2]
    return t + positive(-(gy * gx)) * (np.float32(1.0) - 2.0 * t)


def central_differences(x):
    """[gy, gx] of (N, H, W): x[y+1] - x[y-1] and x[x+1] - x[x-1], zero on the border.

    Slice, subtract, pad: exact, and cheaper in XNNPACK than a 3x3 convolution with 1-2 channels.
    On 3-D tensors: the same slices of (N, H, W, 1) cost about 4x as much.
    """
    gy = tf.pad(x[:, 2:] - x[:, :-2], [[0, 0], [1, 1], [0, 0]])
    gx = tf.pad(x[:, :, 2:] - x[:, :, :-2], [[0, 0], [0, 0], [1, 1]])
    return gy, gx


def matmul_last(x, table: np.ndarray):
    """Contract the last axis of ``x`` with a constant (K, M) table as one FULLY_CONNECTED."""
    lead = [-1 if d is None else int(d) for d in x.shape[:-1]]
    flat = tf.reshape(x, [-1, int(x.shape[-1])])
    out = tf.matmul(flat, tf.constant(np.asarray(table, np.float32)))
    return tf.reshape(out, [*lead[:1], *lead[1:], int(table.shape[1])])


#: added under the square root so its gradient at 0 is finite
_TINY = np.float32(1e-30)


def safe_sqrt(s):
    """sqrt(s) for s >= 0 whose gradient is finite where s == 0 (flat image regions): sqrt(s + 1e-30) - 1e-15.

    Without the guard one flat pixel's NaN gradient would poison every input pixel next to it; with
    it the value is exactly 0 at 0 and exactly sqrt(s) for s above ~3e-16 (1e-15 is below half an
    ulp of sqrt(s); image gradients of 0..255 or 0..1 pixels square to at least (1/255)^2), and no
    SELECT or comparison lands in the graph (XNNPACK takes ADD, SUB, SQRT).
    """
    return tf.sqrt(s + _TINY) - np.float32(np.sqrt(_TINY))
