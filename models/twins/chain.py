"""A pipeline's steps as one chain of graph twins, with the dtype each step receives on the host.

Twins always compute on float32, but a few numpy ops behave differently on uint8 (``invert``'s
default maximum, ``grayscale``'s fixed-point rounding, Otsu's bins); those twins take ``dtype``.
The dtypes come from running the numpy pipeline itself on one zero frame, so they follow the ops'
own dtype contracts instead of a second copy of them.
"""

from __future__ import annotations

import inspect

import numpy as np

from edge_runtime.errors import ConfigError
from models.backend import tf
from models.twins.registry import get_twin


def twin_params(step) -> dict:
    """A pipeline step's parameters for its twin: fitted state as float32 arrays (the graph computes in float32)."""
    return {k: (np.asarray(v, np.float32) if k in step.op.state else v) for k, v in step.params.items()}


def step_dtypes(pipeline, shape, dtype) -> list[np.dtype]:
    """The dtype each step of a fitted ``pipeline`` receives for raw samples of ``shape`` and ``dtype``."""
    x = np.zeros((1, *shape), dtype=np.dtype(dtype))
    seen = []
    for step in pipeline.steps:
        seen.append(x.dtype)
        x = pipeline._apply(step, x)
    return seen


class TwinChain:
    """``x -> twin_k(... twin_1(x))`` for the steps of a fitted pipeline (every one must have a twin)."""

    def __init__(self, pipeline, shape, dtype):
        missing = [step.op.name for step in pipeline.steps if not step.op.compilable]
        if missing:
            raise ConfigError(f"Expected preprocessing ops with graph twins. Received: {missing} run on the host only")
        self.steps = []
        for step, received in zip(pipeline.steps, step_dtypes(pipeline, shape, dtype), strict=True):
            twin = get_twin(step.op.name)
            params = twin_params(step)
            if "dtype" in inspect.signature(twin).parameters:
                params["dtype"] = received.name
            self.steps.append((twin, params))

    @tf.autograph.experimental.do_not_convert  # plain Python over a fixed list of twins: nothing to convert
    def __call__(self, x):
        for twin, params in self.steps:
            x = twin(x, **params)
        return x
