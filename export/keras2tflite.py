"""Keras (tf_keras) model -> TFLite flatbuffer, in one of the converter's precision modes.

Only builtin TFLite ops are allowed (a LiteRT runtime on a Pi has no TensorFlow kernels), so
``SELECT_TF_OPS`` is never enabled: a model that needs one fails with the op named.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from export.errors import ExportError, UnsupportedOpError
from export.workarounds import set_dense_per_channel, tflite_integer_io_warning


def _fp32(converter, tf, representative):
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]


def _fp16(converter, tf, representative):
    """float16 weights, dequantized to float32 at load: half the size, float arithmetic."""
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]


def _dynamic(converter, tf, representative):
    """int8 weights, activations quantized on the fly per inference (no calibration data)."""
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]


def _int8(converter, tf, representative):
    """Full integer: int8 weights and activations, int8 input and output tensors."""
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # A QAT model fails here without a representative dataset in TF 2.21 (see DESIGN.md): always pass it.
    converter.representative_dataset = _representative(representative)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8


def _int16x8(converter, tf, representative):
    """int16 activations with int8 weights: closer to float than int8, still integer-only."""
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative(representative)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
    ]
    converter.inference_input_type = tf.int16
    converter.inference_output_type = tf.int16


#: mode name -> function that configures a TFLiteConverter for it
MODES: dict[str, Callable] = {
    "fp32": _fp32,
    "fp16": _fp16,
    "dynamic": _dynamic,
    "int8": _int8,
    "int16x8": _int16x8,
}
NEEDS_REPRESENTATIVE = ("int8", "int16x8")


def keras2tflite(model, mode: str = "fp32", representative: np.ndarray | None = None, *,
                 dense_per_channel: bool = False) -> bytes:
    """Convert ``model`` to a TFLite flatbuffer in ``mode`` (see MODES); builtin ops only.

    ``dense_per_channel`` (full-integer modes only): one weight scale per output unit of a Dense
    (FULLY_CONNECTED) layer instead of one per tensor. Per channel stores a float32 scale and an
    int64 zero point per unit for the weights and again for the bias; convolutions stay per channel.
    """
    from models.backend import tf

    if mode not in MODES:
        raise ExportError(f"Expected a TFLite mode from {sorted(MODES)}. Received: mode={mode!r}")
    if mode in NEEDS_REPRESENTATIVE and representative is None:
        raise ExportError(f"TFLite {mode} needs a representative dataset (preprocessed calibration samples)")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    MODES[mode](converter, tf, representative)
    if mode in NEEDS_REPRESENTATIVE:
        set_dense_per_channel(converter, dense_per_channel)
    try:
        with tflite_integer_io_warning():
            return bytes(converter.convert())
    except Exception as exc:  # the converter raises ConverterError / RuntimeError with a long log
        ops = unsupported_ops(str(exc))
        if ops:
            raise UnsupportedOpError(
                f"Expected a model of builtin TFLite ops only (select TF ops are not allowed on the device). "
                f"Received: ops without a builtin kernel: {', '.join(ops)}"
            ) from exc
        raise ExportError(f"TFLite {mode} conversion failed: {_first_line(exc)}") from exc


def unsupported_ops(message: str) -> list[str]:
    """The TF op names a converter error says have no TFLite builtin (e.g. ``tf.Erfinv``)."""
    markers = ("neither a custom op nor a flex op", "not supported", "custom implementation", "Select TF")
    if not any(marker in message for marker in markers):
        return []
    return sorted(set(re.findall(r"\btf\.([A-Z][A-Za-z0-9_]*)", message)))


def _representative(x: np.ndarray, dtype=np.float32):
    """The converter's representative dataset: one-sample batches of ``x`` as ``dtype`` (None: its own dtype)."""
    samples = np.asarray(x, dtype=dtype)

    def generate():
        for row in samples:
            yield [row[None, ...]]

    return generate


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__
