"""Small trained runs on sklearn's 8x8 digits (seconds to train), shared by the export tests."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.preprocess import Pipeline
from tests.pipelines.digits_models import DIGITS_INPUT, cnn, digits_uint8, train

LABELS = [str(i) for i in range(10)]


def save_digits_run(run_dir, model, x, y, *, steps=({"op": "scale"},), finetune=True, calibration=300):
    """A run of ``model`` on digits: calibration from the training part, the last 497 digits held out."""
    from models.rundir import save_run

    samples = {"calibration_x": x[:calibration], "validation_x": x[1300:1600], "validation_y": y[1300:1600],
               "test_x": x[1600:], "test_y": y[1600:]}
    if finetune:
        samples.update(finetune_x=x[:1300], finetune_y=y[:1300])
    return save_run(run_dir, model=model, pipeline=Pipeline.from_spec([dict(s) for s in steps]),
                    config={"name": "digits"}, task="classification", labels=LABELS, input_spec=DIGITS_INPUT,
                    samples=samples, metrics={"accuracy": 0.9})


def flat_mlp(seed=0):
    """An MLP on 64 flattened pixels (the pipeline flattens, not the model)."""
    from models.backend import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.layers.Input((64,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


@pytest.fixture(scope="session")
def digits():
    return digits_uint8()


@pytest.fixture(scope="session")
def cnn_run(tmp_path_factory, digits):
    x, y = digits
    return save_digits_run(tmp_path_factory.mktemp("runs") / "digits_cnn", train(cnn(), x[:1300], y[:1300], epochs=12),
                           x, y)


@pytest.fixture(scope="session")
def mlp_run(tmp_path_factory, digits):
    x, y = digits
    model = flat_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x[:1300].reshape(-1, 64).astype(np.float32) / 255.0, y[:1300], epochs=20, batch_size=64, verbose=0)
    return save_digits_run(tmp_path_factory.mktemp("runs") / "digits_mlp", model, x, y,
                           steps=({"op": "scale"}, {"op": "flatten"}))
