"""tensorflow-model-optimization: the Keras models behind qat-, pruned-, clustered- and pqat- variants.

Each builder takes the trained float model and a fine-tuning set and returns a new Keras model
(the original is never modified) that the converters then turn into int8 artifacts. Layers that
tfmot does not know (custom layers) are left as they are rather than failing the whole model:
the int8 converter still calibrates them on the representative set.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from export.config import ExportConfig
from export.errors import ExportError
from export.workarounds import cluster_supports, keep_pruned_zeros, prune_supports, qat_supports

BATCH_SIZE = 32
#: pruning reaches its final sparsity at this fraction of the fine-tuning steps; the rest recovers accuracy
PRUNE_END_FRACTION = 0.5


@dataclass
class FineTuneSet:
    """Preprocessed inputs, targets and the loss that fits them; ``origin`` says where targets came from."""

    x: np.ndarray
    y: np.ndarray
    loss: object
    origin: str  # "labels" (finetune_y from the run) or "teacher" (the float model's outputs)


def finetune_set(model, task: str, x: np.ndarray, y: np.ndarray | None) -> FineTuneSet:
    """Targets and loss for fine-tuning: true labels when the run has them, else the model's own outputs."""
    from models.backend import keras

    teacher = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float32)
    if task == "regression":
        return FineTuneSet(x, teacher if y is None else np.asarray(y, np.float32), "mse",
                           "teacher" if y is None else "labels")
    probabilities = bool(np.all(teacher >= 0) and np.all(teacher <= 1))
    binary = teacher.shape[-1] == 1
    if y is not None:
        if binary:
            loss = keras.losses.BinaryCrossentropy(from_logits=not probabilities)
        else:
            rows_sum_to_one = probabilities and np.allclose(teacher.sum(axis=-1), 1.0, atol=1e-3)
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=not rows_sum_to_one)
        return FineTuneSet(x, np.asarray(y), loss, "labels")
    if probabilities:  # distillation on soft targets
        loss = keras.losses.BinaryCrossentropy() if binary else keras.losses.CategoricalCrossentropy()
        return FineTuneSet(x, teacher, loss, "teacher")
    return FineTuneSet(x, teacher, "mse", "teacher")


def _fit(model, data: FineTuneSet, config: ExportConfig, learning_rate: float, callbacks=()):
    """Fine-tune ``model`` with Adam and a cosine-decayed rate, in an order drawn from ``config.seed``.

    Each epoch is one ``fit`` call on a permutation from a seeded numpy Generator (not Keras'
    shuffle, which draws from TensorFlow's global state), so the same run and seed give the same
    weights and the same bundle bytes.
    """
    from models.backend import keras

    _reseed(config)
    epochs = epochs_for(config, len(data.x))
    steps = epochs * math.ceil(len(data.x) / BATCH_SIZE)
    # cosine decay to zero: large steps while the weights adapt, a gentle finish (no tuning needed)
    rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(rate), loss=data.loss)
    order = np.random.default_rng(config.seed)
    for _ in range(epochs):
        batch = order.permutation(len(data.x))
        model.fit(data.x[batch], data.y[batch], epochs=1, batch_size=BATCH_SIZE, shuffle=False, verbose=0,
                  callbacks=list(callbacks))
    return model


def _reseed(config: ExportConfig) -> None:
    """Seed Python, numpy and TensorFlow (dropout, clustering's k-means++ start) from ``config.seed``."""
    from models.backend import keras

    keras.utils.set_random_seed(config.seed)


def _kernel_size(layer) -> int:
    return int(sum(np.prod(w.shape) for w in layer.trainable_weights if len(w.shape) >= 2))


def epochs_for(config: ExportConfig, samples: int) -> int:
    """``finetune_epochs``, raised until the fine-tuning makes at least ``finetune_min_steps`` updates."""
    per_epoch = math.ceil(samples / BATCH_SIZE)
    return max(config.finetune_epochs, math.ceil(config.finetune_min_steps / per_epoch))


def _copy(model):
    """A fresh clone with the same weights: tfmot's model-level calls must not share layers."""
    from models.backend import keras

    try:
        clone = keras.models.clone_model(model)
    except Exception as exc:  # subclassed models cannot be cloned
        raise ExportError(f"tfmot variants need a Sequential or functional model; cloning failed: {exc}") from exc
    clone.set_weights(model.get_weights())
    return clone


def _quantize_scope():
    import tensorflow_model_optimization as tfmot

    from models import custom_objects

    return tfmot.quantization.keras.quantize_scope(custom_objects())


def _annotate_for_qat(model):
    """quantize_annotate every layer the default 8-bit registry knows; others stay float in the graph."""
    import tensorflow_model_optimization as tfmot

    annotate = tfmot.quantization.keras.quantize_annotate_layer
    return _clone_with(model, lambda layer: annotate(layer) if qat_supports(layer) else layer)


def _clone_with(model, transform: Callable):
    """Clone ``model`` applying ``transform`` to each layer of a private, trained copy.

    The copy's layers are built and hold the trained weights, so wrappers that read weights at
    build time (clustering centroids) see the trained values; the caller's model is untouched.
    """
    from models.backend import keras

    return keras.models.clone_model(_copy(model), clone_function=transform)


def qat(model, data: FineTuneSet, config: ExportConfig):
    """Quantization-aware training: fake-quant (8-bit) layers, fine-tuned a few epochs."""
    import tensorflow_model_optimization as tfmot

    with _quantize_scope():
        model_q = tfmot.quantization.keras.quantize_apply(_annotate_for_qat(model))
    return _fit(model_q, data, config, config.quantize_learning_rate)


def pruned(model, data: FineTuneSet, config: ExportConfig):
    """Magnitude pruning with PolynomialDecay to ``config.sparsity`` during fine-tuning, then stripped."""
    import tensorflow_model_optimization as tfmot

    steps = epochs_for(config, len(data.x)) * math.ceil(len(data.x) / BATCH_SIZE)
    frequency = max(1, steps // 20)
    end_step = max(frequency, (int(steps * PRUNE_END_FRACTION) // frequency) * frequency)  # a pruning step lands on end_step
    prunable = [layer for layer in model.layers
                if _kernel_size(layer) >= config.prune_min_weights and prune_supports(layer)]
    if not prunable:
        raise ExportError(f"pruning needs a layer with at least {config.prune_min_weights} kernel weights; "
                          "this model has none (lower prune_min_weights)")
    # config.sparsity counts every kernel: the layers too small to prune leave a little more to the others
    total = sum(_kernel_size(layer) for layer in model.layers)
    target = min(0.95, config.sparsity * total / sum(_kernel_size(layer) for layer in prunable))
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=target, begin_step=0, end_step=end_step, frequency=frequency
    )
    prune = tfmot.sparsity.keras.prune_low_magnitude
    names = {layer.name for layer in prunable}

    def wrap(layer):
        return prune(layer, pruning_schedule=schedule) if layer.name in names else layer

    model_p = _clone_with(model, wrap)
    _fit(model_p, data, config, config.finetune_learning_rate, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    return tfmot.sparsity.keras.strip_pruning(model_p)


def clustered(model, data: FineTuneSet, config: ExportConfig):
    """Weight clustering to ``config.clusters`` centroids per layer (k-means++ init), fine-tuned, stripped."""
    import tensorflow_model_optimization as tfmot

    cluster = tfmot.clustering.keras.cluster_weights
    init = tfmot.clustering.keras.CentroidInitialization.KMEANS_PLUS_PLUS

    def wrap(layer):
        if layer.trainable_weights and cluster_supports(layer):
            return cluster(layer, number_of_clusters=config.clusters, cluster_centroids_init=init)
        return layer

    _reseed(config)
    model_c = _clone_with(model, wrap)
    _fit(model_c, data, config, config.quantize_learning_rate)
    return tfmot.clustering.keras.strip_clustering(model_c)


def pqat(model, data: FineTuneSet, config: ExportConfig):
    """Pruning-preserving QAT: prune first, then QAT with a scheme that keeps the zeros at zero."""
    import tensorflow_model_optimization as tfmot

    sparse = pruned(model, data, config)
    scheme = tfmot.experimental.combine.Default8BitPrunePreserveQuantizeScheme()
    with _quantize_scope():
        model_q = tfmot.quantization.keras.quantize_apply(_annotate_for_qat(sparse), scheme)
    return _fit(model_q, data, config, config.quantize_learning_rate, callbacks=[keep_pruned_zeros(model_q)])


def identity(model, data: FineTuneSet | None, config: ExportConfig):
    """The trained float model itself."""
    return model


#: source name -> builder(model, finetune set, config) -> Keras model the converters start from
SOURCES: dict[str, Callable] = {
    "float": identity,
    "qat": qat,
    "pruned": pruned,
    "clustered": clustered,
    "pqat": pqat,
}
#: sources that need gradient fine-tuning (so a model trained by its own rule, e.g. a perceptron, cannot)
FINETUNED = ("qat", "pruned", "clustered", "pqat")


def trained_by_gradient(model) -> bool:
    """False when the model overrides ``train_step`` (its own learning rule: tfmot cannot fine-tune it)."""
    from models.backend import keras

    return type(model).train_step is keras.Model.train_step


def sparsity(model) -> float:
    """Fraction of exactly-zero weights among kernels (arrays with 2+ dimensions)."""
    kernels = [w for w in model.get_weights() if np.ndim(w) >= 2]
    total = sum(w.size for w in kernels)
    return float(sum(int(np.sum(w == 0)) for w in kernels) / total) if total else 0.0
