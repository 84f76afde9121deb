"""Reading a converted artifact back with the engine the device uses: run it, list its tensors and ops.

Validation runs the artifact bytes in LiteRT / onnxruntime (not TensorFlow's own interpreter),
so what is checked is what the device will execute. Integer inputs and outputs are quantized
and dequantized with the tensor's own scale and zero point, as the edge runtime does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from edge_runtime.workarounds import tflite_op_counts

_INT_LIMITS = {np.int8: (-128, 127), np.uint8: (0, 255), np.int16: (-32768, 32767)}
_ONNX_DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(int8)": "int8",
                "tensor(uint8)": "uint8", "tensor(int32)": "int32", "tensor(int64)": "int64"}


def quantize(x: np.ndarray, scale: float, zero_point: int, dtype) -> np.ndarray:
    """float -> integer tensor values: round(x / scale) + zero_point, clipped to the dtype's range."""
    lo, hi = _INT_LIMITS[np.dtype(dtype).type]
    return np.clip(np.round(x / scale) + zero_point, lo, hi).astype(dtype)


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return (q.astype(np.float32) - zero_point) * scale


# --- TFLite (LiteRT) ------------------------------------------------------------------------------
def _tflite_interpreter(data: bytes, batch: int | None = None):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    if batch is not None:
        detail = interpreter.get_input_details()[0]
        interpreter.resize_tensor_input(detail["index"], [batch, *detail["shape"][1:]])
    interpreter.allocate_tensors()
    return interpreter


def run_tflite(data: bytes, x: np.ndarray) -> np.ndarray:
    """Outputs (float32) of the first output tensor for float inputs ``x`` (N, ...)."""
    interpreter = _tflite_interpreter(data, batch=len(x))
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    feed = np.asarray(x, np.float32)
    if np.issubdtype(inp["dtype"], np.integer) and inp["quantization"][0] > 0:
        scale, zero = inp["quantization"]
        feed = quantize(feed, scale, zero, inp["dtype"])
    interpreter.set_tensor(inp["index"], feed.astype(inp["dtype"], copy=False))
    interpreter.invoke()
    y = interpreter.get_tensor(out["index"])
    if np.issubdtype(out["dtype"], np.integer):
        scale, zero = out["quantization"]
        y = dequantize(y, scale, zero)
    return np.asarray(y, np.float32)


def _tflite_tensor(detail: dict) -> dict:
    params = detail.get("quantization_parameters") or {}
    scales = [float(s) for s in params.get("scales", [])]
    quant = None
    if scales:
        quant = {"scale": scales, "zero_point": [int(z) for z in params["zero_points"]]}
        if len(scales) > 1:
            quant["axis"] = int(params["quantized_dimension"])
    signature = detail.get("shape_signature", detail["shape"])
    return {
        "name": detail["name"],
        "shape": [None if int(d) < 0 else int(d) for d in signature],
        "dtype": np.dtype(detail["dtype"]).name,
        "quantization": quant,
    }


def tflite_tensors(data: bytes) -> tuple[list[dict], list[dict]]:
    interpreter = _tflite_interpreter(data)
    return ([_tflite_tensor(d) for d in interpreter.get_input_details()],
            [_tflite_tensor(d) for d in interpreter.get_output_details()])


def tflite_ops(data: bytes) -> dict[str, int]:
    """Operator counts (e.g. {"CONV_2D": 2, "FULLY_CONNECTED": 1})."""
    interpreter = _tflite_interpreter(data)
    return tflite_op_counts(interpreter)


# --- ONNX (onnxruntime) ---------------------------------------------------------------------------
def _onnx_session(data: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def run_onnx(data: bytes, x: np.ndarray) -> np.ndarray:
    session = _onnx_session(data)
    first = session.get_inputs()[0]
    dtype = np.uint8 if first.type == "tensor(uint8)" else np.float32  # raw-frame models take uint8
    return np.asarray(session.run(None, {first.name: np.asarray(x, dtype)})[0], np.float32)


def _onnx_tensor(arg) -> dict:
    return {
        "name": arg.name,
        "shape": [d if isinstance(d, int) and d > 0 else None for d in arg.shape],
        "dtype": _ONNX_DTYPES.get(arg.type, "float32"),
        "quantization": None,  # QDQ models keep float inputs and outputs
    }


def onnx_tensors(data: bytes) -> tuple[list[dict], list[dict]]:
    session = _onnx_session(data)
    return [_onnx_tensor(a) for a in session.get_inputs()], [_onnx_tensor(a) for a in session.get_outputs()]


def onnx_ops(data: bytes) -> dict[str, int]:
    """Node type counts of the graph (e.g. {"Conv": 2, "QuantizeLinear": 5})."""
    import onnx

    return dict(Counter(node.op_type for node in onnx.load_from_string(data).graph.node))


@dataclass(frozen=True)
class Format:
    """How to run and describe one artifact format."""

    suffix: str
    run: Callable[[bytes, np.ndarray], np.ndarray]
    tensors: Callable[[bytes], tuple[list[dict], list[dict]]]
    ops: Callable[[bytes], dict[str, int]]


FORMATS: dict[str, Format] = {
    "tflite": Format(".tflite", run_tflite, tflite_tensors, tflite_ops),
    "onnx": Format(".onnx", run_onnx, onnx_tensors, onnx_ops),
}
