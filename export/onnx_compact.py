"""Shorter ONNX files: internal tensor names shortened, node names and value_info dropped.

tf2onnx and onnxruntime's quantizer name every tensor after its TensorFlow path
(``cnn/conv_1/Conv2D/ReadVariableOp:0_quantized``); in a QDQ int8 model of 57k weights these
names are ~8 KB, an eighth of the file. The graph's input and output names, the op types and
every value stay as they are, and the result passes ``onnx.checker`` again. Applied to every
ONNX artifact alike (fp32 included), so size ratios compare like with like.
"""

from __future__ import annotations

from export.keras2onnx import check_onnx


def compact_onnx(data: bytes) -> bytes:
    """``data`` with internal names shortened to t0, t1, ... (graph inputs/outputs kept)."""
    import onnx

    model = onnx.load_from_string(data)
    graph = model.graph
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    names: dict[str, str] = {}

    def short(name: str) -> str:
        if not name or name in keep:
            return name
        return names.setdefault(name, f"t{len(names)}")

    for init in graph.initializer:
        init.name = short(init.name)
    for node in graph.node:
        node.name = ""
        node.doc_string = ""
        node.input[:] = [short(n) for n in node.input]
        node.output[:] = [short(n) for n in node.output]
    del graph.value_info[:]  # shape annotations only; onnxruntime infers them at load
    compacted = model.SerializeToString()
    check_onnx(compacted)
    return compacted
