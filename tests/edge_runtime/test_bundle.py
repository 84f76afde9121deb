"""Opening bundles: directories, zips, bare models; sha256, corrupt files, and model selection."""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from edge_runtime.bundle import open_bundle
from edge_runtime.errors import BundleError, ConfigError
from tests.edge_runtime.bundle_factory import copy_bundle, tiny_bundle


@pytest.fixture(scope="module")
def tiny():
    return tiny_bundle()


def _zip_dir(src: Path, archive: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(src.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(src).as_posix())
    return archive


def test_a_bundle_directory_opens_with_its_manifest_pipeline_and_models(tiny):
    bundle = open_bundle(tiny.path)
    assert bundle.model_ids == ["tflite-fp32", "tflite-int8", "onnx-fp32"]
    assert not bundle.bare and bundle.pipeline is not None
    assert bundle.manifest["default_model"] == "tflite-int8"
    session = bundle.session()
    assert session.model["id"] == "tflite-int8" and session.backend_name == "litert"


@pytest.mark.parametrize("model_id, atol", [("tflite-fp32", 1e-5), ("onnx-fp32", 1e-5)])
def test_float_models_reproduce_the_keras_outputs(tiny, model_id, atol):
    probs = open_bundle(tiny.path).session(model_id).predict(tiny.x_raw)
    np.testing.assert_allclose(probs, tiny.keras_probs, atol=atol)


def test_the_int8_model_agrees_with_keras_through_quantized_io(tiny):
    probs = open_bundle(tiny.path).session("tflite-int8").predict(tiny.x_raw)
    assert probs.dtype == np.float32
    assert (probs.argmax(1) == tiny.keras_probs.argmax(1)).mean() >= 0.97
    assert np.abs(probs - tiny.keras_probs).max() < 0.15  # a few output steps of 1/256


@pytest.mark.parametrize("prefix", ["", "tiny_cnn/"])
def test_a_zipped_bundle_opens_from_its_root_or_one_folder_down_and_cleans_up(tiny, tmp_path, prefix):
    archive = _zip_dir(tiny.path, tmp_path / "b.zip", prefix)
    with open_bundle(archive) as bundle:
        extracted = bundle.path
        probs = bundle.session("tflite-fp32").predict(tiny.x_raw[:4])
        np.testing.assert_allclose(probs, tiny.keras_probs[:4], atol=1e-5)
        assert bundle.source == archive
    assert not extracted.exists()


@pytest.mark.parametrize("entry, why", [("../escape.txt", "'..'"), ("/abs/escape.txt", "absolute"),
                                         ("models/../../escape.txt", "'..'"), ("C:/escape.txt", "absolute")])
def test_zip_entries_escaping_the_target_are_refused(tiny, tmp_path, entry, why):
    archive = _zip_dir(tiny.path, tmp_path / "evil.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(entry, "gotcha")
    with pytest.raises(BundleError, match=why):
        open_bundle(archive)
    assert not (tmp_path / "escape.txt").exists()
    assert not list(tmp_path.parent.glob("escape.txt"))


def test_a_zip_with_a_symlink_entry_is_refused(tiny, tmp_path):
    archive = _zip_dir(tiny.path, tmp_path / "link.zip")
    info = zipfile.ZipInfo("models/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(BundleError, match="symbolic link"):
        open_bundle(archive)


def test_a_tampered_model_is_refused_before_it_is_loaded(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    model = bundle_dir / "models" / "int8.tflite"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit: same size, different sha256
    model.write_bytes(bytes(data))
    bundle = open_bundle(bundle_dir)
    with pytest.raises(BundleError, match="int8.tflite: sha256 mismatch"):
        bundle.session("tflite-int8")
    bundle.session("tflite-fp32")  # the untouched models still load


def test_a_manifest_that_breaks_the_schema_is_refused(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    manifest["models"][0]["precision"] = "int4"
    (bundle_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="precision"):
        open_bundle(bundle_dir)


def test_a_bare_tflite_runs_without_preprocessing_and_says_so(tiny):
    bundle = open_bundle(tiny.path / "models" / "fp32.tflite")
    assert bundle.bare and bundle.pipeline is None
    assert "no preprocessing" in bundle.notes[0]
    probs = bundle.session().infer(tiny.x_raw[:3].astype(np.float32) / 255.0)
    np.testing.assert_allclose(probs, tiny.keras_probs[:3], atol=1e-5)


@pytest.mark.parametrize("name, damage", [
    ("int8.tflite", lambda d: d[: len(d) // 2]),
    ("int8.tflite", lambda d: d[:4] + b"XXXX" + d[8:]),
    ("int8.tflite", lambda d: b""),
    ("fp32.onnx", lambda d: d[: len(d) // 3]),
    ("fp32.onnx", lambda d: bytes(range(256)) * 8),
])
def test_a_corrupt_bare_model_is_a_clear_error_and_the_process_survives(tiny, tmp_path, name, damage):
    path = tmp_path / name
    path.write_bytes(damage((tiny.path / "models" / name).read_bytes()))
    with pytest.raises(BundleError, match=name):
        open_bundle(path).session()
    assert open_bundle(tiny.path).session("tflite-fp32").predict(tiny.x_raw[:1]).shape == (1, 10)


def test_a_corrupt_model_passing_its_sha256_is_still_a_clear_error(tmp_path):
    """A manifest rewritten to match a broken file: the header check and the engine's verifier catch it."""
    from edge_runtime.manifest import dumps_manifest, sha256_file

    bundle_dir = copy_bundle(tmp_path)
    model = bundle_dir / "models" / "int8.tflite"
    model.write_bytes(model.read_bytes()[:2000])
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    entry = {"sha256": sha256_file(model), "size_bytes": model.stat().st_size}
    manifest["files"]["models/int8.tflite"] = entry
    manifest["models"][1].update(entry)
    (bundle_dir / "manifest.json").write_text(dumps_manifest(manifest))
    with pytest.raises(BundleError, match="int8.tflite"):
        open_bundle(bundle_dir).session("tflite-int8")


def test_unknown_variants_and_backends_list_the_known_ones(tiny):
    bundle = open_bundle(tiny.path)
    with pytest.raises(ConfigError, match=r"tflite-fp32.*onnx-fp32.*Received: 'int4'"):
        bundle.session("int4")
    with pytest.raises(ConfigError, match=r"\['litert', 'onnxruntime'\]. Received: backend='tvm'"):
        bundle.session(backend="tvm")
    with pytest.raises(ConfigError, match="cannot run tflite"):
        bundle.session("tflite-fp32", backend="onnxruntime")


def test_a_variant_resolves_by_backend_then_by_the_default_models_format(tiny):
    bundle = open_bundle(tiny.path)
    assert bundle.model("fp32")["id"] == "tflite-fp32"
    assert bundle.model("fp32", backend="onnxruntime")["id"] == "onnx-fp32"
    assert bundle.model(None, backend="onnxruntime")["id"] == "onnx-fp32"
    assert bundle.session("int8").model_id == "tflite-int8"


def test_a_missing_path_or_unknown_suffix_is_a_bundle_error(tmp_path):
    with pytest.raises(BundleError, match="not found"):
        open_bundle(tmp_path / "nope")
    other = tmp_path / "model.pb"
    other.write_bytes(b"x")
    with pytest.raises(BundleError, match=r"\.tflite or an \.onnx"):
        open_bundle(other)


def test_a_model_file_missing_from_the_bundle_is_named(tmp_path):
    bundle_dir = copy_bundle(tmp_path)
    os.remove(bundle_dir / "models" / "fp32.onnx")
    with pytest.raises(BundleError, match="fp32.onnx: missing"):
        open_bundle(bundle_dir).session("onnx-fp32")
    shutil.rmtree(bundle_dir)
