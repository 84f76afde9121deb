"""The activation registry: every hidden-layer activation by name, with its parameters.

A config names an activation as a string (``"relu"``) or a table with parameters
(``{name = "leaky_relu", alpha = 0.2}``). Each entry makes a Keras layer placed after a Dense
or convolution layer; ``widen`` says how many linear features per unit that layer must compute
(``maxout`` takes the max over ``pieces`` linear pieces, so the layer before it is widened).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_runtime.errors import ConfigError


@dataclass(frozen=True)
class ActivationDef:
    """How to make one activation: its parameters' defaults and a layer factory."""

    name: str
    defaults: dict[str, Any]
    make: Callable[..., Any]  # (**params) -> keras layer
    widen_param: str | None = None  # parameter that multiplies the preceding layer's width


def _keras_activation(name: str):
    def make():
        from models.backend import keras

        return keras.layers.Activation(name)

    return make


def _leaky_relu(alpha: float):
    from models.backend import keras

    return keras.layers.LeakyReLU(alpha=alpha)


def _elu(alpha: float):
    from models.backend import keras

    return keras.layers.ELU(alpha=alpha)


def _maxout(pieces: int):
    from models.layers import Maxout

    return Maxout(pieces=pieces)


ACTIVATIONS: dict[str, ActivationDef] = {
    **{name: ActivationDef(name, {}, _keras_activation(name))
       for name in ("sigmoid", "tanh", "relu", "selu", "softplus", "softmax")},
    # alpha 0.1: a visible slope for negative inputs, not Keras's 0.3 nor PyTorch's 0.01
    "leaky_relu": ActivationDef("leaky_relu", {"alpha": 0.1}, _leaky_relu),
    "elu": ActivationDef("elu", {"alpha": 1.0}, _elu),
    "maxout": ActivationDef("maxout", {"pieces": 2}, _maxout, widen_param="pieces"),
}


@dataclass(frozen=True)
class Activation:
    """A resolved activation: definition plus parameters."""

    definition: ActivationDef
    params: dict[str, Any]

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def widen(self) -> int:
        """Linear features per output unit the preceding layer must produce."""
        key = self.definition.widen_param
        return int(self.params[key]) if key else 1

    def layer(self):
        """A new Keras layer applying this activation."""
        return self.definition.make(**self.params)


def resolve_activation(spec: str | dict, where: str = "activation") -> Activation:
    """Parse ``"relu"`` or ``{"name": "leaky_relu", "alpha": 0.2}``; unknown names list the known ones."""
    if isinstance(spec, str):
        name, given = spec, {}
    elif isinstance(spec, dict) and isinstance(spec.get("name"), str):
        name, given = spec["name"], {k: v for k, v in spec.items() if k != "name"}
    else:
        raise ConfigError(
            f"{where}: expected an activation name or a table with a 'name' key. Received: {where}={spec!r}"
        )
    if name not in ACTIVATIONS:
        raise ConfigError(f"{where}: unknown activation {name!r}. Expected one of: {', '.join(ACTIVATIONS)}")
    definition = ACTIVATIONS[name]
    unknown = sorted(set(given) - set(definition.defaults))
    if unknown:
        allowed = ", ".join(definition.defaults) or "(none)"
        raise ConfigError(f"{where}: {name} has no parameter {unknown[0]!r}. Expected one of: {allowed}")
    params = {**definition.defaults, **given}
    for key, default in definition.defaults.items():
        value = params[key]
        expected = type(default)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) if expected is float else (
            isinstance(value, expected) and not isinstance(value, bool))
        if not ok:
            raise ConfigError(f"{where}: expected {name}.{key} a {expected.__name__}. Received: {key}={value!r}")
        params[key] = expected(value)
    if definition.widen_param and params[definition.widen_param] < 2:
        raise ConfigError(f"{where}: expected maxout pieces >= 2. Received: pieces={params['pieces']!r}")
    return Activation(definition, params)
