"""Rosenblatt's perceptron: threshold logic units trained by the perceptron learning rule.

Each unit computes step(w.x + b) (Heaviside: 1 if >= 0). Training is not gradient descent:
``train_step`` applies w <- w + eta (y - y_hat) x (summed over the batch; batch size 1 is the
classic online rule), with eta the optimizer's learning rate. Two classes use one unit whose
output s becomes the columns [1 - s, s]; more classes use one unit per class (one-vs-rest).
A single layer of such units separates only linearly separable classes: AND and OR yes, XOR no.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.registry import Head, register_builder


@dataclass
class PerceptronParams:
    """Config keys of ``[model]`` for ``builder = "perceptron"``: none beyond the builder."""

    def check(self) -> None:
        """Nothing to check: the units follow from the class count, eta from optimizer.lr."""


def perceptron_error(y_true, y_pred):
    """Per-sample error of the threshold units: 0 when the true class's unit fires alone, else 1.

    The loss reported for a perceptron (its rule minimises misclassifications, not a
    differentiable loss); the rule itself never uses it.
    """
    from models.backend import tf

    target = tf.one_hot(tf.cast(tf.reshape(y_true, [-1]), tf.int32), tf.shape(y_pred)[-1], dtype=y_pred.dtype)
    return tf.reduce_max(tf.abs(target - y_pred), axis=-1)


def perceptron_class():
    """The Keras model class (defined on first use, so importing this module needs no TensorFlow)."""
    global _PERCEPTRON
    if _PERCEPTRON is not None:
        return _PERCEPTRON
    from models import CUSTOM_OBJECTS
    from models.backend import keras, tf

    @keras.saving.register_keras_serializable(package="edgenn")
    class Perceptron(keras.Model):
        """A functional model whose ``train_step`` is the perceptron learning rule."""

        def train_step(self, data):
            x, y = data[0], data[1]
            tlu = self.get_layer("tlu")
            x = tf.cast(x, tlu.kernel.dtype)
            y_pred = self(x, training=False)  # metrics judge the prediction the rule corrects
            fired = tf.cast(tf.matmul(x, tlu.kernel) + tlu.bias >= 0.0, x.dtype)
            units = tlu.kernel.shape[-1]
            labels = tf.cast(tf.reshape(y, [-1]), tf.int32)
            target = tf.cast(tf.reshape(labels, [-1, 1]), x.dtype) if units == 1 else tf.one_hot(labels, units, dtype=x.dtype)
            error = target - fired  # y - y_hat per unit: -1, 0 or +1
            eta = tf.cast(self.optimizer.learning_rate, x.dtype)
            tlu.kernel.assign_add(eta * tf.matmul(x, error, transpose_a=True))
            tlu.bias.assign_add(eta * tf.reduce_sum(error, axis=0))
            self.optimizer.iterations.assign_add(1)
            self.compute_loss(x, y, y_pred)
            return self.compute_metrics(x, y, y_pred, None)

    _PERCEPTRON = Perceptron
    CUSTOM_OBJECTS["edgenn>Perceptron"] = Perceptron
    CUSTOM_OBJECTS["Perceptron"] = Perceptron
    return Perceptron


_PERCEPTRON = None


@register_builder("perceptron", PerceptronParams, input_ranks=(1,), tasks=("classification",))
def build_perceptron(params: PerceptronParams, input_shape: tuple[int, ...], head: Head):
    """Threshold logic units (Heaviside outputs) trained with the perceptron rule."""
    from models.backend import keras
    from models.layers import BinaryAsTwoColumns, Heaviside

    units = 1 if head.units == 2 else head.units
    inputs = keras.Input(shape=input_shape, name="input")
    net = keras.layers.Dense(units, kernel_initializer="zeros", name="tlu")(inputs)
    outputs = Heaviside(name="step")(net)
    if units == 1:
        outputs = BinaryAsTwoColumns(name="classes")(outputs)
    return perceptron_class()(inputs, outputs, name="perceptron")
