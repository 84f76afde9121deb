"""The run-model loader: only the .keras zip format, no code layers, and a payload that never runs.

Each hostile file is first shown to be a real payload (plain Keras ``load_model`` runs it and the
marker file appears), so a test that passes because the payload was inert cannot pass here.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile

import numpy as np
import pytest

from models.rundir import load_run, save_run
from models.saving import ModelFileError, load_keras_model
from tests.models.test_rundir import INPUT, samples


def _payload_model(marker):
    """A model whose Lambda layer creates ``marker`` when Keras rebuilds it (a stand-in for any code)."""
    from models.backend import keras

    source = f"lambda x: (__import__('pathlib').Path({str(marker)!r}).touch(), x)[1]"
    layer = keras.layers.Lambda(eval(source))  # noqa: S307  (building the attacker's file, in a test)
    inputs = keras.layers.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(3)(layer(inputs)))


@pytest.fixture(scope="module")
def plain_model():
    from models.backend import keras

    return keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3, activation="softmax")])


def test_a_keras_zip_loads_and_predicts_like_the_saved_model(tmp_path, plain_model):
    plain_model.save(tmp_path / "model.keras")
    x = samples()["test_x"]
    np.testing.assert_allclose(load_keras_model(tmp_path / "model.keras").predict(x, verbose=0),
                               plain_model.predict(x, verbose=0), rtol=1e-6)


def test_an_hdf5_payload_named_model_keras_is_refused_and_never_runs(tmp_path):
    from models.backend import keras

    marker = tmp_path / "payload-ran"
    model = _payload_model(marker)
    marker.unlink(missing_ok=True)  # building the model ran it once; only loading counts
    h5 = tmp_path / "legacy.h5"
    model.save(h5, save_format="h5")
    keras.models.load_model(h5)  # the reference: legacy Keras does run this file's code
    assert marker.exists()
    marker.unlink()
    disguised = tmp_path / "model.keras"
    shutil.copy(h5, disguised)
    with pytest.raises(ModelFileError, match=r"model\.keras: refusing to load this model: it is an HDF5 file"):
        load_keras_model(disguised)
    assert not marker.exists()


def test_a_keras_zip_with_a_lambda_is_refused_in_one_line_before_keras_reads_it(tmp_path):
    marker = tmp_path / "payload-ran"
    model = _payload_model(marker)
    model.save(tmp_path / "model.keras")
    marker.unlink(missing_ok=True)
    with pytest.raises(ModelFileError, match=r"it holds layers that run code \(Lambda\(") as caught:
        load_keras_model(tmp_path / "model.keras")
    assert "\n" not in str(caught.value) and not marker.exists()


def test_a_savedmodel_directory_a_truncated_zip_and_random_bytes_are_refused(tmp_path, plain_model):
    saved = tmp_path / "saved.keras"
    saved.mkdir()
    with pytest.raises(ModelFileError, match="it is a directory"):
        load_keras_model(saved)
    plain_model.save(tmp_path / "model.keras")
    data = (tmp_path / "model.keras").read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"truncated\.keras: refusing to load this model: .*zip"):
        load_keras_model(truncated)
    noise = tmp_path / "noise.keras"
    noise.write_bytes(os.urandom(4096))
    with pytest.raises(ModelFileError, match="not a .keras zip archive"):
        load_keras_model(noise)


def test_a_zip_whose_config_is_not_json_is_refused(tmp_path):
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("config.json", b"\xff\xfe not json")
        zf.writestr("metadata.json", json.dumps({"keras_version": "2.21"}))
    with pytest.raises(ModelFileError, match="config.json is not valid JSON"):
        load_keras_model(bad)


def test_the_export_command_refuses_a_run_whose_model_is_a_payload(tmp_path, capsys, plain_model):
    from edge_runtime.preprocess import Pipeline
    from pipelines.cli import main

    run_dir = save_run(tmp_path / "run", model=plain_model, pipeline=Pipeline.from_spec([]), config={},
                       task="classification", labels=["a", "b", "c"], input_spec=INPUT, samples=samples())
    marker = tmp_path / "payload-ran"
    model = _payload_model(marker)
    model.save(tmp_path / "legacy.h5", save_format="h5")
    marker.unlink(missing_ok=True)
    shutil.copy(tmp_path / "legacy.h5", run_dir / "model.keras")
    with pytest.raises(ModelFileError):
        load_run(run_dir).load_model()
    code = main(["export", str(run_dir), "--out", str(tmp_path / "bundle")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "model.keras: refusing to load this model" in err
    assert not marker.exists() and not (tmp_path / "bundle").exists()
