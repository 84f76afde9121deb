"""``edgenn deploy`` against real OpenSSH servers on 127.0.0.1: success, the failures a fleet has, Ctrl-C.

The devices are sshd processes on this machine (conftest.py), so the test can look at the "device"
directly: the files on its disk (hashed here with hashlib), its processes (/proc), its disk (a tmpfs).
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from edge_runtime.device import device_facts
from tests.edge_runtime.deploy.conftest import EVIL_NAME
from tests.edge_runtime.foreground import sigint_default

pytestmark = pytest.mark.slow


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _by_destination(record: dict) -> dict[str, dict]:
    return {d["destination"]: d for d in record["devices"]}


def _bench_processes(server) -> list[int]:
    """Processes below this sshd whose command line runs edgenn bench (the guard and the bench itself)."""
    found = []
    for pid in server.tree():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"bench" in argv and any(a.endswith(b"/edgenn") for a in argv):
            found.append(pid)
    return found


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_two_devices_are_deployed_benchmarked_and_merged_in_one_command(fleet, first_deploy, evil_bundle):
    code, output, record, _ = first_deploy
    assert code == 0, output
    devices = _by_destination(record)
    assert all(devices[d]["ok"] for d in ("dev-a", "dev-b")), output
    for step in ("probe", "copy", "install", "inspect", "bench", "fetch"):  # progress per device and step
        assert any(line.startswith("[0:") and "dev-a" in line and f"  {step} " in line for line in output.splitlines())
    for alias in ("dev-a", "dev-b"):
        remote = fleet.devices[alias].home / "edgenn" / "bundles" / EVIL_NAME
        local_files = sorted(p.relative_to(evil_bundle) for p in evil_bundle.rglob("*") if p.is_file())
        assert local_files and all(_sha(remote / f) == _sha(evil_bundle / f) for f in local_files)
        assert (fleet.devices[alias].home / "edgenn" / "venv" / "bin" / "edgenn").exists()
        (result,) = devices[alias]["results"]
        doc = json.loads(Path(result).read_text())
        assert doc["device"]["label"] == alias
        assert doc["device"]["device_id"] == device_facts()["device_id"]  # the same machine, reached twice
        assert {r["model_id"] for r in doc["results"]} == {"tflite-fp32", "tflite-int8", "onnx-fp32"}
    merged = json.loads(Path(record["report"]["json"]).read_text())
    labels = sorted(merged["rows"])
    assert len(labels) == 2 and labels[0].endswith("(dev-a)") and labels[1].endswith("(dev-b)")
    assert record["report"]["devices"] == 2 and Path(record["report"]["html"]).exists()
    # the bundle's name reached every remote shell quoted: nothing ran
    assert not [p for root in (fleet.root, evil_bundle.parent) for p in root.rglob("INJECTED")]


def test_a_second_deploy_sends_only_what_changed_and_no_model_bytes(fleet, first_deploy, evil_bundle, wheelhouse):
    remote_manifest = fleet.devices["dev-a"].home / "edgenn" / "bundles" / EVIL_NAME / "manifest.json"
    remote_manifest.write_text("{}")  # a damaged file on the device: the only one to send again
    code, output, record = fleet.deploy("dev-a", "--bundle", str(evil_bundle), "--wheelhouse", str(wheelhouse))
    assert code == 0, output
    (device,) = record["devices"]
    size = (evil_bundle / "manifest.json").stat().st_size
    assert device["transfer"]["files_sent"] == 1 and device["transfer"]["bytes_sent"] == size
    assert _sha(remote_manifest) == _sha(evil_bundle / "manifest.json")
    assert "up to date" in next(s["detail"] for s in device["steps"] if s["step"] == "install")

    code, output, record = fleet.deploy("dev-a", "--bundle", str(evil_bundle), "--wheelhouse", str(wheelhouse))
    assert code == 0, output
    assert record["devices"][0]["transfer"]["bytes_sent"] == 0
    assert record["devices"][0]["transfer"]["files_unchanged"] > 10  # wheelhouse, wheel and bundle: all checked


def test_unreachable_and_refused_devices_fail_with_their_reason_while_the_others_succeed(
        fleet, first_deploy, evil_bundle, wheelhouse):
    known_hosts = {p: p.read_text() for p in fleet.root.glob("known_hosts*")}
    code, output, record = fleet.deploy("dev-a", "closed", "wrong-key", "changed-key", "unknown-host",
                                        "--bundle", str(evil_bundle), "--wheelhouse", str(wheelhouse))
    assert code == 1
    devices = _by_destination(record)
    assert devices["dev-a"]["ok"]
    expected = {"closed": "connection refused", "wrong-key": "authentication refused",
                "changed-key": "host key changed", "unknown-host": "host key unknown"}
    for alias, reason in expected.items():
        assert not devices[alias]["ok"] and devices[alias]["failed_step"] == "probe"
        assert devices[alias]["reason"].startswith(reason), devices[alias]["reason"]
        assert any(alias in line and f"FAILED: {reason}" in line for line in output.splitlines()), output
    assert "1 of 5 device(s) succeeded" in output
    assert {p: p.read_text() for p in fleet.root.glob("known_hosts*")} == known_hosts  # no key silently accepted


def test_a_full_remote_disk_is_reported_and_leaves_no_partial_file(fleet, first_deploy, evil_bundle, tmp_path):
    disk = tmp_path / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    try:
        code, output, record = fleet.deploy("dev-b", "--bundle", str(evil_bundle), "--remote-dir",
                                            str(disk / "edgenn"))
        (device,) = record["devices"]
        assert code == 1 and device["failed_step"] == "install", output  # the bundle fits; a venv (25 MB) does not
        assert device["reason"].startswith("disk full on the device"), device["reason"]
        assert not list(disk.rglob("*.partial"))
        assert _sha(disk / "edgenn" / "bundles" / EVIL_NAME / "manifest.json") == _sha(evil_bundle / "manifest.json")
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_device_dying_mid_bench_is_reported_while_the_other_finishes(fleet, first_deploy, evil_bundle, wheelhouse):
    dying = fleet.add_device("dev-c", home=fleet.devices["dev-a"].home)  # dev-a's board, its venv ready
    record = fleet.root / "dying.json"
    command = fleet.command("dev-c", "dev-b", "--bundle", str(evil_bundle), "--wheelhouse", str(wheelhouse),
                            "--out", str(fleet.root / "dying"), "--json", str(record),
                            bench=["--duration", "1", "--window", "0.5", "--warmup", "5"])
    proc = subprocess.Popen(command, cwd=fleet.root, env=fleet.env(), stdout=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _bench_processes(dying), 120, "the bench to start on dev-c")
        dying.kill_device()
        output = proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    devices = _by_destination(json.loads(record.read_text()))
    assert proc.returncode == 1, output
    assert devices["dev-c"]["failed_step"] == "bench" and devices["dev-c"]["reason"].startswith("connection lost")
    assert devices["dev-b"]["ok"] and len(devices["dev-b"]["results"]) == 1
    assert "1 of 2 device(s) succeeded" in output


def test_ctrl_c_stops_the_bench_on_the_device(fleet, first_deploy, evil_bundle, wheelhouse):
    device = fleet.devices["dev-a"]
    command = fleet.command("dev-a", "--bundle", str(evil_bundle), "--wheelhouse", str(wheelhouse),
                            "--out", str(fleet.root / "interrupted"), bench=["--duration", "60"])
    proc = subprocess.Popen(command, cwd=fleet.root, env=fleet.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, preexec_fn=sigint_default)
    try:
        _wait_for(lambda: _bench_processes(device), 120, "the bench to start on dev-a")
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends the deploy (not its ssh children: they must be ended)
        # generous for a loaded host: were Ctrl-C ignored, the deploy would end after the 60 s bench, not with 130
        output = proc.communicate(timeout=240)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, output
    _wait_for(lambda: not _bench_processes(device), 15, "the remote bench to end")
