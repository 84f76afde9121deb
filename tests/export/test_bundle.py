"""The atomic bundle writer: all or nothing, never over something that is not a bundle."""

from __future__ import annotations

import errno
import json
import zipfile

import pytest

from edge_runtime.errors import BundleError
from edge_runtime.manifest import read_manifest, verify_files
from export.bundle import write_bundle
from tests.edge_runtime.manifest_example import example_manifest


def populate_with(payload: bytes, fail: Exception | None = None):
    """A populate step writing one model file (then failing, if asked) like export_run's."""

    def populate(tmp):
        (tmp / "models").mkdir()
        (tmp / "models" / "fp32.tflite").write_bytes(payload)
        if fail is not None:
            raise fail
        import hashlib

        manifest = example_manifest()
        model = manifest["models"][0]
        model.update(sha256=hashlib.sha256(payload).hexdigest(), size_bytes=len(payload))
        return manifest

    return populate


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_a_written_bundle_reads_back_with_every_sha256(tmp_path):
    write_bundle(tmp_path / "b", populate_with(b"model-1"))
    manifest = read_manifest(tmp_path / "b")
    verify_files(tmp_path / "b", manifest)
    assert manifest["files"]["models/fp32.tflite"]["size_bytes"] == 7
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", [RuntimeError("converter crashed"), OSError(errno.ENOSPC, "No space left on device"),
                                     KeyboardInterrupt()])
def test_a_failure_part_way_leaves_the_earlier_bundle_untouched(tmp_path, failure):
    write_bundle(tmp_path / "b", populate_with(b"model-1"))
    before = (tmp_path / "b" / "manifest.json").read_bytes()
    expected = BundleError if isinstance(failure, OSError) else type(failure)
    with pytest.raises(expected):
        write_bundle(tmp_path / "b", populate_with(b"model-2", fail=failure), overwrite=True)
    assert (tmp_path / "b" / "manifest.json").read_bytes() == before
    assert (tmp_path / "b" / "models" / "fp32.tflite").read_bytes() == b"model-1"
    assert leftovers(tmp_path) == []  # no temporary directory left behind


def test_an_invalid_manifest_is_never_installed(tmp_path):
    def bad(tmp):
        manifest = populate_with(b"m")(tmp)
        manifest["models"][0]["precision"] = "int4"
        return manifest

    with pytest.raises(BundleError, match="precision"):
        write_bundle(tmp_path / "b", bad)
    assert not (tmp_path / "b").exists() and leftovers(tmp_path) == []


def test_overwrite_replaces_a_bundle_only_when_asked(tmp_path):
    write_bundle(tmp_path / "b", populate_with(b"model-1"))
    with pytest.raises(BundleError, match="--overwrite"):
        write_bundle(tmp_path / "b", populate_with(b"model-2"))
    write_bundle(tmp_path / "b", populate_with(b"model-2"), overwrite=True)
    assert (tmp_path / "b" / "models" / "fp32.tflite").read_bytes() == b"model-2"


def test_a_path_that_is_not_a_bundle_is_refused_even_with_overwrite(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("precious")
    (tmp_path / "file.txt").write_text("precious")
    for target in ("notes", "file.txt"):
        with pytest.raises(BundleError, match="not an edgenn bundle"):
            write_bundle(tmp_path / target, populate_with(b"m"), overwrite=True)
    assert (tmp_path / "notes" / "thesis.txt").read_text() == "precious"


def test_zip_bundle_has_the_manifest_at_its_root(tmp_path):
    write_bundle(tmp_path / "b.zip", populate_with(b"model-1"), as_zip=True)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert sorted(archive.namelist()) == ["manifest.json", "models/fp32.tflite"]
        assert json.loads(archive.read("manifest.json"))["name"] == "mnist_hybrid"
    write_bundle(tmp_path / "b.zip", populate_with(b"model-2"), as_zip=True, overwrite=True)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert archive.read("models/fp32.tflite") == b"model-2"
    assert leftovers(tmp_path) == []


def test_the_source_run_is_recorded_by_name_absolute_path_and_path_from_the_bundle(tmp_path):
    from edge_runtime.bundle import open_bundle
    from edge_runtime.manifest import validate_manifest

    run = tmp_path / "runs" / "mnist_mlp"
    run.mkdir(parents=True)
    (tmp_path / "bundles").mkdir()
    write_bundle(tmp_path / "bundles" / "mlp.zip", populate_with(b"m"), as_zip=True, run_dir=run)
    write_bundle(run / "bundle", populate_with(b"m"), run_dir=run)
    with open_bundle(tmp_path / "bundles" / "mlp.zip") as bundle:
        assert bundle.source_run == {"name": "mnist_mlp", "path": str(run.resolve()), "relative": "../runs/mnist_mlp"}
    with open_bundle(run / "bundle") as bundle:
        assert bundle.source_run["relative"] == "."
    write_bundle(tmp_path / "old", populate_with(b"m"))
    with open_bundle(tmp_path / "old") as bundle:
        assert bundle.source_run is None  # written without it: the run is unknown, never guessed
    manifest = {**example_manifest(), "source_run": {"name": "mnist_mlp", "path": 3, "relative": None}}
    assert any("source_run" in error for error in validate_manifest(manifest))
