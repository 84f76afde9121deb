"""In-model variants: the longest compilable prefix of the pipeline inside the exported graph.

For a run with preprocessing, every exported variant gets a twin whose model input is the raw
frame (the bundle's input: uint8, fixed size) and whose graph runs the prefix's graph twins
(``models.twins``) before the network, so the device makes one invoke per frame. Model ids are
``<format>-<variant>-in-model``; the manifest's ``in_model_ops`` lists the ops the model performs.

Integer variants decide per artifact whether the classical part is quantized too (selective
quantization): full integer first when the prefix is pure value scaling (``scale``: a raw uint8
frame is then fed as it is, scale 1, zero point 0), else the classical part stays float inside
the int8 model. Gradients, angles and norms do not survive int8, and TFLite's quantized DIV fails
at run time on the stage's divisions. The choice is written into the artifact's notes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edge_runtime.manifest import IN_MODEL_SUFFIX
from export.config import ExportConfig
from export.errors import ExportError

SUFFIX = IN_MODEL_SUFFIX
#: the Keras layer name of the stage; tensors and nodes under it are kept float when selective
LAYER = "preprocess"
#: ops whose int8 quantization is exact enough to try full integer first (pure value scaling)
LINEAR_OPS = frozenset({"scale", "flatten"})
#: converter precisions with an in-model variant (int16x8 and qdq-activations are opt-in, host only)
PRECISIONS = ("fp32", "fp16", "dynamic", "int8")


def prefix(run) -> list[str]:
    """Names of the ops an in-model variant of ``run`` performs (empty: no in-model variants)."""
    from models.twins.layer import compilable_prefix

    if not run.pipeline.steps or run.input.get("dtype") != "uint8":
        return []
    count = compilable_prefix(run.pipeline, tuple(run.input["shape"]))
    return [step.op.name for step in run.pipeline.steps[:count]]


def wrap(network, run, count: int, dtype: str):
    """``network`` behind the first ``count`` steps' twins, taking raw samples of ``dtype``."""
    from models.twins.layer import in_model

    return in_model(network, run.pipeline, {**run.input, "dtype": dtype}, count)


def _tflite_raw_int8(model, raw: np.ndarray, config: ExportConfig, keep_float: bool) -> bytes:
    """Integer TFLite that takes the raw uint8 frame.

    Full integer (``keep_float=False``, ``model`` with a float input): int8 throughout, the uint8
    input quantized by the converter (scale 1 for 0..255 frames). Selective (``model`` with a uint8
    input): calibrate, then quantize with the stage's tensors denylisted, so they stay float and
    only the network runs int8 (float output; ``export.workarounds.quantize_keeping_float``).
    """
    from export.keras2tflite import _representative
    from export.workarounds import quantize_keeping_float, set_dense_per_channel, tflite_integer_io_warning
    from models.backend import tf

    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    set_dense_per_channel(c, config.tflite_dense_per_channel)
    with tflite_integer_io_warning():
        if not keep_float:
            c.representative_dataset = _representative(raw)
            c.inference_input_type, c.inference_output_type = tf.uint8, tf.int8
            c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            return bytes(c.convert())
        names = _stage_tensors(bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert()))
        c.representative_dataset = _representative(raw, dtype=None)  # raw frames: uint8 stays uint8
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
        return quantize_keeping_float(c, names)


def _stage_tensors(float_model: bytes) -> list[str]:
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_content=float_model).get_tensor_details()
    return [d["name"] for d in details if f"/{LAYER}/" in d["name"]]


def convert(fmt: str, precision: str, network, run, ops: list[str], raw_representative: np.ndarray,
            config: ExportConfig, accept: Callable[[bytes], bool]) -> tuple[bytes, str]:
    """The in-model artifact of ``network`` in ``fmt`` / ``precision`` and the note on how it was made.

    ``accept(data)`` validates a full-integer candidate; a rejected one (or one that fails to
    convert or run) gives way to the selective model.
    """
    from export.keras2tflite import keras2tflite
    from export.onnx_compact import compact_onnx

    count = len(ops)
    where = f"in the model: {' -> '.join(ops)}"
    if fmt == "tflite" and precision in ("fp32", "fp16", "dynamic"):
        return keras2tflite(wrap(network, run, count, "uint8"), precision), where
    if fmt == "tflite" and precision == "int8":
        why = "gradients, angles and norms are not quantized"
        if set(ops) <= LINEAR_OPS:
            try:
                data = _tflite_raw_int8(wrap(network, run, count, "float32"), raw_representative, config,
                                        keep_float=False)
                if accept(data):
                    return data, f"{where}; quantized with the network (full integer passed validation)"
                why = "full integer failed validation"
            except Exception as exc:  # noqa: BLE001  (the selective model below is the fallback)
                why = f"full integer failed: {str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}"
        data = _tflite_raw_int8(wrap(network, run, count, "uint8"), raw_representative, config, keep_float=True)
        return data, f"{where}; selective quantization: the classical stage stays float, the network int8 ({why})"
    if fmt == "onnx" and precision in ("fp32", "dynamic", "int8"):
        from export.keras2onnx import keras2onnx
        from export.onnx_quant import onnx2dynamic, onnx2int8

        onnx = keras2onnx(wrap(network, run, count, "uint8"), config.opset)
        if precision == "fp32":
            return compact_onnx(onnx), where
        if precision == "dynamic":
            return compact_onnx(onnx2dynamic(onnx, exclude=(LAYER,))), f"{where}; the classical stage stays float"
        data = onnx2int8(onnx, raw_representative, config.per_channel, exclude=(LAYER,))
        return compact_onnx(data), f"{where}; selective quantization: the classical stage stays float, the network int8"
    raise ExportError(f"Expected an in-model precision among {PRECISIONS}. Received: {fmt} {precision}")
