"""Fuzz targets for the untrusted parsers: each takes bytes and may only end normally or with a UserError.

Any other exception (or a crash of the process) is a finding. Structure-aware targets decode their
bytes with atheris' FuzzedDataProvider into edits of a valid document (the manifest, a bench file)
or of a model whose manifest hashes are then fixed up, so mutations get past the first checks.
Every target runs the same code path as the CLI: ``open_bundle`` -> ``session`` -> ``predict``,
``load_image``, ``load_bench`` -> ``render_html`` / ``render_markdown``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge_runtime.errors import UserError
from tests.fuzz.bundle import SEED_TFLITE, build_bundle, bundle_manifest, mean_npy

SCRATCH = Path(tempfile.mkdtemp(prefix="edgenn-fuzz-"))


def provider(data: bytes):
    import atheris

    return atheris.FuzzedDataProvider(data)


def expected(action: Callable[[], object]) -> object | None:
    """Run ``action``; a UserError is the documented outcome for bad input, anything else propagates."""
    try:
        return action()
    except UserError:
        return None


def fresh(name: str) -> Path:
    path = SCRATCH / name
    shutil.rmtree(path, ignore_errors=True)
    return path


# structure-aware edits of a JSON document ---------------------------------------------------
def fuzz_value(fdp):
    kind = fdp.ConsumeIntInRange(0, 9)
    return [
        lambda: None, lambda: fdp.ConsumeBool(), lambda: fdp.ConsumeInt(8), lambda: fdp.ConsumeRegularFloat(),
        lambda: fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 24)), lambda: [fdp.ConsumeInt(4)] * 3,
        lambda: {"npy": fdp.ConsumeUnicodeNoSurrogates(16)}, lambda: fdp.ConsumeIntInRange(-2, 70000),
        lambda: [fdp.ConsumeIntInRange(0, 100000) for _ in range(fdp.ConsumeIntInRange(0, 4))],
        lambda: {"op": fdp.PickValueInList(["scale", "standardize", "pca", "hog", "resize", "deskew", "nope"])},
    ][kind]()


def edit_document(doc, fdp, edits: int) -> object:
    """``edits`` random replacements/deletions/insertions at random places of a JSON-like tree."""
    doc = copy.deepcopy(doc)
    for _ in range(edits):
        parent, key, node = None, None, doc
        while isinstance(node, (dict, list)) and node and fdp.ConsumeIntInRange(0, 3):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            parent, key = node, keys[fdp.ConsumeIntInRange(0, len(keys) - 1)]
            node = parent[key]
        if parent is None:
            continue
        action = fdp.ConsumeIntInRange(0, 2)
        if action == 0:
            parent[key] = fuzz_value(fdp)
        elif action == 1 and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent, list):
            parent.append(fuzz_value(fdp))
        else:
            parent[fdp.ConsumeUnicodeNoSurrogates(8)] = fuzz_value(fdp)
    return doc


# the targets ----------------------------------------------------------------------------------
def manifest_target(data: bytes) -> None:
    """A schema-valid manifest edited by the fuzzer (or raw bytes), then open -> session -> predict."""
    from edge_runtime.bundle import open_bundle

    fdp = provider(data)
    root = fresh("manifest")
    if fdp.ConsumeIntInRange(0, 7) == 0:
        build_bundle(root)
        (root / "manifest.json").write_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()))
    else:
        template = bundle_manifest(SEED_TFLITE.read_bytes(), mean_npy())
        build_bundle(root, manifest=edit_document(template, fdp, fdp.ConsumeIntInRange(1, 4)))
    _open_and_predict(lambda: open_bundle(root))


def zip_target(data: bytes) -> None:
    """Arbitrary bytes as a bundle .zip through ``open_bundle`` (extraction, manifest, models)."""
    from edge_runtime.bundle import open_bundle

    archive = fresh("zip") / "bundle.zip"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(data)
    _open_and_predict(lambda: open_bundle(archive))


def _model_target(data: bytes, fmt: str) -> None:
    """A mutated model file, its hashes fixed in the manifest, through the runtime's load path."""
    from edge_runtime.bundle import open_bundle

    root = build_bundle(fresh(fmt))
    rel = f"models/fp32.{fmt}"
    (root / rel).write_bytes(data)
    manifest = json.loads((root / "manifest.json").read_text())
    entry = {"sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}
    model = manifest["models"][0]
    if fmt == "onnx":
        del manifest["files"]["models/fp32.tflite"]
        model.update(id="onnx-fp32", format="onnx", file=rel)
        manifest["default_model"] = "onnx-fp32"
    model.update(entry)
    manifest["files"][rel] = entry
    (root / "manifest.json").write_text(json.dumps(manifest))
    _open_and_predict(lambda: open_bundle(root))


def tflite_target(data: bytes) -> None:
    if len(data) >= 8:  # keep the file identifier so mutations reach the flatbuffer verifier and engine
        data = data[:4] + b"TFL3" + data[8:]
    _model_target(data, "tflite")


def onnx_target(data: bytes) -> None:
    _model_target(data, "onnx")


_IMAGE_BUNDLE: list = []


def image_target(data: bytes) -> None:
    """Arbitrary bytes as an image file through ``load_image`` and the bundle's ``predict``."""
    from edge_runtime.bundle import open_bundle
    from edge_runtime.images import load_image

    if not _IMAGE_BUNDLE:
        bundle = open_bundle(build_bundle(SCRATCH / "image-bundle"))
        _IMAGE_BUNDLE.append((bundle, bundle.session()))
    bundle, session = _IMAGE_BUNDLE[0]
    path = fresh("image.bin")
    path.write_bytes(data)
    raw = expected(lambda: load_image(path, bundle.input_spec))
    if raw is not None:
        probs = session.predict(raw)
        if probs.shape != (1, 3) or not np.all(np.isfinite(probs)):
            raise AssertionError(f"predict gave {probs!r} for a decoded image")


def report_target(data: bytes) -> None:
    """A bench file (raw bytes, or a valid one edited) through ``load_bench`` and both renderers."""
    from edge_runtime.report import load_runs, render_html, render_markdown
    from tests.edge_runtime.report.examples import x86_run

    fdp = provider(data)
    path = fresh("bench.json")
    if fdp.ConsumeIntInRange(0, 3) == 0:
        path.write_bytes(fdp.ConsumeBytes(fdp.remaining_bytes()))
    else:
        path.write_text(json.dumps(edit_document(x86_run(), fdp, fdp.ConsumeIntInRange(1, 5))))
    runs = expected(lambda: load_runs([path]))
    if runs is not None:
        render_html(runs, "fuzz", sources=[str(path)])
        render_markdown(runs, "fuzz", sources=[str(path)])


def _open_and_predict(opener: Callable) -> None:
    bundle = expected(opener)
    if bundle is None:
        return
    with bundle:
        session = expected(bundle.session)
        if session is not None and bundle.input_spec is not None:
            sample = np.zeros(bundle.input_spec["shape"], dtype=bundle.input_spec["dtype"])
            expected(lambda: session.predict(sample))


#: target name -> function; the corpus and crashers of each live in tests/fuzz/{corpus,crashers}/<name>/
TARGETS: dict[str, Callable[[bytes], None]] = {
    "manifest": manifest_target,
    "zip": zip_target,
    "tflite": tflite_target,
    "onnx": onnx_target,
    "image": image_target,
    "report": report_target,
}
