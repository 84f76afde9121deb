"""Workarounds for third-party bugs, each with the issue it works around and when it can go.

Keep every one here, small and named, so removing it later is one deletion.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np


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
def tflite_debugger_interpreter_warning():
    """Silence "tf.lite.Interpreter is deprecated" while ``tf.lite.experimental.QuantizationDebugger`` runs.

    TF 2.21's quantization debugger (the documented way to keep chosen nodes float in a
    full-integer model) creates the deprecated ``tf.lite.Interpreter`` itself
    (``tensorflow/lite/tools/optimize/debugging/python/debugger.py``); the artifact is then run
    and validated in ai_edge_litert like every other. Remove when the debugger uses LiteRT.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated", category=UserWarning)
        yield


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
