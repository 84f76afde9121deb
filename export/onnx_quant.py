"""onnxruntime quantization of an ONNX model: static QDQ int8 (calibrated) and dynamic int8.

Static: ``quant_pre_process`` (shape inference and graph optimization, which needs sympy), then
``quantize_static`` in QDQ format with int8 activations and weights (S8S8, what ORT recommends on
CPU), per-channel weights optional, calibrated on the same representative set as TFLite int8.
Dynamic: int8 weights, activations quantized per inference (MatMulInteger / ConvInteger).
Measure the speed of both: on x86 at batch 1 neither is faster than fp32 (DESIGN.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from export.errors import ExportError
from export.keras2onnx import check_onnx


class _ArrayReader:
    """An onnxruntime CalibrationDataReader over a float32 array, one sample per batch."""

    def __init__(self, input_name: str, x: np.ndarray):
        x = np.asarray(x)  # raw-frame models take their integer frames as they are
        self._rows = iter(x if x.dtype == np.uint8 else x.astype(np.float32))
        self._name = input_name

    def get_next(self):
        row = next(self._rows, None)
        return None if row is None else {self._name: row[None, ...]}


def onnx2int8(onnx_bytes: bytes, representative: np.ndarray, per_channel: bool = True,
              exclude: tuple[str, ...] = ()) -> bytes:
    """Static QDQ S8S8 quantization calibrated (MinMax) on ``representative``.

    Nodes whose name contains one of ``exclude`` stay float (selective quantization).
    """
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    with tempfile.TemporaryDirectory(prefix="edgenn-ortq-") as tmp:
        src, pre, out = Path(tmp, "fp32.onnx"), Path(tmp, "pre.onnx"), Path(tmp, "int8.onnx")
        src.write_bytes(onnx_bytes)
        _pre_process(src, pre)
        reader = _ArrayReader(_input_name(onnx_bytes), representative)
        quantize_static(
            str(pre), str(out), reader,
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=_matching_nodes(pre, exclude),
        )
        data = out.read_bytes()
    check_onnx(data)
    return data


def onnx2dynamic(onnx_bytes: bytes, exclude: tuple[str, ...] = ()) -> bytes:
    """Dynamic int8: weights quantized offline, activation ranges computed at run time.

    Nodes whose name contains one of ``exclude`` stay float (selective quantization).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="edgenn-ortq-") as tmp:
        src, pre, out = Path(tmp, "fp32.onnx"), Path(tmp, "pre.onnx"), Path(tmp, "dynamic.onnx")
        src.write_bytes(onnx_bytes)
        _pre_process(src, pre)
        quantize_dynamic(str(pre), str(out), weight_type=QuantType.QInt8, nodes_to_exclude=_matching_nodes(pre, exclude))
        data = out.read_bytes()
    check_onnx(data)
    return data


def _pre_process(src: Path, out: Path) -> None:
    """ORT's recommended step before quantizing: symbolic shape inference and graph optimization.

    Symbolic inference gives up on some graphs (raw-frame models); those are pre-processed without it,
    and its "unsupported broadcast" warnings on the way (a retry follows) are not shown.
    """
    import logging

    from onnxruntime.quantization.shape_inference import quant_pre_process

    from export.workarounds import ort_debris_in

    inference_log = logging.getLogger("onnxruntime.tools.symbolic_shape_infer")
    level = inference_log.level
    inference_log.setLevel(logging.ERROR)
    try:
        with ort_debris_in(src.parent):
            for skip_symbolic in (False, True):
                try:
                    quant_pre_process(str(src), str(out), skip_symbolic_shape=skip_symbolic)
                    return
                except Exception as exc:  # plain exceptions from shape inference and the optimizer
                    if skip_symbolic:
                        raise ExportError(f"onnxruntime quant_pre_process failed: {exc}") from exc
    finally:
        inference_log.setLevel(level)


def _matching_nodes(path: Path, parts: tuple[str, ...]) -> list[str]:
    """Names of the graph's nodes that contain one of ``parts`` (none when ``parts`` is empty)."""
    if not parts:
        return []
    import onnx

    return [n.name for n in onnx.load(str(path)).graph.node if any(p in n.name for p in parts)]


def _input_name(onnx_bytes: bytes) -> str:
    import onnx

    graph = onnx.load_from_string(onnx_bytes).graph
    initializers = {init.name for init in graph.initializer}
    return next(i.name for i in graph.input if i.name not in initializers)
