"""The parts of ``edgenn deploy`` that need no SSH server: quoting, destinations, the wheel, the agent."""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
import subprocess
import sys
import zipfile

import pytest

from edge_runtime.deploy.device_job import AGENT_SOURCE, remote_root
from edge_runtime.deploy.payload import wheel_fits
from edge_runtime.deploy.ssh import check_destination, remote_command, ssh_failure
from edge_runtime.deploy.wheel import build_wheel
from edge_runtime.errors import UserError
from pipelines.cli import main


def test_every_remote_argument_reaches_the_device_shell_as_one_word():
    argv = ["edgenn", "bench", "my bundle; rm -rf ~", "$(reboot)", "`id`", "it's", "a\"b", "*", ""]
    assert shlex.split(remote_command(argv)) == argv  # a POSIX shell reads back exactly these words
    assert remote_command(["~/edgenn/venv/bin/edgenn", "~/x y"]) == "~/edgenn/venv/bin/edgenn ~/'x y'"
    assert remote_root("~") == "~/." and remote_root("~/edgenn/") == "~/edgenn" and remote_root("/opt/e") == "/opt/e"


@pytest.mark.parametrize("destination", ["-oProxyCommand=touch /tmp/x", "pi@host name", "", "pi@host\n-v"])
def test_a_destination_can_never_become_an_option_or_a_second_argument(destination):
    with pytest.raises(UserError, match="SSH destination"):
        check_destination(destination)


def test_ssh_failures_read_as_reasons_and_remote_exit_codes_are_not_ssh_failures():
    changed = "@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n...\nHost key verification failed.\n"
    assert ssh_failure(255, changed).startswith("host key changed")
    assert ssh_failure(255, "root@127.0.0.1: Permission denied (publickey).").startswith("authentication refused")
    assert ssh_failure(255, "weird\n") == "ssh failed: weird"
    assert ssh_failure(1, "Permission denied") is None  # the remote command's own failure


def test_the_wheel_is_reproducible_and_its_record_matches_its_files(tmp_path):
    first, second = build_wheel(tmp_path / "a"), build_wheel(tmp_path / "b")
    assert first.name == second.name and first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as wheel:
        names = set(wheel.namelist())
        assert {"edge_runtime/deploy/agent.py", "edge_runtime/schemas/bench-v1.schema.json",
                "pipelines/cli.py"} <= names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        for line in wheel.read(record).decode().splitlines():
            name, digest, size = line.rsplit(",", 2)
            if name == record:
                continue
            data = wheel.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(data)


def _agent(*args: str, data: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", AGENT_SOURCE, *args], input=data, capture_output=True, timeout=60)


def _frame(path: str, data: bytes, sha256: str | None = None) -> bytes:
    header = {"path": path, "size": len(data), "sha256": sha256 or hashlib.sha256(data).hexdigest()}
    return json.dumps(header).encode() + b"\n" + data


def test_the_agent_writes_only_verified_files_inside_its_directory(tmp_path):
    done = _agent("receive", str(tmp_path), data=_frame("a/b.bin", b"hello") + _frame("c.bin", b"x" * 3))
    assert done.returncode == 0 and json.loads(done.stdout) == {"files": 2, "bytes": 8}
    assert (tmp_path / "a/b.bin").read_bytes() == b"hello"
    probe = json.loads(_agent("probe", str(tmp_path), data=b'["a/b.bin", "missing"]').stdout)
    assert probe["hashes"] == {"a/b.bin": hashlib.sha256(b"hello").hexdigest(), "missing": None}
    assert probe["venv_exists"] is False and probe["installed"] is None and probe["free_bytes"] > 0

    bad = _agent("receive", str(tmp_path), data=_frame("a/b.bin", b"HELLO", sha256=hashlib.sha256(b"hello").hexdigest()))
    assert bad.returncode == 4 and b"sha256 mismatch" in bad.stderr
    assert (tmp_path / "a/b.bin").read_bytes() == b"hello" and not list(tmp_path.rglob("*.partial"))
    escape = _agent("receive", str(tmp_path), data=_frame("../outside", b"x"))
    assert escape.returncode == 5 and not (tmp_path.parent / "outside").exists()


def test_bad_deploy_arguments_end_with_one_line_and_exit_2(tmp_path, capsys):
    assert main(["deploy", "--bundle", str(tmp_path), "--", "-oProxyCommand=x"]) == 2
    assert main(["deploy", "pi@host", "--bundle", str(tmp_path), "--bench", "--json", "x.json"]) == 2
    assert main(["deploy", "pi@host", "--bundle", str(tmp_path / "missing")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("edgenn deploy: error: Expected") for line in errors)


def test_each_device_gets_only_the_wheels_of_its_architecture_and_python():
    """One wheelhouse for a mixed fleet: a Pi (aarch64, 3.11), a Jetson (aarch64, 3.10), this x86 machine."""
    wheels = {"onnxruntime-1.31.1-cp311-cp311-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl": {"pi"},
              "onnxruntime-1.23.2-cp310-cp310-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl": {"jetson"},
              "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl": {"x86"},
              "protobuf-7.36.2-cp310-abi3-manylinux2014_aarch64.whl": {"pi", "jetson"},
              "protobuf-7.36.2-cp312-abi3-manylinux2014_x86_64.whl": set(),  # needs 3.12+
              "flatbuffers-25.12.19-py2.py3-none-any.whl": {"pi", "jetson", "x86"}}
    devices = {"pi": ("aarch64", "3.11.2"), "jetson": ("aarch64", "3.10.12"), "x86": ("x86_64", "3.11.7")}
    for name, fits in wheels.items():
        assert {d for d, (arch, python) in devices.items() if wheel_fits(name, arch, python)} == fits, name
