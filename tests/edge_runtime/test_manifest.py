"""The bundle manifest contract: validated on read and write, never guessed."""

import json

import pytest

from edge_runtime.errors import BundleError
from edge_runtime.manifest import (
    dumps_manifest,
    load_schema,
    read_manifest,
    sha256_file,
    validate_manifest,
    verify_files,
)
from tests.edge_runtime.manifest_example import example_manifest
from tests.edge_runtime.oracles import oracle


def test_example_manifest_is_valid_for_both_validators():
    manifest = example_manifest()
    assert validate_manifest(manifest) == []
    oracle("jsonschema").validate(manifest, load_schema())


def test_manifest_round_trips_through_json(tmp_path):
    manifest = example_manifest()
    (tmp_path / "manifest.json").write_text(dumps_manifest(manifest))
    assert read_manifest(tmp_path) == manifest


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda m: m.pop("models"), "missing required field 'models'"),
        (lambda m: m.update(task="detection"), "$.task: expected one of"),
        (lambda m: m.update(default_model="onnx-int8"), "$.default_model: expected one of ['tflite-fp32']"),
        (lambda m: m["models"].append(dict(m["models"][0])), "id 'tflite-fp32' is used more than once"),
        (lambda m: m["models"][0].update(precision="int4"), "$.models[0].precision"),
        (lambda m: m["files"].clear(), "is not listed in $.files"),
        (lambda m: m["files"].update({"../evil.bin": {"sha256": "b" * 64, "size_bytes": 1}}), "relative path"),
        (lambda m: m.update(labels=[]), "needs its class names"),
        (lambda m: m.update(surprise=1), "unknown field 'surprise'"),
    ],
)
def test_invalid_manifests_name_the_field_at_fault(mutate, message):
    manifest = example_manifest()
    mutate(manifest)
    errors = validate_manifest(manifest)
    assert any(message in e for e in errors), errors


def test_another_schema_version_is_refused_with_advice(tmp_path):
    manifest = example_manifest()
    manifest["schema_version"] = 2
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="expected 1, received 2.*re-export"):
        read_manifest(tmp_path)


def test_missing_or_broken_manifest_is_a_bundle_error(tmp_path):
    with pytest.raises(BundleError, match="manifest.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(BundleError, match="not valid JSON"):
        read_manifest(tmp_path)


def test_writer_refuses_an_invalid_manifest():
    manifest = example_manifest()
    manifest["task"] = "?"
    with pytest.raises(BundleError, match="refusing to write"):
        dumps_manifest(manifest)


def test_verify_files_detects_tampering(tmp_path):
    model = tmp_path / "models" / "fp32.tflite"
    model.parent.mkdir()
    model.write_bytes(b"x" * 1000)
    manifest = example_manifest()
    digest = sha256_file(model)
    manifest["files"]["models/fp32.tflite"]["sha256"] = digest
    verify_files(tmp_path, manifest)
    model.write_bytes(b"y" * 1000)
    with pytest.raises(BundleError, match="sha256 mismatch"):
        verify_files(tmp_path, manifest)
    model.write_bytes(b"y" * 10)
    with pytest.raises(BundleError, match="size 10 bytes"):
        verify_files(tmp_path, manifest)
