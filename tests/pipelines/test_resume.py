"""A killed training process, restarted with the same command, ends where an uninterrupted run ends."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from models.rundir import load_run
from tests.pipelines.conftest import TINY_DIGITS, write_config

pytestmark = pytest.mark.slow
EPOCHS = 8


def _command(config: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "train", config, "--out", str(out)]


def _epochs_done(out: Path) -> int:
    try:
        with (out / "history.csv").open() as handle:
            return len(list(csv.DictReader(handle)))
    except (OSError, csv.Error):
        return 0


def _env():
    return {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}


def test_a_killed_run_resumes_and_matches_an_uninterrupted_run(tmp_path):
    # dropout draws a new mask every step: the resumed run must continue the random stream, not restart it
    sections = {**TINY_DIGITS, "model": {"builder": "mlp", "hidden": [32], "dropout": 0.3},
                "train": {"epochs": EPOCHS, "batch_size": 32, "verbose": 0, "early_stopping": 4}}
    config = write_config(tmp_path / "resume.toml", sections)
    killed = tmp_path / "killed"
    process = subprocess.Popen(_command(config, killed), env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _epochs_done(killed) < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process.poll() is None, "training ended before it could be killed"
        process.send_signal(signal.SIGKILL)  # no clean-up: as if the machine went down
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    done = _epochs_done(killed)
    assert 3 <= done < EPOCHS and not (killed / "run.json").exists()

    resumed = subprocess.run(_command(config, killed), env=_env(), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming" in resumed.stdout
    straight = tmp_path / "straight"
    subprocess.run(_command(config, straight), env=_env(), capture_output=True, text=True, timeout=300, check=True)

    a, b = load_run(killed), load_run(straight)
    assert a.info["metrics"]["training"]["resumed_at_epoch"] > 1
    assert a.info["metrics"]["training"]["epochs_run"] == b.info["metrics"]["training"]["epochs_run"]
    assert a.info["metrics"]["training"]["best_epoch"] == b.info["metrics"]["training"]["best_epoch"]
    for wa, wb in zip(a.load_model().get_weights(), b.load_model().get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    assert a.info["metrics"]["test"]["accuracy"] == b.info["metrics"]["test"]["accuracy"]
    with (killed / "history.csv").open() as handle:
        epochs = [int(r["epoch"]) for r in csv.DictReader(handle)]
    assert epochs == list(range(len(epochs)))  # no epoch twice, none missing
