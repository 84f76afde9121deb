"""Small trained models on sklearn's 8x8 digits, shared by the robustness tests (fast: ~1 s each)."""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess import Pipeline

DIGITS_INPUT = {"kind": "image", "shape": [8, 8, 1], "dtype": "uint8", "color": "L", "resize": "bilinear"}


def digits_uint8():
    """(x, y): the 1,797 digits as uint8 images (N, 8, 8, 1) in 0..255, shuffled with a fixed seed."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = np.clip(data.images * 16, 0, 255).astype(np.uint8)[..., None]
    order = np.random.default_rng(0).permutation(len(x))
    return x[order], data.target[order].astype(np.int64)


def mlp(seed=0):
    from models.backend import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.layers.Input((8, 8, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def cnn(seed=0):
    from models.backend import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.layers.Input((8, 8, 1)),
        keras.layers.Conv2D(6, 3, activation="relu", padding="same", name="conv1"),
        keras.layers.Conv2D(8, 3, activation="relu", name="conv2"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])


def train(model, x, y, epochs=30):
    """Compile and fit on scaled pixels; returns the model."""
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x.astype(np.float32) / 255.0, y, epochs=epochs, batch_size=64, verbose=0)
    return model


def save_digits_run(run_dir, model, x, y, *, pipeline_spec=({"op": "scale"},), input_spec=DIGITS_INPUT):
    """A run directory holding ``model`` with a raw-pixel pipeline and the last 300 digits as held-out samples."""
    from models.rundir import save_run

    pipeline = Pipeline.from_spec([dict(step) for step in pipeline_spec])
    held_x, held_y = x[-300:], y[-300:]
    samples = {"calibration_x": held_x[:50], "validation_x": held_x, "validation_y": held_y,
               "test_x": held_x, "test_y": held_y}
    return save_run(run_dir, model=model, pipeline=pipeline, config={"name": "digits"}, task="classification",
                    labels=[str(i) for i in range(10)], input_spec=input_spec, samples=samples)
