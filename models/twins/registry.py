"""Graph twins: TensorFlow functions that compute an ``edge_runtime.preprocess`` op inside a model.

The numpy op is the reference; its twin takes the same parameters (fitted state included, as
numpy arrays) and a batch-first float32 tensor, and must lower to TFLite builtins and standard
ONNX ops. Whether an op has a twin is a property of the registered op (``Op.compilable``); a test
checks that the two registries agree.
"""

from __future__ import annotations

from collections.abc import Callable

from edge_runtime.errors import ConfigError


class NotCompilable(ConfigError):
    """A twin cannot express this input or these parameters (e.g. several channels): the op and
    everything after it stay on the host."""


#: op name -> ``twin(x: tf.Tensor, **params) -> tf.Tensor``
TWINS: dict[str, Callable] = {}


def register_twin(name: str, *, piecewise: str | None = None):
    """Decorator: register ``fn`` as the graph twin of op ``name``.

    ``piecewise``: where the twin's gradient is only piecewise defined (e.g. "orientation
    binning"), stored as ``fn.piecewise`` for the white-box attack's notes; None when smooth.
    """

    def wrap(fn):
        if name in TWINS:
            raise ValueError(f"twin {name!r} is registered twice")
        TWINS[name] = fn
        fn.piecewise = piecewise
        return fn

    return wrap


def get_twin(name: str) -> Callable:
    """The twin of op ``name``; an op without one names those that have one."""
    try:
        return TWINS[name]
    except KeyError:
        raise ConfigError(
            f"Op {name!r} has no graph twin. Expected one of: {', '.join(sorted(TWINS)) or '(none)'}"
        ) from None
