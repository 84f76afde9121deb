"""The fuzzers' fixed bundle: an 8x8 greyscale classifier (a seed .tflite) with a fitted .npy state."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from pathlib import Path

import numpy as np

from tests.edge_runtime.manifest_example import example_manifest

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CRASHERS = HERE / "crashers"
SEED_TFLITE = CORPUS / "tflite" / "dense.tflite"


def _entry(data: bytes) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}


def bundle_manifest(tflite: bytes, mean_npy: bytes) -> dict:
    """A schema-valid manifest for the model ``tflite`` and the standardize mean ``mean_npy``."""
    manifest = copy.deepcopy(example_manifest())
    manifest.update(name="fuzz8x8", labels=["a", "b", "c"],
                    input={"kind": "image", "shape": [8, 8, 1], "dtype": "uint8", "color": "L", "resize": "bilinear"},
                    preprocessing=[{"op": "scale", "divisor": 255.0},
                                   {"op": "standardize", "mean": {"npy": "preprocess/mean.npy"}, "std": 0.5}])
    model = manifest["models"][0]
    model.update(_entry(tflite), inputs=[{"name": "x", "shape": [1, 8, 8, 1], "dtype": "float32", "quantization": None}],
                 outputs=[{"name": "y", "shape": [1, 3], "dtype": "float32", "quantization": None}])
    manifest["files"] = {"models/fp32.tflite": _entry(tflite), "preprocess/mean.npy": _entry(mean_npy)}
    return manifest


def mean_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.float32(0.5), allow_pickle=False)
    return buffer.getvalue()


def build_bundle(root: Path, tflite: bytes | None = None, manifest: dict | None = None) -> Path:
    """Write the bundle under ``root`` (created); ``manifest`` replaces the generated one when given."""
    tflite = SEED_TFLITE.read_bytes() if tflite is None else tflite
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "preprocess").mkdir(exist_ok=True)
    (root / "models" / "fp32.tflite").write_bytes(tflite)
    (root / "preprocess" / "mean.npy").write_bytes(mean_npy())
    manifest = bundle_manifest(tflite, mean_npy()) if manifest is None else manifest
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    return root
