"""One-frame fast path of the default hybrid stage: deskew, scale, interpolated HOG in one call.

On a 28x28 frame each numpy call costs about as much as its arithmetic, so the per-step checks
and copies of the generic pipeline dominate. For one uint8 frame (the camera case) through
``deskew -> scale -> hog(interpolated)`` the steps' one-frame kernels run back to back without
re-validating data that is finite by construction (uint8 pixels, a convex interpolation, a
division by a divisor that keeps 255 finite), and ``scale`` divides in place. The kernels are
the ops' own arithmetic, so the result is bit-identical to running the steps one by one (tests
compare both). Anything else returns None and the pipeline runs step by step.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess.hog import interpolated_frame
from edge_runtime.preprocess.moments import deskew_frame

#: op names of the fused sequence
HYBRID = ("deskew", "scale", "hog")
#: smallest float32 divisor whose quotient 255 / divisor stays finite with a wide margin
MIN_DIVISOR = 1e-30


def one_frame(steps, x) -> np.ndarray | None:
    """The hybrid stage's features for one (1, H, W, 1) uint8 frame, or None when not applicable."""
    if len(steps) != 3 or not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.ndim != 4:
        return None
    if x.shape[0] != 1 or x.shape[3] != 1 or tuple(step.op.name for step in steps) != HYBRID:
        return None
    divisor = np.float32(steps[1].params["divisor"])
    hog = steps[2].params
    if not divisor >= MIN_DIVISOR or hog["variant"] != "interpolated":
        return None
    img = deskew_frame(x.reshape(x.shape[1], x.shape[2]))
    img /= divisor  # scale: the same float32 division, in place
    return interpolated_frame(img, hog["cell"], hog["block"], hog["orientations"])
