"""The model-builder registry: ``perceptron``, ``mlp``, ``cnn``, ``hybrid`` by name.

A builder is a params dataclass (validated config data, see ``pipelines.config``) and a
function ``build(params, input_shape, head) -> keras.Model``. The input shape is the
preprocessing pipeline's output for one sample; ``input_ranks`` lets a mismatch between data
and model be caught before any training starts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_runtime.errors import ConfigError, DataError

TASKS = ("classification", "regression")
#: what one sample looks like for each input rank (for error messages)
_RANK_WORDS = {1: "feature vectors (F,)", 3: "images (H, W, C)"}


@dataclass(frozen=True)
class Head:
    """What the network predicts: class scores (softmax) or regression outputs."""

    task: str
    units: int  # number of classes, or regression outputs
    target_mean: float | None = None  # regression: start the output bias at the training mean

    def __post_init__(self):
        if self.task not in TASKS:
            raise ConfigError(f"Expected task one of {TASKS}. Received: task={self.task!r}")
        if self.units < 1 or (self.task == "classification" and self.units < 2):
            raise DataError(f"Expected at least 2 classes or 1 regression output. Received: {self.units} for {self.task}")


@dataclass(frozen=True)
class Builder:
    """One registered model family."""

    name: str
    params: type  # dataclass of the builder's config keys
    build: Callable[..., Any]  # (params, input_shape, head) -> keras.Model
    input_ranks: tuple[int, ...] | None = None  # None: any rank
    tasks: tuple[str, ...] = TASKS
    doc: str = ""

    def check_fits(self, input_shape: tuple[int, ...], head: Head) -> None:
        """Raise DataError when the data (after preprocessing) cannot feed this model."""
        if self.input_ranks is not None and len(input_shape) not in self.input_ranks:
            wanted = " or ".join(_RANK_WORDS.get(r, f"rank-{r} samples") for r in self.input_ranks)
            raise DataError(
                f"model {self.name!r}: expected {wanted} after preprocessing. "
                f"Received: sample shape={tuple(input_shape)}"
            )
        if head.task not in self.tasks:
            raise DataError(
                f"model {self.name!r}: supports {', '.join(self.tasks)} only. Received: a {head.task} dataset"
            )


BUILDERS: dict[str, Builder] = {}
_BUILTIN_MODULES = ("models.perceptron", "models.mlp", "models.cnn", "models.hybrid")


def register_builder(name: str, params: type, *, input_ranks=None, tasks=TASKS):
    """Decorator: register ``build`` under ``name`` with its params dataclass."""

    def wrap(build):
        if name in BUILDERS:
            raise ValueError(f"builder {name!r} is registered twice")
        BUILDERS[name] = Builder(name, params, build, input_ranks, tuple(tasks), (build.__doc__ or "").strip())
        return build

    return wrap


def builders() -> dict[str, Builder]:
    """Every builder, the built-in ones loaded (their modules import TensorFlow lazily)."""
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    builtin = [m.rsplit(".", 1)[1] for m in _BUILTIN_MODULES]  # simplest first, as in the docs
    order = [n for n in builtin if n in BUILDERS] + sorted(set(BUILDERS) - set(builtin))
    return {name: BUILDERS[name] for name in order}  # one order, whichever module registered first


def get_builder(name: str) -> Builder:
    """The builder called ``name``; an unknown name lists the known ones."""
    known = builders()
    if name not in known:
        raise ConfigError(f"Unknown model builder {name!r}. Expected one of: {', '.join(known)}")
    return known[name]


def build_model(name: str, params, input_shape: tuple[int, ...], head: Head):
    """Check that the data fits, then build the named model."""
    builder = get_builder(name)
    builder.check_fits(tuple(input_shape), head)
    return builder.build(params, tuple(input_shape), head)


# shared checks and pieces -----------------------------------------------------------------
def check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"Expected model.{name} in [0, 1). Received: {name}={value!r}")


def check_non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ConfigError(f"Expected model.{name} >= 0. Received: {name}={value!r}")


def per_layer(name: str, value, n: int) -> list:
    """A scalar applies to every layer; a list must have one entry per layer."""
    if isinstance(value, list):
        if len(value) != n:
            raise ConfigError(f"Expected model.{name} with {n} entries (one per layer). Received: {name}={value!r}")
        return list(value)
    return [value] * n


OUTPUT_ACTIVATIONS = ("none", "relu", "softplus", "sigmoid", "tanh")


def add_head(x, head: Head, output_activation: str = "none", l2: float = 0.0):
    """Softmax over classes, or a Dense regression output with the chosen activation.

    Output activations follow the regression MLP table (Geron, ch. 10): none for any value,
    relu/softplus for positive outputs, sigmoid/tanh for bounded ones.
    """
    from models.backend import keras

    if head.task == "classification":
        return keras.layers.Dense(head.units, activation="softmax", kernel_regularizer=regularizer(l2), name="head")(x)
    activation = None if output_activation == "none" else output_activation
    bias = "zeros" if head.target_mean is None else keras.initializers.Constant(head.target_mean)
    return keras.layers.Dense(head.units, activation=activation, kernel_regularizer=regularizer(l2),
                              bias_initializer=bias, name="head")(x)


def check_output_activation(value: str) -> None:
    if value not in OUTPUT_ACTIVATIONS:
        raise ConfigError(
            f"Expected model.output_activation one of {', '.join(OUTPUT_ACTIVATIONS)}. Received: output_activation={value!r}"
        )


def regularizer(l2: float):
    from models.backend import keras

    return keras.regularizers.l2(l2) if l2 > 0 else None
