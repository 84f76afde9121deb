"""Output paths (--json, --out, --markdown) that cannot be written: exit 2 and one line, in every command.

The read-only and full-disk cases mount a real tmpfs (root in CI); elsewhere they are skipped.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from edge_runtime import atomic
from pipelines.cli import main
from tests.edge_runtime.report.examples import x86_run

COMMANDS = {
    "predict": lambda tmp, flag, path: ["predict", str(tmp / "bundle"), str(tmp / "img.png"), flag, path],
    "bench": lambda tmp, flag, path: ["bench", str(tmp / "bundle"), flag, path],
    "report": lambda tmp, flag, path: ["report", str(tmp / "bench.json"), flag, path],
    "train": lambda tmp, flag, path: ["train", str(tmp / "cfg.toml"), flag, path],
    "export": lambda tmp, flag, path: ["export", str(tmp / "run"), flag, path],
}


def _bad_paths(tmp: Path) -> dict[str, tuple[str, str]]:
    (tmp / "a_dir").mkdir(exist_ok=True)
    (tmp / "a_file").write_text("x")
    return {
        "directory": (str(tmp / "a_dir"), "it is a directory"),
        "proc": ("/proc/self/edgenn.json", "it is under /proc, a virtual file system"),
        "sys": ("/sys/kernel/edgenn.json", "it is under /sys, a virtual file system"),
        "parent is a file": (str(tmp / "a_file" / "r.json"), "is a file"),
    }


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", ["directory", "proc", "sys", "parent is a file"])
def test_an_unwritable_json_path_is_one_line_and_exit_2(tmp_path, capsys, command, case):
    path, reason = _bad_paths(tmp_path)[case]
    code = main(COMMANDS[command](tmp_path, "--json", path))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"Received: --json={path!r}" in err and reason in err


@pytest.mark.parametrize("command, kind", [("report", "file"), ("train", "dir"), ("export", "any")])
def test_an_out_path_under_proc_or_below_a_file_is_refused(tmp_path, capsys, command, kind):
    for path, reason in (("/proc/1/x", "virtual file system"), (str(tmp_path / "f" / "x"), "is a file")):
        (tmp_path / "f").write_text("x")
        assert main(COMMANDS[command](tmp_path, "--out", path)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"--out={path!r}" in err and reason in err


@pytest.fixture
def tmpfs(tmp_path):
    """A 64 KiB tmpfs mounted at tmp_path/mnt (options via the returned function); unmounted after."""
    mounted = []

    def mount(options: str) -> Path:
        target = tmp_path / f"mnt{len(mounted)}"
        target.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],  # noqa: S607
                              capture_output=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", str(target)], check=False)  # noqa: S607


def test_a_read_only_mount_is_refused_before_the_command_runs(tmp_path, tmpfs, capsys):
    target = tmpfs("size=64k,ro")
    (tmp_path / "bench.json").write_text(json.dumps(x86_run()))
    assert main(["report", str(tmp_path / "bench.json"), "--out", str(target / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not writable (a read-only file system" in err


def test_a_full_disk_is_one_line_and_the_earlier_file_survives(tmp_path, tmpfs, capsys):
    target = tmpfs("size=64k")
    (tmp_path / "bench.json").write_text(json.dumps(x86_run()))
    atomic.write_text(target / "r.json", "earlier\n")
    with open(target / "filler", "wb", buffering=0) as handle:  # fill the disk to the last block
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    code = main(["report", str(tmp_path / "bench.json"), "--out", str(tmp_path / "r.html"),
                 "--json", str(target / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"cannot write {target / 'r.json'}: No space left on device" in err
    assert (target / "r.json").read_text() == "earlier\n"


def test_written_files_get_the_permissions_a_plain_open_gives(tmp_path):
    atomic.write_json(tmp_path / "r.json", {"a": 1})
    atomic.write_with(tmp_path / "r.bin", lambda p: p.write_bytes(b"x"))
    (tmp_path / "plain").write_text("x")
    plain = (tmp_path / "plain").stat().st_mode & 0o777
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == plain
    assert (tmp_path / "r.bin").stat().st_mode & 0o777 == plain
