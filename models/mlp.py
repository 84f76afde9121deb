"""The multilayer perceptron: Dense layers with per-layer activation, dropout, batch norm, L2.

Classification ends in softmax (cross-entropy loss); regression ends in a Dense output with
``output_activation`` none / relu / softplus / sigmoid / tanh (loss mse / mae / huber is a
training choice). Inputs of any rank are flattened first, so raw images can feed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.activations import resolve_activation
from models.registry import (
    Head,
    add_head,
    check_fraction,
    check_non_negative,
    check_output_activation,
    per_layer,
    register_builder,
    regularizer,
)


@dataclass
class MlpParams:
    """Config keys of ``[model]`` for ``builder = "mlp"``."""

    hidden: list[int] = field(default_factory=lambda: [128, 64])  # two layers: enough for MNIST-5k
    activation: str | dict | list = "relu"  # one for all layers, or one per layer
    dropout: float | list = 0.0  # after each hidden layer; a list gives one per layer
    batch_norm: bool = False  # between Dense and activation (Ioffe & Szegedy)
    l2: float = 0.0  # weight decay on every kernel
    output_activation: str = "none"  # regression only: none, relu, softplus, sigmoid, tanh

    def check(self) -> None:
        from edge_runtime.errors import ConfigError

        if any(isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden):
            raise ConfigError(f"Expected model.hidden a list of positive integers. Received: hidden={self.hidden!r}")
        n = len(self.hidden)
        for i, spec in enumerate(per_layer("activation", self.activation, n)):
            resolve_activation(spec, f"model.activation[{i}]")
        for rate in per_layer("dropout", self.dropout, n):
            check_fraction("dropout", rate)
        check_non_negative("l2", self.l2)
        check_output_activation(self.output_activation)


def dense_stack(x, params: MlpParams):
    """The hidden layers: Dense (widened for maxout) -> [BatchNorm] -> activation -> [Dropout]."""
    from models.backend import keras

    n = len(params.hidden)
    activations = per_layer("activation", params.activation, n)
    dropouts = per_layer("dropout", params.dropout, n)
    for i, (units, spec, rate) in enumerate(zip(params.hidden, activations, dropouts, strict=True)):
        act = resolve_activation(spec, f"model.activation[{i}]")
        x = keras.layers.Dense(units * act.widen, use_bias=not params.batch_norm,
                               kernel_regularizer=regularizer(params.l2), name=f"dense_{i}")(x)
        if params.batch_norm:
            x = keras.layers.BatchNormalization(name=f"bn_{i}")(x)
        x = act.layer()(x)
        if rate > 0:
            x = keras.layers.Dropout(rate, name=f"dropout_{i}")(x)
    return x


@register_builder("mlp", MlpParams)
def build_mlp(params: MlpParams, input_shape: tuple[int, ...], head: Head):
    """Multilayer perceptron on features (or flattened images)."""
    return mlp_model(params, input_shape, head, "mlp")


def mlp_model(params: MlpParams, input_shape: tuple[int, ...], head: Head, name: str):
    """The MLP as a functional Keras model called ``name``."""
    from models.backend import keras

    inputs = keras.Input(shape=input_shape, name="input")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    x = dense_stack(x, params)
    outputs = add_head(x, head, params.output_activation, params.l2)
    return keras.Model(inputs, outputs, name=name)
