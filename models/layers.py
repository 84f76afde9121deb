"""Custom Keras layers of edgenn, registered in ``models.CUSTOM_OBJECTS`` for loading.

Each layer's ``get_config()`` returns exactly its constructor arguments (a test round-trips
them), and each lowers to TFLite builtin ops and ONNX standard ops only.
"""

from __future__ import annotations

from edge_runtime.errors import ConfigError
from models import CUSTOM_OBJECTS
from models.backend import keras, tf


def _register(cls):
    """Make ``cls`` serializable as ``edgenn>Name`` and known to ``models.custom_objects()``."""
    registered = keras.saving.register_keras_serializable(package="edgenn")(cls)
    CUSTOM_OBJECTS[f"edgenn>{cls.__name__}"] = registered
    CUSTOM_OBJECTS[cls.__name__] = registered
    return registered


@_register
class Maxout(keras.layers.Layer):
    """Maxout (Goodfellow et al., 2013): the max over ``pieces`` linear pieces per unit.

    The layer before it computes ``units * pieces`` linear features (a Dense or Conv layer
    widened by ``pieces``); Maxout takes the max over each group of ``pieces`` consecutive
    features of the last axis, like ``tfa.layers.Maxout(num_units=units)``. It lowers to a
    reshape and a max-reduction (TFLite RESHAPE + REDUCE_MAX, ONNX Reshape + ReduceMax).
    """

    def __init__(self, pieces: int = 2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 2:
            raise ConfigError(f"Maxout: expected pieces an integer >= 2. Received: pieces={pieces!r}")
        self.pieces = pieces

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % self.pieces:
            raise ConfigError(
                f"Maxout: expected the last axis to be a multiple of pieces={self.pieces}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        super().build(input_shape)

    def call(self, inputs):
        static = inputs.shape
        units = static[-1] // self.pieces
        # static inner dimensions keep the reshape a constant-shape RESHAPE in TFLite
        inner = [d if d is not None else -1 for d in static[1:-1]]
        grouped = tf.reshape(inputs, [-1, *inner, units, self.pieces])
        return tf.reduce_max(grouped, axis=-1)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([*input_shape[:-1], input_shape[-1] // self.pieces])

    def get_config(self):
        return {**super().get_config(), "pieces": self.pieces}


@_register
class Heaviside(keras.layers.Layer):
    """The threshold logic unit's step: 1 where the net input is >= 0, else 0 (float32).

    Not differentiable, which is the point: the perceptron learns with its own rule.
    Lowers to GREATER_EQUAL + CAST (TFLite) / GreaterOrEqual + Cast (ONNX).
    """

    def call(self, inputs):
        return tf.cast(tf.greater_equal(inputs, 0.0), inputs.dtype)


@_register
class BinaryAsTwoColumns(keras.layers.Layer):
    """(N, 1) step output s -> (N, 2) [1 - s, s], so argmax gives the class as for softmax heads."""

    def call(self, inputs):
        return tf.concat([1.0 - inputs, inputs], axis=-1)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape([input_shape[0], 2])
