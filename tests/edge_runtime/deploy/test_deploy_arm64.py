"""One ``edgenn deploy`` reaches an x86 device and an emulated arm64 one; the merged report keeps them apart.

The arm64 device is the sshd of the cached Debian bookworm arm64 root filesystem (tests/arm64/rootfs.py),
run inside a throw-away overlay of it under qemu-user as a Raspberry Pi 5 CPU (cortex-a76), on another
127.0.0.1 port. The wheelhouse holds both platforms' wheels; each device gets only its own. Emulated
timings are not device timings: the bench here proves that the results travel and merge, never speed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.arm64.rootfs import Chroot, ensure_rootfs, unavailable_reason
from tests.edge_runtime.deploy.sshd import REPO

# minutes of emulated pip and bench: run by `make test-arm64` (pytest -m arm64), not by the default suite
pytestmark = [pytest.mark.slow, pytest.mark.arm64]


@pytest.fixture(scope="module")
def arm64_device(fleet, tmp_path_factory):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    rootfs = ensure_rootfs()
    with Chroot(rootfs, tmp_path_factory.mktemp("arm64-overlay")) as chroot:
        server = fleet.add_device("arm64", chroot=chroot.root, env={"QEMU_CPU": "cortex-a76"})
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def mixed_wheelhouse(wheelhouse, tmp_path_factory):
    """This machine's wheelhouse plus the aarch64 / Python 3.11 one (`edgenn wheelhouse`): one for the fleet."""
    arm = tmp_path_factory.mktemp("wheelhouse-arm64")
    subprocess.run([sys.executable, "-m", "pipelines.cli", "wheelhouse", "--platform", "linux_aarch64",
                    "--python", "3.11", "--out", str(arm)], check=True, capture_output=True, timeout=900,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    mixed = tmp_path_factory.mktemp("wheelhouse-mixed")
    for wheel in [*wheelhouse.glob("*.whl"), *arm.glob("*.whl")]:
        if not wheel.name.startswith("edgenn-"):  # deploy builds the edgenn wheel itself
            shutil.copy2(wheel, mixed / wheel.name)
    return mixed


def test_one_deploy_reaches_an_x86_and_an_arm64_device_and_the_report_keeps_both(
        fleet, first_deploy, arm64_device, mixed_wheelhouse, evil_bundle):
    code, output, record = fleet.deploy("dev-a", "arm64", "--bundle", str(evil_bundle), "--wheelhouse",
                                        str(mixed_wheelhouse), "--out", str(fleet.root / "mixed"),
                                        bench=["--runs", "20", "--warmup", "2"], timeout=3000)
    assert code == 0, output
    devices = {d["destination"]: d for d in record["devices"]}
    assert devices["arm64"]["probe"]["arch"] == "aarch64" and devices["dev-a"]["probe"]["arch"] == "x86_64"
    arm_wheels = set((arm64_device.home / "edgenn" / "wheels").iterdir())
    assert arm_wheels and not [w for w in arm_wheels if "x86_64" in w.name]  # only its own platform's wheels
    docs = {name: json.loads(Path(d["results"][0]).read_text()) for name, d in devices.items()}
    assert docs["arm64"]["device"]["arch"] == "aarch64" and docs["dev-a"]["device"]["arch"] == "x86_64"
    assert "emulated (qemu-user)" in docs["arm64"]["device"]["cpu_model"]
    merged = json.loads(Path(record["report"]["json"]).read_text())
    (arm_label,) = [label for label in merged["rows"] if label.endswith("(arm64)")]
    assert len(merged["rows"]) == 2 and any(label.endswith("(dev-a)") for label in merged["rows"])
    # every ratio within the arm64 device: recomputed from its own bench file
    arm = {r["model_id"]: r["latency_us"]["end_to_end"]["p50"] for r in docs["arm64"]["results"]}
    int8 = next(r for r in merged["rows"][arm_label] if r["model_id"] == "tflite-int8")
    assert int8["vs_fp32"] == pytest.approx(arm["tflite-int8"] / arm["tflite-fp32"])
