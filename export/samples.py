"""The preprocessed arrays an export needs, drawn from the run's raw ``samples.npz``.

The representative set (int8 calibration) comes from ``calibration_x`` (training split), the
validation set from ``validation_x`` and the accuracy from ``test_x``/``test_y``, each passed
through the run's fitted preprocessing pipeline, exactly as the device will see them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge_runtime.errors import DataError
from export.config import ExportConfig
from export.errors import ExportError


@dataclass
class ExportSamples:
    representative: np.ndarray
    validation_x: np.ndarray
    validation_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    finetune_x: np.ndarray
    finetune_y: np.ndarray | None  # None: no labels in the run; fine-tuning distils from the float model
    #: the same samples raw, as the device feeds them (for in-model variants, ``export.in_model``)
    raw_representative: np.ndarray | None = None
    raw_validation_x: np.ndarray | None = None
    raw_test_x: np.ndarray | None = None


def _raw(run, key: str) -> np.ndarray:
    x = run.samples[key]
    expected = tuple(int(d) for d in run.input["shape"])
    if x.ndim < 1 or tuple(x.shape[1:]) != expected:
        raise DataError(
            f"{run.path / 'samples.npz'}: {key} has samples of shape {tuple(x.shape[1:])}; "
            f"expected the run's input shape {expected}"
        )
    return x


def _preprocess(run, x: np.ndarray, key: str, model_shape: tuple) -> np.ndarray:
    out = np.asarray(run.pipeline.transform(x), dtype=np.float32)
    got = tuple(out.shape[1:])
    if len(got) != len(model_shape) or any(m is not None and m != g for m, g in zip(model_shape, got, strict=False)):
        raise ExportError(
            f"Expected preprocessed {key} of shape {model_shape} (the model's input). "
            f"Received: shape={got} after the run's preprocessing pipeline"
        )
    return out


def raw_representative_set(run, config: ExportConfig) -> np.ndarray:
    """``config.calibration_samples`` raw calibration samples (a seeded random subset)."""
    x = _raw(run, "calibration_x")
    if len(x) < config.min_calibration_samples:
        raise ExportError(
            f"Expected at least {config.min_calibration_samples} calibration samples for int8 quantization. "
            f"Received: {len(x)} in {run.path / 'samples.npz'} (calibration_x)"
        )
    order = np.random.default_rng(config.seed).permutation(len(x))[: config.calibration_samples]
    return x[np.sort(order)]


def representative_set(run, config: ExportConfig, model_shape: tuple) -> np.ndarray:
    """``config.calibration_samples`` preprocessed calibration samples (a seeded random subset)."""
    return _preprocess(run, raw_representative_set(run, config), "calibration_x", model_shape)


def prepare(run, config: ExportConfig, model_shape: tuple) -> ExportSamples:
    """Every preprocessed array of one export, checked against the run's input and the model's input."""
    n_val = config.validation_samples
    raw_validation_x, raw_test_x = _raw(run, "validation_x")[:n_val], _raw(run, "test_x")
    validation_x = _preprocess(run, raw_validation_x, "validation_x", model_shape)
    test_x = _preprocess(run, raw_test_x, "test_x", model_shape)
    if "finetune_x" in run.samples and "finetune_y" in run.samples:
        raw, labels = _raw(run, "finetune_x"), run.samples["finetune_y"]
        finetune_x = _preprocess(run, raw[: config.finetune_samples], "finetune_x", model_shape)
        finetune_y = np.asarray(labels[: config.finetune_samples])
    else:
        finetune_x = _preprocess(run, _raw(run, "calibration_x")[: config.finetune_samples], "calibration_x",
                                 model_shape)
        finetune_y = None
    return ExportSamples(
        representative=representative_set(run, config, model_shape),
        validation_x=validation_x,
        validation_y=np.asarray(run.samples["validation_y"][:n_val]),
        test_x=test_x,
        test_y=np.asarray(run.samples["test_y"]),
        finetune_x=finetune_x,
        finetune_y=finetune_y,
        raw_representative=raw_representative_set(run, config),
        raw_validation_x=raw_validation_x,
        raw_test_x=raw_test_x,
    )
