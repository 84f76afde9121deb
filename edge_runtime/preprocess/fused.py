"""One-frame fast paths for whole pipelines, registered by op sequence.

On a 28x28 frame each numpy call costs about as much as its arithmetic, so the per-step checks
and copies of the generic pipeline dominate. A fused path runs the steps' own one-frame kernels
back to back for one exact op sequence, without re-validating data that is finite by
construction; its result is bit-identical to running the steps one by one (tests compare both).
A path returns None when the frame or the parameters are not its case, and the pipeline then
runs step by step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edge_runtime.preprocess.hog import interpolated_frame
from edge_runtime.preprocess.moments import deskew_frame

#: op-name sequence -> ``fn(steps, x) -> features or None``
FUSED: dict[tuple[str, ...], Callable] = {}
#: smallest float32 divisor whose quotient 255 / divisor stays finite with a wide margin
MIN_DIVISOR = 1e-30


def register_fused(*ops: str):
    """Decorator: ``fn(steps, x)`` is the fast path of a pipeline made of exactly ``ops``."""

    def wrap(fn):
        if ops in FUSED:
            raise ValueError(f"a fused path for {ops} is registered twice")
        FUSED[ops] = fn
        return fn

    return wrap


def _one_uint8_gray_frame(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 4 and x.shape[0] == 1 and x.shape[3] == 1


@register_fused("deskew", "scale", "hog")
def hybrid_frame(steps, x) -> np.ndarray | None:
    """The default hybrid stage on one (1, H, W, 1) uint8 frame: deskew, scale in place, interpolated HOG."""
    if not _one_uint8_gray_frame(x):
        return None
    divisor = np.float32(steps[1].params["divisor"])
    hog = steps[2].params
    if not divisor >= MIN_DIVISOR or hog["variant"] != "interpolated":
        return None
    img = deskew_frame(x.reshape(x.shape[1], x.shape[2]))
    img /= divisor  # scale: the same float32 division, in place
    return interpolated_frame(img, hog["cell"], hog["block"], hog["orientations"])


def one_frame(steps, x) -> np.ndarray | None:
    """The fused result of ``steps`` on ``x`` when a path is registered for their op sequence, else None."""
    fn = FUSED.get(tuple(step.op.name for step in steps))
    return None if fn is None else fn(steps, x)
