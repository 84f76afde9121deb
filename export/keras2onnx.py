"""Keras (tf_keras) model -> ONNX through tf2onnx, checked with ``onnx.checker`` (full check)."""

from __future__ import annotations

from export.errors import ExportError

#: the ONNX graph's input name; the runtime reads names from the manifest, this only makes them readable
INPUT_NAME = "input"


def keras2onnx(model, opset: int = 17) -> bytes:
    """Convert ``model`` (batch axis left dynamic) to a serialized, fully checked ONNX model."""
    import tf2onnx

    from models.backend import tf

    shape = (None, *(int(d) for d in model.input_shape[1:]))
    signature = [tf.TensorSpec(shape, model.inputs[0].dtype, name=INPUT_NAME)]  # uint8 for raw-frame models
    try:
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=opset)
    except Exception as exc:  # tf2onnx raises plain exceptions naming the unconvertible op
        raise ExportError(f"tf2onnx could not convert the model at opset {opset}: {exc}") from exc
    check_onnx(proto)
    return proto.SerializeToString()


def check_onnx(proto_or_bytes) -> None:
    """Run ``onnx.checker.check_model(full_check=True)`` (shape inference included); raise ExportError."""
    import onnx

    proto = onnx.load_from_string(proto_or_bytes) if isinstance(proto_or_bytes, bytes) else proto_or_bytes
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ExportError(f"onnx.checker rejected the converted model: {exc}") from exc
