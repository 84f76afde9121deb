"""`edgenn sweep`: one run per value, all curves on one chart, a table marking diverged and stalled runs."""

import json
import math

import pytest

from edge_runtime.errors import ConfigError
from pipelines.cli import main
from pipelines.sweep import SweepRun, classify, expand, split_sets, table, write_report


def test_values_expand_to_the_cartesian_product_and_lists_stay_whole():
    assert expand(["optimizer.lr=1e-3,1e-2"]) == [["optimizer.lr=1e-3"], ["optimizer.lr=1e-2"]]
    assert expand(["a=1,2", "b=x,y"]) == [["a=1", "b=x"], ["a=1", "b=y"], ["a=2", "b=x"], ["a=2", "b=y"]]
    assert expand(["model.hidden=[64,32],[16]"]) == [["model.hidden=[64,32]"], ["model.hidden=[16]"]]


def test_single_values_are_fixed_overrides_and_a_sweep_needs_several():
    assert split_sets(["optimizer.lr=1e-3,1e-2", "train.epochs=2", "model.hidden=[8,4]"]) == (
        ["optimizer.lr=1e-3,1e-2"], ["train.epochs=2", "model.hidden=[8,4]"])
    with pytest.raises(ConfigError, match="at least one --set key=v1,v2"):
        split_sets(["train.epochs=2"])


def _run(label, loss, val_loss, classes=10):
    per_class = {str(i): {} for i in range(classes)}
    return SweepRun(label, [], "complete", {"loss": loss, "val_loss": val_loss}, {"test": {"per_class": per_class}})


def test_classification_of_runs_by_hand_made_curves():
    runs = [
        _run("slow", [2.2, 2.0, 1.9], [2.1, 1.95, 1.8]),          # 1.8 > 3 x 0.3: barely moved
        _run("good", [1.0, 0.5, 0.3], [0.8, 0.4, 0.3]),
        _run("worse", [1.0, 1.2, 1.5], [0.9, 1.1, 1.4]),          # ended above its start: diverged
        _run("blew-up", [9.0, 2.0, 1.0], [2.0, 1.0, 0.9]),        # 9.0 > 1.5 ln 10: worse than guessing
        _run("nan", [1.0, math.nan], [1.0, math.nan]),
    ]
    classify(runs)
    assert [r.status for r in runs] == ["barely moved", "ok", "diverged", "diverged", "diverged"]
    text = table(runs)
    assert text.splitlines()[0].split() == ["run", "epoch/ran", "loss", "val_loss", "test", "test", "n", "status"]
    assert "nan" in text.splitlines()[-1]


def test_a_run_stuck_at_chance_is_stuck_not_diverged():
    # ln(10) = 2.303: the training loss hovers at chance and the validation loss ends a hair above its start;
    # the old rule called that "diverged" (it ended above where it started)
    runs = [_run("stuck", [2.31, 2.30, 2.305], [2.302, 2.301, 2.304]), _run("good", [1.0, 0.5, 0.3], [0.8, 0.4, 0.3])]
    classify(runs)
    assert [r.status for r in runs] == ["stuck at chance", "ok"]


def test_the_table_shows_the_restored_epoch_s_values_beside_its_test_accuracy(tmp_path):
    run = _run("early", [1.0, 0.4, 0.2, 0.1], [0.9, 0.35, 0.5, 0.8])
    run.metrics["training"] = {"best_epoch": 2}
    run.metrics["test"].update(accuracy=0.91, n=360)
    classify([run])
    row = table([run]).splitlines()[-1].split()
    # epoch 2 of 4 was restored: its losses (0.4, 0.35) belong with the test accuracy, not the last epoch's
    assert row == ["early", "2/4", "0.4000", "0.3500", "0.9100", "360", "ok"]
    paths = write_report([run], tmp_path, "t")
    saved = json.loads(paths["json"].read_text())[0]
    assert saved["restored_epoch"] == 2 and saved["restored"]["val_loss"] == 0.35 and saved["test_samples"] == 360


@pytest.mark.slow
def test_sweep_trains_each_value_and_reports(tmp_path, tiny_config, capsys):
    config = tiny_config(train={"epochs": 2, "batch_size": 128, "verbose": 0})
    out = tmp_path / "sweep"
    code = main(["sweep", config, "--set", "optimizer.lr=1e-4,1e-2", "--set", "model.hidden=8",
                 "--out", str(out), "--json", str(tmp_path / "s.json")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "optimizer.lr=1e-4" in printed and "optimizer.lr=1e-2" in printed
    assert (out / "sweep.png").stat().st_size > 0 and (out / "optimizer.lr=1e-2" / "run.json").exists()
    results = json.loads((tmp_path / "s.json").read_text())
    assert [r["run"] for r in results] == ["optimizer.lr=1e-4", "optimizer.lr=1e-2"]
    assert results[1]["final"]["val_loss"] < results[0]["final"]["val_loss"]  # 1e-4 is slower in 2 epochs
    assert all(r["status"] in {"ok", "barely moved", "diverged", "stuck at chance"} for r in results)


def test_a_bad_value_fails_before_anything_trains(tmp_path, tiny_config, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", tiny_config(), "--set", "optimizer.lr=1e-3,fast", "--out", str(out)]) == 2
    assert "optimizer.lr" in capsys.readouterr().err
    assert not out.exists()
