"""The run directory contract between `edgenn train` and `edgenn export`."""

import json

import numpy as np
import pytest

from edge_runtime.preprocess import Pipeline
from models.rundir import RunError, load_run, save_run

INPUT = {"kind": "features", "shape": [4], "dtype": "float32", "feature_names": ["a", "b", "c", "d"]}


@pytest.fixture(scope="module")
def tiny_model():
    from models.backend import keras

    model = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy")
    return model


def samples(n=6):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = rng.integers(0, 3, n)
    return {"calibration_x": x, "validation_x": x, "validation_y": y, "test_x": x, "test_y": y}


def test_saved_run_loads_back_with_model_samples_and_pipeline(tmp_path, tiny_model):
    pipeline = Pipeline.from_spec([{"op": "scale", "divisor": 2.0}])
    save_run(tmp_path / "run", model=tiny_model, pipeline=pipeline, config={"k": 1}, task="classification",
             labels=["a", "b", "c"], input_spec=INPUT, samples=samples(), metrics={"accuracy": 0.5})
    run = load_run(tmp_path / "run")
    assert run.task == "classification" and run.labels == ["a", "b", "c"] and run.input == INPUT
    np.testing.assert_array_equal(run.samples["test_x"], samples()["test_x"])
    x = samples()["test_x"]
    np.testing.assert_allclose(run.pipeline.transform(x), x / 2)
    np.testing.assert_allclose(run.load_model().predict(x, verbose=0), tiny_model.predict(x, verbose=0))


def test_missing_pieces_are_named(tmp_path, tiny_model):
    with pytest.raises(RunError, match="not a directory"):
        load_run(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunError, match="no run.json"):
        load_run(tmp_path / "empty")
    run_dir = save_run(tmp_path / "run", model=tiny_model, pipeline=Pipeline.from_spec([]), config={},
                       task="classification", labels=["a", "b", "c"], input_spec=INPUT, samples=samples())
    (run_dir / "samples.npz").unlink()
    with pytest.raises(RunError, match="missing samples.npz"):
        load_run(run_dir)


def test_unfinished_or_foreign_runs_are_refused(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"kind": "edgenn-run", "schema_version": 1, "status": "training"}))
    with pytest.raises(RunError, match="did not finish"):
        load_run(run_dir)
    (run_dir / "run.json").write_text(json.dumps({"kind": "other", "schema_version": 7}))
    with pytest.raises(RunError, match="schema_version=7"):
        load_run(run_dir)
