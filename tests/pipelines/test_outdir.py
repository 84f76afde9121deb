"""Claiming a run directory: one trainer at a time (a lock the kernel releases), and failed starts restartable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from edge_runtime.errors import DataError
from pipelines.cli import main
from pipelines.config import load_config
from pipelines.outdir import OutDirError, claim
from pipelines.train import train

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from pipelines.outdir import claim
claim(sys.argv[1], {"k": 1})
print("held", flush=True)
sys.stdin.read()
"""


def quiet(_):
    pass


@pytest.fixture
def holder(tmp_path):
    """Another process that claimed tmp_path/run and keeps it until killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "run")], stdin=subprocess.PIPE,  # noqa: S603
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "held"
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def test_a_second_trainer_is_refused_while_the_first_holds_the_directory(tmp_path, holder, tiny_config, capsys):
    with pytest.raises(OutDirError, match=rf"another edgenn process \(pid {holder.pid}\) is training into it"):
        claim(tmp_path / "run", {"k": 1})
    code = main(["train", tiny_config(), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"pid {holder.pid}" in err


def test_the_lock_is_released_when_the_holder_is_killed(tmp_path, holder):
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert claim(tmp_path / "run", {"k": 1}) == "resume"  # its state file says "running" for this config


def test_a_run_that_failed_before_its_first_epoch_accepts_the_corrected_config(tmp_path, tiny_config):
    out = tmp_path / "out"
    with pytest.raises(DataError, match="expected images"):
        train(load_config(tiny_config(model={"builder": "cnn"})), out, log=quiet)
    result = train(load_config(tiny_config(train__epochs=1)), out, log=quiet)
    assert result.status == "complete" and (out / "run.json").is_file()


def test_a_run_with_finished_epochs_still_needs_overwrite_for_another_config(tmp_path, tiny_config):
    out = tmp_path / "out"
    out.mkdir()
    claim(out, {"k": 1})
    (out / "history.csv").write_text("epoch,loss\n0,1.5\n")
    with pytest.raises(OutDirError, match="a run of a different config; pass --overwrite"):
        claim(out, {"k": 2})
