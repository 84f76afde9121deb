"""SIGTERM cleans up like Ctrl-C: a bench on a .zip removes its extraction directory and exits 143."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.edge_runtime.bundle_factory import tiny_bundle
from tests.edge_runtime.foreground import sigint_default

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_bench_on_a_zip_leaves_no_extraction_directory(tmp_path, sig, code):
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(tiny_bundle().path.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(tiny_bundle().path).as_posix())
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch), "XDG_CACHE_HOME": str(tmp_path / "c")}
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "bench", str(archive), "--duration", "120"],  # noqa: S603
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=sigint_default)
    deadline = time.monotonic() + 120
    while not list(scratch.glob("edgenn-bundle-*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert list(scratch.glob("edgenn-bundle-*")), "bench never extracted the zip"
    time.sleep(3)  # into the measurement
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err[-2000:]
    assert list(scratch.glob("edgenn-bundle-*")) == []
