"""The convolutional network: blocks of conv -> [batch norm] -> activation -> [max pool], then a dense head.

``separable = true`` uses depthwise-separable convolutions (MobileNet's trick: about k*k
times fewer multiply-accumulates per layer), the usual choice on an edge device.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.activations import resolve_activation
from models.mlp import MlpParams, dense_stack
from models.registry import (
    Head,
    add_head,
    check_fraction,
    check_non_negative,
    check_output_activation,
    register_builder,
    regularizer,
)


@dataclass
class CnnParams:
    """Config keys of ``[model]`` for ``builder = "cnn"``. Defaults: the ~57k-parameter MNIST CNN."""

    filters: list[int] = field(default_factory=lambda: [16, 32])  # one conv block per entry
    kernel_size: int = 3
    padding: str = "valid"  # valid shrinks 28 -> 26 -> 13 -> 11 -> 5: a small dense head
    separable: bool = False  # depthwise-separable convolutions (after the first block)
    batch_norm: bool = False
    activation: str | dict = "relu"
    pool: int = 2  # max-pool size after each block; 0 for none
    global_pool: bool = False  # global average pooling instead of flattening
    dense: list[int] = field(default_factory=lambda: [64])  # hidden units of the head
    dropout: float = 0.0  # before the head's Dense layers
    l2: float = 0.0
    output_activation: str = "none"  # regression only

    def check(self) -> None:
        from edge_runtime.errors import ConfigError

        if not self.filters or any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in self.filters):
            raise ConfigError(f"Expected model.filters a non-empty list of positive integers. Received: filters={self.filters!r}")
        if self.kernel_size < 1:
            raise ConfigError(f"Expected model.kernel_size >= 1. Received: kernel_size={self.kernel_size!r}")
        if self.padding not in ("valid", "same"):
            raise ConfigError(f"Expected model.padding 'valid' or 'same'. Received: padding={self.padding!r}")
        if self.pool < 0 or self.pool == 1:
            raise ConfigError(f"Expected model.pool 0 (none) or >= 2. Received: pool={self.pool!r}")
        resolve_activation(self.activation, "model.activation")
        check_fraction("dropout", self.dropout)
        check_non_negative("l2", self.l2)
        check_output_activation(self.output_activation)
        self.head_params().check()

    def head_params(self) -> MlpParams:
        return MlpParams(hidden=list(self.dense), activation=self.activation, dropout=self.dropout,
                         batch_norm=self.batch_norm, l2=self.l2)


@register_builder("cnn", CnnParams, input_ranks=(3,))
def build_cnn(params: CnnParams, input_shape: tuple[int, ...], head: Head):
    """Convolutional blocks, then a dense head (softmax or regression)."""
    from models.backend import keras

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    act = resolve_activation(params.activation, "model.activation")
    for i, filters in enumerate(params.filters):
        width = filters * act.widen
        # the first block sees 1-3 channels: a separable conv would save nothing there
        if params.separable and i > 0:
            conv = keras.layers.SeparableConv2D(width, params.kernel_size, padding=params.padding,
                                                use_bias=not params.batch_norm, name=f"sepconv_{i}",
                                                depthwise_regularizer=regularizer(params.l2),
                                                pointwise_regularizer=regularizer(params.l2))
        else:
            conv = keras.layers.Conv2D(width, params.kernel_size, padding=params.padding,
                                       use_bias=not params.batch_norm, name=f"conv_{i}",
                                       kernel_regularizer=regularizer(params.l2))
        x = conv(x)
        if params.batch_norm:
            x = keras.layers.BatchNormalization(name=f"conv_bn_{i}")(x)
        x = act.layer()(x)
        if params.pool and min(x.shape[1], x.shape[2]) >= params.pool:
            x = keras.layers.MaxPooling2D(params.pool, name=f"pool_{i}")(x)
    if params.global_pool:
        x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
    if params.dropout > 0:
        x = keras.layers.Dropout(params.dropout, name="dropout_head")(x)
    x = dense_stack(x, params.head_params())
    outputs = add_head(x, head, params.output_activation, params.l2)
    return keras.Model(inputs, outputs, name="cnn")
