"""The arrays an export needs, drawn from the run's raw ``samples.npz``.

The representative set (int8 calibration) comes from ``calibration_x`` (training split). The
validation samples are every non-test sample the run saved, up to ``validation_samples``
(:func:`validation_pool`); how many came from each role is recorded. A small validation split is
topped up instead of shrinking the check; the test split is never used for it. The accuracy comes
from ``test_x``/``test_y``. Keras gets the features of the run's fitted preprocessing pipeline; the
artifacts get the raw samples and run the pipeline themselves, as on the device.
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
    validation_raw: np.ndarray  # raw samples, as the device is fed them
    validation_x: np.ndarray  # the same, preprocessed (what the Keras models see)
    validation_sources: dict[str, int]  # split -> how many of the validation samples came from it
    test_raw: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    finetune_x: np.ndarray
    finetune_y: np.ndarray | None  # None: no labels in the run; fine-tuning distils from the float model
    #: the representative samples raw, as the device feeds them (calibrates in-model variants, ``export.in_model``)
    raw_representative: np.ndarray | None = None


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


#: where validation samples come from, in this order: role in the run -> samples.npz key
POOL = (("validation", "validation_x"), ("training", "spare_x"), ("fine-tuning", "finetune_x"),
        ("calibration", "calibration_x"))
#: the leading roles of the pool, whose samples no fine-tuning saw
UNSEEN_ROLES = ("validation", "training")


def validation_pool(run, limit: int) -> tuple[np.ndarray, dict[str, int]]:
    """Up to ``limit`` raw non-test samples and the count taken from each role.

    The validation split first, then training samples no export step uses (``spare_x``), then the
    training samples fine-tuning saw (``finetune_x``); the calibration samples are a subset of those,
    so they are drawn only from runs without them.
    """
    parts, sources = [], {}
    for role, key in POOL:
        if key not in run.samples or (key == "calibration_x" and "finetune_x" in run.samples):
            continue
        take = _raw(run, key)[: limit - sum(sources.values())]
        if len(take):
            parts.append(take)
            sources[role] = int(len(take))
    return np.concatenate(parts), sources


def prepare(run, config: ExportConfig, model_shape: tuple) -> ExportSamples:
    """Every array of one export, checked against the run's input and the model's input."""
    validation_raw, sources = validation_pool(run, config.validation_samples)
    validation_x = _preprocess(run, validation_raw, "validation samples", model_shape)
    test_raw = _raw(run, "test_x")
    test_x = _preprocess(run, test_raw, "test_x", model_shape)
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
        validation_raw=validation_raw,
        validation_x=validation_x,
        validation_sources=sources,
        test_raw=test_raw,
        test_x=test_x,
        test_y=np.asarray(run.samples["test_y"]),
        finetune_x=finetune_x,
        finetune_y=finetune_y,
        raw_representative=raw_representative_set(run, config),
    )
