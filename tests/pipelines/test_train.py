"""`edgenn train`: the run directory contract, metrics checked independently, refusals, NaN handling."""

import csv
import json

import numpy as np
import pytest

from edge_runtime.errors import ConfigError, DataError
from models.rundir import load_run
from pipelines.cli import main
from pipelines.config import load_config
from pipelines.outdir import OutDirError
from pipelines.train import train


def quiet(_line):
    pass


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One tiny digits MLP trained through the CLI (2 epochs)."""
    from tests.pipelines.conftest import TINY_DIGITS, write_config

    root = tmp_path_factory.mktemp("run")
    config = write_config(root / "tiny.toml", TINY_DIGITS)
    out = root / "out"
    assert main(["train", config, "--out", str(out), "--json", str(root / "m.json")]) == 0
    return out


def test_the_run_directory_holds_every_output(finished_run):
    names = {p.name for p in finished_run.iterdir()}
    assert {"run.json", "model.keras", "samples.npz", "history.csv", "metrics.json", "curves.png",
            "confusion.png", "logs", "checkpoints", "train-state.json"} <= names
    assert "backup" not in names  # the resume backup is removed once the run finished
    assert {p.name for p in (finished_run / "checkpoints").iterdir()} == {"last_weights.h5", "best_weights.h5"}
    with (finished_run / "history.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["epoch"] for r in rows] == ["0", "1"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert any((finished_run / "logs").rglob("events.out.tfevents.*"))


def test_the_run_loads_for_export_with_raw_samples(finished_run):
    run = load_run(finished_run)
    assert run.task == "classification" and run.labels == [str(i) for i in range(10)]
    assert run.input["shape"] == [8, 8, 1] and run.input["dtype"] == "uint8"
    assert run.samples["calibration_x"].dtype == np.uint8 and run.samples["calibration_x"].shape[1:] == (8, 8, 1)
    assert len(run.samples["test_x"]) == len(run.samples["test_y"]) == 359
    # labelled training samples for the tfmot fine-tuning in export, drawn from the training split
    finetune_x, finetune_y = run.samples["finetune_x"], run.samples["finetune_y"]
    assert len(finetune_x) == len(finetune_y) == min(2000, run.info["dataset"]["sizes"]["train"])
    assert set(np.unique(finetune_y)) == set(range(10))
    model = run.load_model()
    assert model.input_shape == (None, 64)  # the pipeline's output, not the raw image
    assert [s.op.name for s in run.pipeline.steps] == ["scale", "flatten"]
    assert run.info["config"]["model"]["hidden"] == [16]


def test_test_accuracy_recomputed_from_the_saved_model_and_raw_samples(finished_run):
    run = load_run(finished_run)
    probabilities = run.load_model().predict(run.pipeline.transform(run.samples["test_x"]), verbose=0)
    accuracy = float(np.mean(probabilities.argmax(1) == run.samples["test_y"]))
    metrics = json.loads((finished_run / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == pytest.approx(accuracy, abs=1e-9)
    matrix = np.array(metrics["test"]["confusion_matrix"])
    assert matrix.sum() == 359 and np.trace(matrix) == round(accuracy * 359)
    assert run.info["metrics"]["test"]["accuracy"] == metrics["test"]["accuracy"]


def test_rerunning_a_finished_run_reports_it_and_a_different_config_is_refused(finished_run, tiny_config, capsys):
    config = str(finished_run.parent / "tiny.toml")
    assert main(["train", config, "--out", str(finished_run)]) == 0
    assert "already holds this finished run" in capsys.readouterr().out
    assert main(["train", config, "--out", str(finished_run), "--set", "optimizer.lr=0.5"]) == 2
    assert "a run of a different config; pass --overwrite" in capsys.readouterr().err
    before = (finished_run / "run.json").read_text()
    assert (finished_run / "run.json").read_text() == before  # nothing touched


def test_a_directory_of_other_files_is_refused_even_with_overwrite(tmp_path, tiny_config):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutDirError, match="holds other files"):
        train(load_config(tiny_config()), tmp_path, overwrite=True, log=quiet)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_replaces_a_run_of_another_config(tmp_path, tiny_config):
    out = tmp_path / "out"
    train(load_config(tiny_config(train__epochs=1)), out, log=quiet)
    result = train(load_config(tiny_config(train__epochs=1, optimizer__lr=0.02)), out, overwrite=True, log=quiet)
    assert result.status == "complete"
    assert load_run(out).info["config"]["optimizer"]["lr"] == 0.02


@pytest.mark.parametrize(("changes", "error", "message"), [
    ({"model": {"builder": "cnn"}}, DataError, "expected images (H, W, C) after preprocessing. Received: sample shape=(64,)"),
    ({"data": {"dataset": "diabetes"}, "preprocess": {"steps": []}, "model": {"builder": "cnn"}},
     DataError, "expected images (H, W, C)"),
    ({"train__loss": "mse"}, ConfigError, "train.loss='mse' cannot train classification"),
    ({"train__monitor": "val_mae"}, ConfigError, "expected train.monitor one of"),
    ({"train__fgsm_eps": 0.1, "data": {"dataset": "diabetes"}, "preprocess": {"steps": []}},
     ConfigError, "train.fgsm_eps needs a classifier on raw pixels"),
    ({"preprocess": {"steps": [{"op": "scale"}, {"op": "nope"}]}}, ConfigError, "Unknown preprocessing op 'nope'"),
])
def test_mismatches_are_caught_before_training(tmp_path, tiny_config, changes, error, message):
    out = tmp_path / "out"
    with pytest.raises(error) as info:
        train(load_config(tiny_config(**changes)), out, log=quiet)
    assert message in str(info.value)
    assert not (out / "model.keras").exists() and not (out / "history.csv").exists()


def test_regression_metrics_match_numpy(tmp_path, tiny_config):
    config = tiny_config(data={"dataset": "diabetes"}, preprocess={"steps": []},
                         model={"builder": "mlp", "hidden": [8], "output_activation": "softplus"},
                         train={"epochs": 3, "batch_size": 64, "verbose": 0, "loss": "huber"})
    result = train(load_config(config), tmp_path / "out", log=quiet)
    run = load_run(tmp_path / "out")
    predicted = run.load_model().predict(run.samples["test_x"], verbose=0)[:, 0].astype(np.float64)
    y = run.samples["test_y"].astype(np.float64)
    test = result.metrics["test"]
    assert test["mae"] == pytest.approx(np.mean(np.abs(predicted - y)), rel=1e-5)
    assert test["rmse"] == pytest.approx(np.sqrt(np.mean((predicted - y) ** 2)), rel=1e-5)
    assert test["r2"] == pytest.approx(1 - np.sum((predicted - y) ** 2) / np.sum((y - y.mean()) ** 2), rel=1e-5)
    assert run.labels == ["target"] and not (tmp_path / "out" / "confusion.png").exists()


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, tiny_config, capsys):
    # SGD with momentum, too high a rate, unscaled regression targets: the loss grows ~1e6x per
    # epoch and overflows in epoch 5 (seeded and deterministic)
    config = tiny_config(data={"dataset": "diabetes"}, preprocess={"steps": []},
                         model={"builder": "mlp", "hidden": [8], "activation": "selu"},
                         optimizer={"name": "sgd", "lr": 0.085, "momentum": 0.9},
                         train={"epochs": 8, "batch_size": 32, "verbose": 0})
    out = tmp_path / "out"
    assert main(["train", config, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "loss became NaN/inf at epoch" in err and "kept the last good checkpoint" in err
    last = out / "checkpoints" / "last_weights.h5"
    assert last.exists() and not (out / "run.json").exists()
    with (out / "history.csv").open() as handle:
        good_epochs = [r for r in csv.DictReader(handle) if np.isfinite(float(r["loss"]))]
    assert good_epochs  # at least one epoch finished before the divergence
    import h5py

    with h5py.File(last) as handle:
        arrays = []
        handle.visititems(lambda _n, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    assert arrays and all(np.isfinite(a).all() for a in arrays)
    assert json.loads((out / "train-state.json").read_text())["status"] == "diverged"


def test_fgsm_training_saves_the_inner_model(tmp_path, tiny_config):
    result = train(load_config(tiny_config(train__epochs=1, train__fgsm_eps=0.1)), tmp_path / "out", log=quiet)
    assert result.status == "complete"
    model = load_run(tmp_path / "out").load_model()
    assert model.__class__.__name__ == "Functional" and model.name == "mlp"


def test_fgsm_is_refused_for_features_that_are_not_pixels(tmp_path, tiny_config):
    steps = [{"op": "deskew"}, {"op": "scale"}, {"op": "flatten"}]
    with pytest.raises(ConfigError, match=r"ops=\['deskew', 'scale', 'flatten'\]"):
        train(load_config(tiny_config(train__fgsm_eps=0.1, preprocess={"steps": steps})), tmp_path / "o", log=quiet)


def _bars_folder(root, n=20):
    """Horizontal vs vertical bars, 12x12 grayscale PNGs in class folders."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("horizontal", "vertical"):
        (root / name).mkdir(parents=True)
        for i in range(n):
            image = rng.integers(0, 40, size=(12, 12), dtype=np.uint8)
            row = rng.integers(2, 10)
            if name == "horizontal":
                image[row] = 255
            else:
                image[:, row] = 255
            Image.fromarray(image).save(root / name / f"{i}.png")


def test_a_folder_dataset_streams_from_disk_through_training(tmp_path, tiny_config):
    _bars_folder(tmp_path / "bars")
    config = tiny_config(data={"dataset": f"folder:{tmp_path / 'bars'}", "stream": True},
                         preprocess={"steps": [{"op": "scale"}, {"op": "standardize"}]},
                         train={"epochs": 3, "batch_size": 8, "verbose": 0})
    result = train(load_config(config), tmp_path / "out", log=quiet)
    assert result.status == "complete"
    run = load_run(tmp_path / "out")
    assert run.samples["test_x"].shape == (8, 12, 12, 1) and run.samples["test_x"].dtype == np.uint8
    assert result.metrics["test"]["n"] == 8
    probabilities = run.load_model().predict(run.pipeline.transform(run.samples["test_x"]), verbose=0)
    assert result.metrics["test"]["accuracy"] == pytest.approx(np.mean(probabilities.argmax(1) == run.samples["test_y"]))
    assert run.pipeline.is_fitted  # standardize learned its statistics from a decoded sample


def test_streaming_needs_a_folder_dataset(tmp_path, tiny_config):
    with pytest.raises(ConfigError, match="data.stream works with folder:DIR datasets"):
        train(load_config(tiny_config(data={"dataset": "digits", "stream": True})), tmp_path / "o", log=quiet)
