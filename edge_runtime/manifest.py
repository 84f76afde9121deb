"""The bundle manifest: schema version 1, validated on read, never guessed.

``manifest.json`` is the one contract between ``edgenn export`` (which writes it) and the edge
runtime (which reads it). The JSON Schema lives in ``edge_runtime/schemas/``; the checks a
schema cannot express (unique ids, a default that exists, every model file listed with its
sha256) are in :func:`validate_manifest`.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from edge_runtime.bundlefiles import MAX_JSON_BYTES, BundleFiles, verify_files
from edge_runtime.errors import BundleError
from edge_runtime.jsonschema_lite import validate

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
#: bounds on the raw input a manifest may declare, checked before anything is allocated for it
MAX_INPUT_ELEMENTS = 1 << 26
MAX_INPUT_DIM = 16384


@cache
def load_schema(name: str = "manifest-v1") -> dict:
    """The JSON Schema shipped in ``edge_runtime/schemas/<name>.schema.json``."""
    text = resources.files("edge_runtime").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_manifest(manifest: Any) -> list[str]:
    """Every problem of ``manifest`` (schema and cross-field checks), empty when valid."""
    if not isinstance(manifest, dict):
        return [f"$: expected a JSON object, received {type(manifest).__name__}"]
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        return [
            f"$.schema_version: expected {SCHEMA_VERSION}, received {version!r} "
            "(a bundle from another edgenn version: re-export it with this one)"
        ]
    errors = validate(manifest, load_schema())
    if errors:
        return errors
    ids = [m["id"] for m in manifest["models"]]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        errors.append(f"$.models: id {dup!r} is used more than once")
    if manifest["default_model"] not in ids:
        errors.append(f"$.default_model: expected one of {ids}, received {manifest['default_model']!r}")
    files = manifest["files"]
    for i, model in enumerate(manifest["models"]):
        entry = files.get(model["file"])
        if entry is None:
            errors.append(f"$.models[{i}].file: {model['file']!r} is not listed in $.files")
        elif entry["sha256"] != model["sha256"] or entry["size_bytes"] != model["size_bytes"]:
            errors.append(f"$.models[{i}]: sha256/size differ from $.files[{model['file']!r}]")
        pipeline_ops = [step["op"] for step in manifest["preprocessing"]]
        in_model = in_model_ops(model)
        if in_model != pipeline_ops[: len(in_model)]:
            errors.append(f"$.models[{i}].in_model_ops: expected the first steps of $.preprocessing "
                          f"{pipeline_ops}, received {in_model}")
    for path in files:
        if path.startswith("/") or ".." in Path(path).parts or "\\" in path:
            errors.append(f"$.files: {path!r} must be a relative path inside the bundle")
    errors += _input_bound_errors(manifest["input"].get("shape") or [])
    if manifest["task"] == "classification" and not manifest["labels"]:
        errors.append("$.labels: a classification bundle needs its class names")
    return errors


def _input_bound_errors(shape: list) -> list[str]:
    """Input shapes a device could not allocate (e.g. 100000x100000) are refused before any resize."""
    elements = 1
    for dim in shape:
        elements *= dim if isinstance(dim, int) and dim > 0 else 1
    if any(isinstance(d, int) and d > MAX_INPUT_DIM for d in shape) or elements > MAX_INPUT_ELEMENTS:
        return [f"$.input.shape: {shape} exceeds the runtime's bounds (each dimension at most {MAX_INPUT_DIM}, "
                f"at most {MAX_INPUT_ELEMENTS} elements)"]
    return []


#: a model id ending in this is the raw-frame twin of the id without it (export writes it, reports pair by it)
IN_MODEL_SUFFIX = "-in-model"


def in_model_ops(model: dict) -> list[str]:
    """The ops a model entry performs itself (the pipeline's first steps); absent means none."""
    return list(model.get("in_model_ops") or [])


def read_manifest(bundle_dir: str | Path) -> dict:
    """Read and validate ``bundle_dir/manifest.json``; raise BundleError listing every problem."""
    path = Path(bundle_dir) / MANIFEST_NAME
    if not path.is_file():
        raise BundleError(f"Expected a bundle directory with {MANIFEST_NAME}. Received: path={str(bundle_dir)!r}")
    manifest = parse_json(BundleFiles(bundle_dir).read(MANIFEST_NAME, MAX_JSON_BYTES), path)
    errors = validate_manifest(manifest)
    if errors:
        raise BundleError(f"{path}: invalid manifest: " + "; ".join(errors[:10])
                          + (f"; and {len(errors) - 10} more" if len(errors) > 10 else ""))
    return manifest


def parse_json(data: bytes | str, name: str | Path, error: type[Exception] = BundleError) -> Any:
    """JSON from untrusted bytes: one ``error`` naming ``name`` for bad UTF-8, syntax, nesting, NaN or
    a number that overflows to infinity (``1e400``)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise error(f"{name}: not valid JSON ({reason})") from exc


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} overflows a float")
    return value


def dumps_manifest(manifest: dict) -> str:
    """Serialize a manifest after validating it (writers never emit an invalid one)."""
    errors = validate_manifest(manifest)
    if errors:
        raise BundleError("refusing to write an invalid manifest: " + "; ".join(errors))
    return json.dumps(manifest, indent=2, sort_keys=False) + "\n"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["MANIFEST_NAME", "SCHEMA_VERSION", "dumps_manifest", "parse_json", "read_manifest", "sha256_file",
           "validate_manifest", "verify_files"]
