"""What an attacker who can edit a bundle does: change a model's bytes and fix up its manifest hashes.

TFLite models are edited through TensorFlow's own flatbuffer object API (``flatbuffer_utils``), so a
tampered file is structurally valid and keeps its ``TFL3`` identifier; only the values change.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.edge_runtime.oracles import oracle


def _flatbuffer_utils():
    """TensorFlow's flatbuffer tools, imported after ``models.backend`` has set TF_USE_LEGACY_KERAS."""
    oracle("models.backend")
    return oracle("tensorflow.lite.tools.flatbuffer_utils")


def tflite_object(data: bytes):
    """The TFLite model as TensorFlow's mutable ``ModelT`` object (TensorFlow: skipped in edge-only installs)."""
    return _flatbuffer_utils().convert_bytearray_to_object(bytearray(data))


def tflite_bytes(model) -> bytes:
    return _flatbuffer_utils().convert_object_to_bytearray(model)


def fully_connected_weights_to(data: bytes, index: int) -> bytes:
    """The model with its first FULLY_CONNECTED operator's weights input index replaced by ``index``."""
    model = tflite_object(data)  # first: it imports models.backend before TensorFlow
    schema = oracle("tensorflow.lite.python.schema_py_generated")

    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    for op in model.subgraphs[0].operators:
        if codes[op.opcodeIndex] == schema.BuiltinOperator.FULLY_CONNECTED:
            op.inputs[1] = index
            return tflite_bytes(model)
    raise ValueError("no FULLY_CONNECTED operator in this model")


def rehash(bundle_dir: Path, rel: str) -> None:
    """Make the manifest vouch for the file's current bytes (what anyone who can edit a bundle can do)."""
    data = (bundle_dir / rel).read_bytes()
    manifest_path = bundle_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    entry = {"sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}
    manifest["files"][rel] = entry
    for model in manifest["models"]:
        if model["file"] == rel:
            model.update(entry)
    manifest_path.write_text(json.dumps(manifest, indent=2), "utf-8")


def replace_file(bundle_dir: Path, rel: str, data: bytes) -> None:
    """Write ``data`` over a bundle file and fix its hashes in the manifest."""
    (bundle_dir / rel).write_bytes(data)
    rehash(bundle_dir, rel)
