"""The run directory: what ``edgenn train`` leaves behind and ``edgenn export`` reads.

Layout (every path relative to the run directory)::

    run.json        this record: config, task, labels, raw input spec, preprocessing spec, metrics
    model.keras     the trained tf_keras model (custom layers registered in ``models``)
    samples.npz     raw (pre-preprocessing) held-out samples for export calibration/validation:
                    calibration_x, validation_x, validation_y, test_x, test_y; optionally
                    finetune_x, finetune_y (labelled training samples for export's fine-tuning) and
                    spare_x (training samples no export step calibrates or fine-tunes on: more
                    validation samples when the validation split is small)
    preprocess/     .npy files of the fitted preprocessing state
    history.csv, metrics.json, curves.png, confusion.png, logs/, checkpoints/   (training outputs)

``run.json`` is written last, so its presence with ``"status": "complete"`` marks a finished run.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime import __version__, atomic, safezip
from edge_runtime.bundlefiles import MAX_JSON_BYTES, BundleFiles
from edge_runtime.errors import DataError, UserError
from edge_runtime.manifest import parse_json
from edge_runtime.preprocess import Pipeline

RUN_SCHEMA_VERSION = 1
RUN_FILE = "run.json"
MODEL_FILE = "model.keras"
SAMPLES_FILE = "samples.npz"
SAMPLE_KEYS = ("calibration_x", "validation_x", "validation_y", "test_x", "test_y")
#: optional raw labelled training samples (up to ~2,000) that export fine-tunes tfmot variants on, and
#: training samples that neither calibration nor fine-tuning uses (export validates on them too)
OPTIONAL_SAMPLE_KEYS = ("finetune_x", "finetune_y", "spare_x")


class RunError(UserError):
    """A run directory is missing, incomplete or from another version."""


@dataclass
class Run:
    """A finished training run, as read back from its directory."""

    path: Path
    info: dict[str, Any]
    pipeline: Pipeline
    samples: dict[str, np.ndarray] = field(repr=False)

    @property
    def task(self) -> str:
        return self.info["task"]

    @property
    def labels(self) -> list[str]:
        return self.info["labels"]

    @property
    def input(self) -> dict:
        """Raw input spec, the same shape as the manifest's ``input``."""
        return self.info["input"]

    @property
    def name(self) -> str:
        return self.info["name"]

    def load_model(self):
        """The trained tf_keras model (imports TensorFlow); only the safe .keras format is accepted."""
        from models import custom_objects
        from models.saving import load_keras_model

        return load_keras_model(self.path / MODEL_FILE, custom_objects=custom_objects())


def save_run(
    run_dir: str | Path,
    *,
    model,
    pipeline: Pipeline,
    config: dict,
    task: str,
    labels: list[str],
    input_spec: dict,
    samples: dict[str, np.ndarray],
    metrics: dict | None = None,
    dataset: dict | None = None,
    extra: dict | None = None,
) -> Path:
    """Write model, samples, fitted preprocessing and finally ``run.json``; return the run path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    missing = [k for k in SAMPLE_KEYS if k not in samples]
    if missing:
        raise DataError(f"save_run: samples lack {missing}; expected keys {list(SAMPLE_KEYS)}")
    model.save(run_dir / MODEL_FILE)
    kept = SAMPLE_KEYS + tuple(k for k in OPTIONAL_SAMPLE_KEYS if k in samples)
    _atomic_npz(run_dir / SAMPLES_FILE, {k: np.asarray(samples[k]) for k in kept})
    info = {
        "schema_version": RUN_SCHEMA_VERSION,
        "kind": "edgenn-run",
        "status": "complete",
        "name": run_dir.name,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "edgenn_version": __version__,
        "task": task,
        "labels": list(labels),
        "input": input_spec,
        "preprocessing": pipeline.to_spec(run_dir),
        "config": config,
        "dataset": dataset or {},
        "metrics": metrics or {},
        **(extra or {}),
    }
    atomic.write_json(run_dir / RUN_FILE, info)
    return run_dir


def load_run(run_dir: str | Path) -> Run:
    """Read a finished run; a missing or foreign piece raises RunError naming it."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"Expected a run directory from `edgenn train`. Received: path={str(run_dir)!r} (not a directory)")
    info_path = run_dir / RUN_FILE
    if not info_path.is_file():
        raise RunError(f"{run_dir}: no {RUN_FILE}; the run is incomplete or this is not a run directory")
    info = parse_json(BundleFiles(run_dir).read(RUN_FILE, MAX_JSON_BYTES), info_path, RunError)
    if not isinstance(info, dict):
        raise RunError(f"{info_path}: expected a JSON object. Received: a JSON {type(info).__name__}")
    if info.get("kind") != "edgenn-run" or info.get("schema_version") != RUN_SCHEMA_VERSION:
        raise RunError(
            f"{info_path}: expected an edgenn run of schema version {RUN_SCHEMA_VERSION}. "
            f"Received: kind={info.get('kind')!r} schema_version={info.get('schema_version')!r}"
        )
    if info.get("status") != "complete":
        raise RunError(f"{run_dir}: the run did not finish (status={info.get('status')!r}); train it again")
    missing = [name for name in (MODEL_FILE, SAMPLES_FILE) if not (run_dir / name).exists()]
    if missing:
        raise RunError(f"{run_dir}: incomplete run, missing {', '.join(missing)}")
    samples = _read_samples(run_dir / SAMPLES_FILE)
    lacking = [k for k in SAMPLE_KEYS if k not in samples]
    if lacking:
        raise RunError(f"{run_dir / SAMPLES_FILE}: missing arrays {lacking}")
    pipeline = Pipeline.from_spec(info.get("preprocessing"), base_dir=run_dir)
    return Run(run_dir, info, pipeline, samples)


def _read_samples(path: Path) -> dict[str, np.ndarray]:
    """The arrays of ``samples.npz``: a zip checked by :mod:`edge_runtime.safezip` first, never pickle."""
    import zipfile

    try:
        safezip.check_zip(path)
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except UserError as exc:
        raise RunError(f"{path}: not a readable samples archive: {str(exc).removeprefix(f'{path}: ')}") from exc
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise RunError(f"{path}: not a readable samples archive ({type(exc).__name__}: {str(exc)[:200]})") from exc


def _atomic_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    atomic.write_with(path, lambda tmp: np.savez_compressed(tmp, **arrays))
