"""Workarounds for third-party bugs, each with the issue it works around and when it can go.

Keep every one here, small and named, so removing it later is one deletion. The private APIs of
the converter and of tfmot are here too, each behind a function that says why, and listed in
:data:`PRIVATE_APIS` for ``tests/export/test_workarounds.py`` (the device side's are in
``edge_runtime.workarounds``).
"""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

from edge_runtime.workarounds import MissingPrivateApi, require_attribute


@contextlib.contextmanager
def tflite_integer_io_warning():
    """Silence TFLite's "Statistics for quantized inputs were expected" UserWarning.

    ``tensorflow/lite/python/convert.py`` warns whenever ``inference_input_type`` is an integer
    type, although with a representative dataset the converter computes the input scale and
    zero point itself (they are in the flatbuffer; tests check them). The message is the legacy
    ``quantized_input_stats`` path's; see tensorflow/tensorflow#63987 where it shows in every
    int8 conversion log. Remove when TensorFlow stops warning on integer I/O with calibration.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected", category=UserWarning)
        yield


@contextlib.contextmanager
def ort_debris_in(directory):
    """Run onnxruntime's quantization pre-processing with ``directory`` as the working directory.

    When symbolic shape inference is incomplete (raw-frame models), onnxruntime 1.31's
    ``tools/symbolic_shape_infer.py`` saves ``sym_shape_infer_temp.onnx`` and uuid-named external
    data files into the *current* directory before raising: a user's folder would collect them.
    Remove when onnxruntime stops writing its debug model there.
    """
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def keep_pruned_zeros(model):
    """A Keras callback that puts the pruned zeros back after every training batch.

    tfmot's prune-preserving QAT scheme masks the weights it quantizes, but the zero weights
    themselves drift during fine-tuning and the converted model loses its sparsity
    (tensorflow/model-optimization#720, "pruned zero weights drift away", closed unmerged;
    #721 is the same bug). The mask is taken from the kernels (2+ dimensional weights) when the
    callback is made. Remove when tfmot keeps the zeros itself.
    """
    from models.backend import keras, tf

    masked = [(w, tf.constant((w.numpy() != 0).astype(w.dtype.as_numpy_dtype)))
              for w in model.trainable_weights if len(w.shape) >= 2 and not np.all(w.numpy() != 0)]

    class KeepZeros(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            for weight, mask in masked:
                weight.assign(weight * mask)

    return KeepZeros()


# --- private APIs of the converter and of tfmot -------------------------------------------------
#: TFLiteConverter attribute that switches per-channel weight scales for Dense layers off
_DENSE_PER_CHANNEL = "_experimental_disable_per_channel_quantization_for_dense_layers"


def set_dense_per_channel(converter, per_channel: bool) -> None:
    """Per-channel (True) or per-tensor (False) weight scales for Dense layers in full-integer TFLite.

    The converter's only switch for this is the private attribute above (TF 2.21 ``lite.py`` passes
    it to both quantizers). Setting a Python attribute that no longer exists would silently do
    nothing, so its presence is checked first. Replace when the converter gets a public option.
    """
    require_attribute(converter, _DENSE_PER_CHANNEL, "to choose Dense weight scales in int8 TFLite")
    setattr(converter, _DENSE_PER_CHANNEL, not per_channel)


def qat_supports(layer) -> bool:
    """Whether tfmot's default 8-bit QAT registry knows ``layer`` (others stay float in the graph).

    tfmot exports no public "is this layer quantizable" test; its registry's ``supports`` is what
    ``quantize_apply`` itself consults. Replace when tfmot makes it public.
    """
    return _registry("quantization.keras.default_8bit.default_8bit_quantize_registry",
                     "Default8BitQuantizeRegistry")().supports(layer)


def prune_supports(layer) -> bool:
    """Whether tfmot can prune ``layer``: its ``PruneRegistry.supports`` (no public equivalent)."""
    return _registry("sparsity.keras.prune_registry", "PruneRegistry").supports(layer)


def cluster_supports(layer) -> bool:
    """Whether tfmot can cluster ``layer``: its ``ClusteringRegistry.supports`` (no public equivalent)."""
    return _registry("clustering.keras.clustering_registry", "ClusteringRegistry").supports(layer)


def _registry(module: str, name: str):
    import importlib

    path = f"tensorflow_model_optimization.python.core.{module}"
    try:
        found = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("tensorflow_model_optimization.python"):
            raise MissingPrivateApi(f"{path} is gone (edgenn uses its {name} to choose the layers "
                                    "tfmot can wrap)") from None
        raise
    registry = require_attribute(found, name, "to choose the layers tfmot can wrap")
    require_attribute(registry, "supports", "to choose the layers tfmot can wrap")
    return registry


def _check_converter() -> None:
    from models.backend import keras, tf

    model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
    require_attribute(tf.lite.TFLiteConverter.from_keras_model(model), _DENSE_PER_CHANNEL,
                      "to choose Dense weight scales in int8 TFLite")


_USED_FOR_SELECTIVE = "to keep the in-model classical stage float inside an int8 model"


def quantize_keeping_float(converter, nodes: list[str]) -> bytes:
    """Full-integer conversion of a configured ``converter`` with the tensors ``nodes`` kept float.

    TF's public route to selective quantization is ``tf.lite.experimental.QuantizationDebugger``
    with ``denylisted_nodes``; it instruments the model first, which fails on QAT models ("Please
    check if the quantized model is in debug mode"), and it creates the deprecated
    ``tf.lite.Interpreter``. These are the two calls its ``get_nondebug_quantized_model`` makes
    (TF 2.21 ``lite/tools/optimize/debugging/python/debugger.py``). Replace when the converter
    takes denylisted nodes itself.
    """
    from tensorflow.lite.python import convert as lite_convert

    require_attribute(converter, "_experimental_calibrate_only", _USED_FOR_SELECTIVE)
    quantize = require_attribute(lite_convert, "mlir_quantize", _USED_FOR_SELECTIVE)
    converter._experimental_calibrate_only = True
    calibrated = converter.convert()
    return bytes(quantize(calibrated, disable_per_channel=converter._experimental_disable_per_channel,
                          fully_quantize=False, enable_numeric_verify=False, denylisted_nodes=list(nodes)))


def _check_selective() -> None:
    from tensorflow.lite.python import convert as lite_convert

    from models.backend import keras, tf

    model = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(1)])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    for name in ("_experimental_calibrate_only", "_experimental_disable_per_channel"):
        require_attribute(converter, name, _USED_FOR_SELECTIVE)
    require_attribute(lite_convert, "mlir_quantize", _USED_FOR_SELECTIVE)


def _check_tfmot() -> None:
    _registry("quantization.keras.default_8bit.default_8bit_quantize_registry", "Default8BitQuantizeRegistry")
    _registry("sparsity.keras.prune_registry", "PruneRegistry")
    _registry("clustering.keras.clustering_registry", "ClusteringRegistry")


#: what each check covers -> the check (raises MissingPrivateApi when the API is gone)
PRIVATE_APIS = {
    "TFLiteConverter._experimental_disable_per_channel_quantization_for_dense_layers": _check_converter,
    "tfmot's quantize, prune and clustering registries": _check_tfmot,
    "TFLiteConverter calibrate-only and mlir_quantize (selective quantization)": _check_selective,
}
