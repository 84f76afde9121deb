"""Adversarial examples: the fast gradient sign method and training against it.

FGSM (Goodfellow, Shlens and Szegedy, "Explaining and Harnessing Adversarial Examples", ICLR 2015)
moves every input value by ``eps`` in the direction that raises the loss the most to first order:
``x_adv = clip(x + eps * sign(grad_x loss(model(x), y)))``. It needs one gradient per example,
so it is cheap enough to craft inside every training step (adversarial training, same paper).

Both work on the float tf_keras model in its *input* space (the pipeline's output, e.g. pixels
scaled to [0, 1]); ``pipelines.robustness`` maps raw images into that space and back.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import ConfigError
from models.backend import keras, tf

#: examples per gradient batch in ``fgsm`` (bounded memory on 10k-image test sets)
FGSM_BATCH = 256


def check_eps(eps) -> float:
    """``eps`` as a float, or ConfigError: a perturbation size must be a finite number >= 0."""
    try:
        value = float(eps)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value < 0:
        raise ConfigError(f"Expected an FGSM epsilon as a finite number >= 0. Received: eps={eps!r}")
    return value


def output_activation(model) -> str | None:
    """Name of the activation the model ends with ('softmax', 'sigmoid', 'linear', ...), or None."""
    layers = getattr(model, "layers", None)
    if not layers:
        return None
    last = layers[-1]
    if isinstance(last, keras.layers.Softmax):
        return "softmax"
    activation = getattr(last, "activation", None)
    if activation is None:
        return None
    name = keras.activations.serialize(activation)
    return name if isinstance(name, str) else getattr(activation, "__name__", None)


def default_loss(model, y=None):
    """The classification loss FGSM ascends: cross-entropy matched to the model's output.

    Probabilities (softmax/sigmoid last) use ``from_logits=False``, anything else is taken as
    logits; one-hot ``y`` (2-D with more than one column) selects the categorical form.
    """
    activation = output_activation(model)
    probabilities = activation in ("softmax", "sigmoid")
    one_hot = y is not None and np.ndim(y) == 2 and np.shape(y)[1] > 1
    if activation == "sigmoid" and not one_hot:
        return keras.losses.BinaryCrossentropy(from_logits=False)
    if one_hot:
        return keras.losses.CategoricalCrossentropy(from_logits=not probabilities)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=not probabilities)


def input_gradient(model, x, y, loss):
    """grad_x loss(y, model(x)) for one tensor batch (inference mode: dropout/BN frozen)."""
    x = tf.convert_to_tensor(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss_value = loss(y, model(x, training=False))
    return tape.gradient(loss_value, x)


def _perturb(x, grad, eps: float, clip):
    x_adv = x + eps * tf.sign(grad)
    if clip is not None:
        x_adv = tf.clip_by_value(x_adv, clip[0], clip[1])
    return x_adv


def _check_clip(clip):
    if clip is None:
        return None
    try:
        low, high = (float(v) for v in clip)
    except (TypeError, ValueError):
        low = high = float("nan")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ConfigError(f"Expected clip as None or (low, high) with low < high. Received: clip={clip!r}")
    return (low, high)


def fgsm(model, x, y, eps, *, loss=None, clip=(0.0, 1.0), batch_size: int = FGSM_BATCH) -> np.ndarray:
    """FGSM examples for ``x`` (model-input space) with labels ``y``; float32, same shape as x.

    ``model`` is any callable ``model(x, training=False)`` (a tf_keras model, or a wrapper that
    prepends a differentiable preprocessing); ``loss`` defaults to :func:`default_loss`.
    ``clip`` keeps the result in the valid input range (``None``: no clipping). Components with
    a zero gradient are left unchanged (sign(0) = 0).
    """
    eps = check_eps(eps)
    clip = _check_clip(clip)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y)
    if len(x) != len(y):
        raise ConfigError(f"Expected one label per example. Received: len(x)={len(x)} len(y)={len(y)}")
    if eps == 0.0:
        out = x.copy()
        return np.clip(out, *clip) if clip is not None else out
    loss = loss if loss is not None else default_loss(model, y)
    out = np.empty_like(x)
    for start in range(0, len(x), batch_size):
        xb = tf.constant(x[start:start + batch_size])
        grad = input_gradient(model, xb, y[start:start + batch_size], loss)
        if grad is None:
            raise ConfigError("Expected a model differentiable w.r.t. its input. Received: no gradient path")
        out[start:start + batch_size] = _perturb(xb, grad, eps, clip).numpy()
    return out


class AdversarialModel(keras.Model):
    """Wraps ``inner`` so that ``fit`` trains on clean and FGSM examples mixed in every batch.

    In each training step the first ``round(ratio * batch)`` examples of the batch are replaced by
    their FGSM versions, crafted against the current weights (the mix of Kurakin et al. 2017,
    "Adversarial Machine Learning at Scale"; ``ratio=0.5`` is Goodfellow et al.'s alpha = 0.5).
    Evaluation and prediction use clean inputs. Compile the wrapper as usual; save ``.inner``
    (the wrapper holds no weights of its own and is not meant to be serialized).
    ``save_weights``/``load_weights`` act on ``inner``, so a checkpoint callback on the wrapper
    writes files the bare model loads.
    """

    def __init__(self, inner, eps: float, ratio: float = 0.5, *, clip=(0.0, 1.0), loss=None, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.eps = check_eps(eps)
        if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not 0.0 <= ratio <= 1.0:
            raise ConfigError(f"Expected an adversarial ratio in [0, 1]. Received: ratio={ratio!r}")
        self.ratio = float(ratio)
        self.clip = _check_clip(clip)
        self.craft_loss = loss

    def call(self, inputs, training=None):
        return self.inner(inputs, training=training)

    def save_weights(self, *args, **kwargs):
        return self.inner.save_weights(*args, **kwargs)

    def load_weights(self, *args, **kwargs):
        return self.inner.load_weights(*args, **kwargs)

    def mix_batch(self, x, y):
        """The batch with its first round(ratio * n) examples replaced by FGSM examples."""
        if self.eps == 0.0 or self.ratio == 0.0:
            return x
        if self.craft_loss is None:
            self.craft_loss = default_loss(self.inner)
        x = tf.cast(x, tf.float32)
        x_adv = tf.stop_gradient(_perturb(x, input_gradient(self.inner, x, y, self.craft_loss), self.eps, self.clip))
        n = tf.shape(x)[0]
        k = tf.cast(tf.round(self.ratio * tf.cast(n, tf.float32)), tf.int32)
        mask = tf.range(n) < k
        mask = tf.reshape(mask, tf.concat([[n], tf.ones([tf.rank(x) - 1], tf.int32)], axis=0))
        return tf.where(mask, x_adv, x)

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        x = self.mix_batch(x, y)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return self.compute_metrics(x, y, y_pred, sample_weight)
