"""The files an ONNX model makes its engine open: external-data locations, read without the onnx package.

An ONNX tensor may keep its bytes in another file (``data_location = EXTERNAL``, ``external_data``
entry ``location``); onnxruntime opens that path relative to the model. The runtime must check
those files like any other bundle file, so this module walks the protobuf wire format along the
message fields that can hold tensors (graph initializers, node attributes, subgraphs, functions)
and returns every location. The field numbers are those of ``onnx/onnx.proto`` (IR version 10).
"""

from __future__ import annotations

from edge_runtime.errors import BundleError

# message name -> {field number: message name} for the fields that can lead to a TensorProto
_FIELDS: dict[str, dict[int, str]] = {
    "model": {7: "graph", 25: "function"},
    "graph": {1: "node", 5: "tensor", 15: "sparse"},
    "function": {7: "node"},
    "node": {5: "attribute"},
    "attribute": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse"},
    "sparse": {1: "tensor", 2: "tensor"},
    "tensor": {13: "entry"},
    "entry": {},
}
_MAX_DEPTH = 64


def external_locations(data: bytes, name: str = "model") -> list[str]:
    """Every external-data ``location`` in the serialized ONNX model ``data`` (in file order)."""
    locations: list[str] = []
    try:
        _walk(memoryview(data), "model", locations, 0)
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise BundleError(f"{name}: not a valid onnx model: {exc}") from exc
    return locations


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("a varint longer than 10 bytes")


def _fields(buf: memoryview):
    """(field number, wire type, value) per field; a length-delimited value is a memoryview slice."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = None, pos + 8
        elif wire == 5:
            value, pos = None, pos + 4
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        else:
            raise ValueError(f"wire type {wire} at field {number}")
        if pos > len(buf) or number == 0:
            raise ValueError("a field runs past the end of its message")
        yield number, wire, value


def _walk(buf: memoryview, kind: str, locations: list[str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ValueError(f"messages nested deeper than {_MAX_DEPTH}")
    children = _FIELDS[kind]
    if kind == "entry":
        fields = {number: bytes(value).decode("utf-8") for number, wire, value in _fields(buf) if wire == 2}
        if fields.get(1) == "location":
            locations.append(fields.get(2, ""))
        return
    for number, wire, value in _fields(buf):
        if wire == 2 and number in children:
            _walk(value, children[number], locations, depth + 1)
