"""The op registry: every classical preprocessing step, by name.

An op is a pure function ``fn(batch, **params) -> batch`` over batch-first arrays, plus what the
pipeline needs to plan around it: its output shape, an optional fit phase (for steps that learn,
such as standardize or pca), and an operation count per sample (for the edge cost analysis).
Parameters are the function's keyword-only arguments; their defaults are the op's defaults.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge_runtime.errors import ConfigError, DataError


@dataclass(frozen=True)
class Op:
    """One registered step. ``state`` names the parameters that ``fit`` learns."""

    name: str
    fn: Callable[..., np.ndarray]
    output_shape: Callable[..., tuple]
    fit: Callable[..., dict] | None = None
    state: tuple[str, ...] = ()
    cost: Callable[..., int] | None = None
    validate: Callable[..., None] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    #: a graph twin exists (``models.twins``), so an exported model can perform this op itself
    compilable: bool = False
    #: the twin has a useful gradient, so FGSM can attack through it
    differentiable: bool = False
    #: output is still an image on the input's pixel grid (same H and W), not a feature vector
    keeps_grid: bool = False
    #: each output value is one input pixel's value mapped on its own, in pixel order (value maps
    #: and reshapes): a first Dense layer after such ops still weighs pixels
    pixelwise: bool = False

    @property
    def params(self) -> list[str]:
        """Names a spec may set: the function's keyword-only parameters (fitted state included)."""
        return list(self.defaults)


OPS: dict[str, Op] = {}


def register_op(name: str, *, output_shape, fit=None, state=(), cost=None, validate=None,
                compilable=False, differentiable=False, keeps_grid=False, pixelwise=False):
    """Decorator: register ``fn`` as op ``name`` (see :class:`Op`)."""

    def wrap(fn):
        if name in OPS:
            raise ValueError(f"op {name!r} is registered twice")
        sig = inspect.signature(fn)
        defaults = {
            p.name: p.default
            for p in sig.parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        if "shape" in defaults:  # output_shape(shape, **params) and cost(shape, **params) take it
            raise ValueError(f"op {name!r}: a parameter may not be called 'shape'")
        OPS[name] = Op(name, fn, output_shape, fit, tuple(state), cost, validate, defaults,
                       compilable, differentiable, keeps_grid, pixelwise)
        return fn

    return wrap


def get_op(name: str) -> Op:
    """The op called ``name``; an unknown name lists the known ones."""
    try:
        return OPS[name]
    except KeyError:
        raise ConfigError(
            f"Unknown preprocessing op {name!r}. Expected one of: {', '.join(sorted(OPS))}"
        ) from None


def param_error(op: str, name: str, value: Any, allowed: str) -> ConfigError:
    """The one message shape for a bad parameter: op, name, received value, what is allowed."""
    return ConfigError(f"{op}: expected {name} {allowed}. Received: {name}={value!r}")


def check_batch(x: Any, op: str, *, rank: int | tuple[int, ...] | None = 4, channels=None) -> np.ndarray:
    """Validate a batch: ndarray, rank, non-empty, numeric, finite; return it unchanged.

    ``rank`` 4 means images (N, H, W, C); ``channels`` restricts C (an int or a tuple of ints).
    """
    if not isinstance(x, np.ndarray):
        raise DataError(f"{op}: expected a numpy array. Received: {type(x).__name__}")
    if rank is not None and x.ndim != rank and (isinstance(rank, int) or x.ndim not in rank):
        layout = "(N, H, W, C)" if rank == 4 else f"rank {rank}"
        raise DataError(f"{op}: expected a batch {layout}. {_received(x)}")
    if x.ndim == 0 or x.shape[0] == 0:
        raise DataError(f"{op}: expected a non-empty batch. {_received(x)}")
    kind = x.dtype.kind
    if kind not in "uif":
        raise DataError(f"{op}: expected an integer or float array. {_received(x)}")
    if channels is not None and x.shape[-1] != channels and (isinstance(channels, int) or x.shape[-1] not in channels):
        allowed = (channels,) if isinstance(channels, int) else tuple(channels)
        raise DataError(f"{op}: expected {' or '.join(map(str, allowed))} channel(s). {_received(x)}")
    if kind == "f" and not np.isfinite(x).all():
        raise DataError(f"{op}: input holds NaN or inf. {_received(x)}")
    return x


def _received(x: np.ndarray) -> str:
    return f"Received: shape={x.shape} dtype={x.dtype}"


def check_int(op: str, name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer parameter within [minimum, maximum] (bools are not integers here)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum or (
        maximum is not None and value > maximum
    ):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise param_error(op, name, value, f"an integer >= {minimum}{upper}")
    return int(value)


def check_number(op: str, name: str, value: Any, *, minimum: float | None = None, positive: bool = False) -> float:
    """A real-number parameter, optionally > 0 or >= minimum."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and bool(np.isfinite(value))
    if ok and positive and value <= 0:
        ok = False
    if ok and minimum is not None and value < minimum:
        ok = False
    if not ok:
        what = "a positive number" if positive else f"a number >= {minimum}" if minimum is not None else "a number"
        raise param_error(op, name, value, what)
    return float(value)


def check_choice(op: str, name: str, value: Any, choices) -> Any:
    """One of a fixed set of names; the message lists them."""
    if not isinstance(value, str) or value not in choices:
        raise param_error(op, name, value, f"one of {', '.join(repr(c) for c in choices)}")
    return value
