"""Small CLI frictions (issue 13): config paths, subcommand usage with "did you mean", errors
found before TensorFlow loads, and what an interrupted train says."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.config import load_config
from pipelines.datasets import rebase, resolve
from tests.edge_runtime.foreground import sigint_default
from tests.pipelines.conftest import TINY_DIGITS, write_config

REPO = Path(__file__).resolve().parents[2]


def test_every_path_in_a_config_file_is_relative_to_that_file(tmp_path, monkeypatch):
    home = tmp_path / "project" / "configs"
    (home / "steps").mkdir(parents=True)
    (home / "steps" / "scale.json").write_text('[{"op": "scale"}]')
    config_path = write_config(home / "c.toml", {"data": {"dataset": "folder:../photos"},
                                                 "preprocess": {"file": "steps/scale.json"}})
    monkeypatch.chdir(tmp_path)  # somewhere else: nothing may resolve from here
    config = load_config(config_path)
    assert config.dataset_uri == f"folder:{home / '../photos'}"
    assert config.preprocess_spec() == [{"op": "scale"}]
    assert config.data.dataset == "folder:../photos"  # recorded as written


def test_a_path_given_with_set_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "mine.json").write_text('[{"op": "flatten"}]')
    config_path = write_config(tmp_path / "cfg" / "c.toml", {"data": {"dataset": "digits"}})
    monkeypatch.chdir(tmp_path)
    config = load_config(config_path, ["data.dataset=csv:table.csv?label=y", "preprocess.file=mine.json"])
    assert config.dataset_uri == f"csv:{tmp_path / 'table.csv?label=y'}"
    assert config.preprocess_spec() == [{"op": "flatten"}]


def test_names_and_absolute_paths_are_never_rebased(tmp_path):
    assert rebase("mnist-5k", tmp_path) == "mnist-5k"
    assert rebase("folder:/data/photos", tmp_path) == "folder:/data/photos"
    assert rebase("npz:x.npz", tmp_path) == f"npz:{tmp_path / 'x.npz'}"


@pytest.mark.parametrize(("typed", "hint"), [("mnist5k", "did you mean mnist-5k?"),
                                             ("MNIST-5K", "did you mean mnist-5k?"),
                                             ("photos", "did you mean folder:photos?")])
def test_a_near_miss_dataset_or_a_bare_folder_gets_a_suggestion(typed, hint, tmp_path, monkeypatch):
    (tmp_path / "photos").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception, match="Expected a known dataset") as error:
        resolve(typed)
    assert str(error.value).endswith(hint)


def test_a_mistyped_flag_prints_the_subcommand_usage_and_the_closest_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "b.tflite", "--warmpu", "3"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert err.startswith("usage: edgenn bench ")
    assert err.strip().endswith("edgenn bench: error: unrecognized arguments: --warmpu (did you mean --warmup?) 3")


def test_an_unknown_flag_far_from_every_flag_gets_no_guess(capsys):
    with pytest.raises(SystemExit):
        main(["datasets", "--zzzz"])
    assert capsys.readouterr().err.strip().endswith("unrecognized arguments: --zzzz")


CHECK_TF = ("import sys; from pipelines.cli import main; rc = main(sys.argv[1:]); "
            "print('TF', 'tensorflow' in sys.modules); sys.exit(rc)")


def _before_tensorflow(*argv, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", CHECK_TF, *map(str, argv)], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


@pytest.mark.parametrize(("change", "message"), [
    ({"data": {"dataset": "mnist5k"}}, "did you mean mnist-5k?"),
    ({"preprocess": {"file": "missing.json"}}, "preprocess.file"),
    ({"preprocess": {"steps": [{"op": "sobell"}]}}, "sobell"),
])
def test_train_refuses_a_bad_dataset_or_preprocessing_before_tensorflow_loads(tmp_path, change, message):
    config = write_config(tmp_path / "bad.toml", {**TINY_DIGITS, **change})
    done = _before_tensorflow("train", config, "--out", tmp_path / "run", cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert done.stdout.strip() == "TF False"
    assert not (tmp_path / "run").exists()


def test_train_refuses_an_output_directory_of_other_files_before_tensorflow_loads(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    done = _before_tensorflow("train", write_config(tmp_path / "c.toml", TINY_DIGITS), "--out", tmp_path / "run",
                              cwd=tmp_path)
    assert done.returncode == 2 and "holds other files" in done.stderr
    assert done.stdout.strip() == "TF False"


@pytest.mark.slow
def test_an_interrupted_train_says_that_re_running_resumes(tmp_path):
    sections = {**TINY_DIGITS, "train": {"epochs": 400, "batch_size": 16, "verbose": 0}}
    config = write_config(tmp_path / "long.toml", sections)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "train", config, "--out", str(out)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=sigint_default)
    try:
        deadline = time.monotonic() + 180
        while not (out / "history.csv").is_file() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is None, "training ended before it could be interrupted"
        process.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = process.communicate(timeout=240)  # the epoch in flight ends first; a loaded host is slow
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == ("edgenn train: interrupted; re-running the same command resumes from the "
                                            "last finished epoch")
