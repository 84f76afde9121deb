"""The atomic bundle writer: all or nothing, never over something that is not a bundle."""

from __future__ import annotations

import errno
import json
import zipfile

import pytest

from edge_runtime.errors import BundleError
from edge_runtime.manifest import read_manifest, verify_files
from export.bundle import write_bundle
from tests.edge_runtime.manifest_example import example_manifest, populate_with


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_a_written_bundle_reads_back_with_every_sha256(tmp_path):
    write_bundle(tmp_path / "b", populate_with(b"model-1"))
    manifest = read_manifest(tmp_path / "b")
    verify_files(tmp_path / "b", manifest)
    assert manifest["files"]["models/fp32.tflite"]["size_bytes"] == 7
    assert leftovers(tmp_path) == []


def test_missing_parent_directories_are_created_only_when_the_bundle_is_written(tmp_path):
    with pytest.raises(RuntimeError):
        write_bundle(tmp_path / "a" / "b" / "bundle", populate_with(b"m", fail=RuntimeError("converter crashed")))
    assert leftovers(tmp_path / "a" / "b") == []
    write_bundle(tmp_path / "a" / "b" / "bundle", populate_with(b"model-1"))
    assert read_manifest(tmp_path / "a" / "b" / "bundle")["files"]["models/fp32.tflite"]["size_bytes"] == 7


def test_a_file_on_the_bundle_path_is_refused_naming_it(tmp_path):
    (tmp_path / "a").write_text("not a directory")
    with pytest.raises(BundleError, match=f"{tmp_path / 'a'} is a file"):
        write_bundle(tmp_path / "a" / "b" / "bundle", populate_with(b"model-1"))


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


KILLED_WRITER = """
import os, sys, time
from export.bundle import write_bundle

def populate(tmp):
    (tmp / "models").mkdir()
    (tmp / "models" / "fp32.tflite").write_bytes(b"half")
    print("writing", flush=True)
    time.sleep(600)

write_bundle(sys.argv[1], populate, overwrite=True)
"""


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,  # noqa: S603
                          text=True, check=True)
    return int(proc.stdout)


def test_the_next_write_cleans_up_after_a_writer_killed_with_sigkill(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    write_bundle(tmp_path / "b", populate_with(b"model-1"))
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(tmp_path / "b")], stdout=subprocess.PIPE,  # noqa: S603
                            text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert [name.split("-")[0] for name in leftovers(tmp_path)] == [".b.tmp"]  # what SIGKILL leaves
    write_bundle(tmp_path / "b", populate_with(b"model-2"), overwrite=True)
    assert leftovers(tmp_path) == []
    assert (tmp_path / "b" / "models" / "fp32.tflite").read_bytes() == b"model-2"


def test_a_bundle_hidden_by_a_swap_that_was_killed_half_way_is_restored(tmp_path):
    import os

    from export.bundle import recover

    write_bundle(tmp_path / "b", populate_with(b"model-1"))
    hidden = tmp_path / f".b.old-{_dead_pid()}-x1y2"
    os.rename(tmp_path / "b", hidden)  # the first of the fallback swap's two renames, then the kill
    assert recover(tmp_path / "b") == [f"restored the earlier bundle from {hidden.name}"]
    assert (tmp_path / "b" / "models" / "fp32.tflite").read_bytes() == b"model-1"
    assert leftovers(tmp_path) == []


def test_leftovers_of_a_live_writer_are_left_alone(tmp_path):
    import os

    from export.bundle import recover

    live = tmp_path / f".b.tmp-{os.getppid()}-abcd"
    live.mkdir()
    assert recover(tmp_path / "b") == [] and live.is_dir()


def test_a_bundle_and_its_zip_get_the_permissions_a_plain_open_gives(tmp_path):
    (tmp_path / "plain").write_text("x")
    (tmp_path / "plain_dir").mkdir()
    write_bundle(tmp_path / "b", populate_with(b"model-1"))
    write_bundle(tmp_path / "b.zip", populate_with(b"model-1"), as_zip=True)
    assert (tmp_path / "b").stat().st_mode & 0o777 == (tmp_path / "plain_dir").stat().st_mode & 0o777
    assert (tmp_path / "b.zip").stat().st_mode & 0o777 == (tmp_path / "plain").stat().st_mode & 0o777
