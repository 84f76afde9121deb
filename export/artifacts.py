"""Loading a converted artifact the way the device does, and listing its operators.

Validation has no runner of its own: the artifact's bytes are written to a file, loaded by the
runtime's backend for the format (``edge_runtime.backends``: LiteRT, onnxruntime) and wrapped in a
runtime ``Session`` with the run's preprocessing, so raw samples go through exactly the code a device
runs (preprocessing, quantize, engine, dequantize). The manifest's tensor records are read from
that same session.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.backends import TensorInfo, backend_for
from edge_runtime.evaluate import run_model
from edge_runtime.session import Session
from edge_runtime.workarounds import tflite_op_counts


def open_session(data: bytes, entry: dict, workdir: Path, *, pipeline=None,
                 input_spec: dict | None = None) -> Session:
    """``data`` written to ``workdir`` and loaded by its format's default backend, as a runtime Session.

    ``entry`` is the model's manifest record as far as it is known (``id``, ``format``, ...): the
    Session reads it as on the device. ``pipeline`` is the preprocessing the host runs before this
    model (None: the model takes the samples as given); ``input_spec`` the raw input it is fed. A model
    that performs some preprocessing itself is just another artifact: give it the host's part.
    """
    handle, name = tempfile.mkstemp(prefix=f"{entry['id']}-", suffix=FORMATS[entry["format"]].suffix, dir=workdir)
    with os.fdopen(handle, "wb") as file:  # a fresh file per candidate: a loaded engine may map its file
        file.write(data)
    engine = backend_for(entry["format"]).load(name, 1)
    return Session(engine, entry, pipeline, input_spec)


def outputs(session: Session, x_raw: np.ndarray) -> np.ndarray:
    """Float outputs of ``session`` on raw samples, through the device path (``Session.predict``)."""
    return np.asarray(run_model(session, x_raw)[0], np.float32)


def _tensor(info: TensorInfo) -> dict:
    quant = {"scale": [info.scale], "zero_point": [info.zero_point]} if info.quantized else None
    return {"name": info.name, "shape": [None if int(d) < 0 else int(d) for d in info.shape],
            "dtype": info.dtype, "quantization": quant}


def tensors(session: Session) -> tuple[list[dict], list[dict]]:
    """The manifest's ``inputs`` and ``outputs`` records, as the loaded engine reports them."""
    return [_tensor(t) for t in session.inputs], [_tensor(t) for t in session.outputs]


def tflite_ops(data: bytes) -> dict[str, int]:
    """Operator counts after LiteRT applied its default delegate, as loaded on a device
    (e.g. {"DELEGATE": 1, "CONV_2D": 2, ...}: the XNNPACK partitions appear as DELEGATE nodes)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    return tflite_op_counts(interpreter)


def onnx_ops(data: bytes) -> dict[str, int]:
    """Node type counts of the graph (e.g. {"Conv": 2, "QuantizeLinear": 5})."""
    import onnx

    return dict(Counter(node.op_type for node in onnx.load_from_string(data).graph.node))


@dataclass(frozen=True)
class Format:
    """A format's file suffix and how to list its operators."""

    suffix: str
    ops: Callable[[bytes], dict[str, int]]


FORMATS: dict[str, Format] = {
    "tflite": Format(".tflite", tflite_ops),
    "onnx": Format(".onnx", onnx_ops),
}
