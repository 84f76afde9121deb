"""Accuracy through the device path: raw samples, the bundle's preprocessing, each model, one table.

Raw images that do not already have the manifest's input shape are converted the way a device
converts a decoded image (:func:`edge_runtime.images.to_raw`: colour mode, then resize). Every
model sees the same samples; top-1 agreement with the first model is reported beside accuracy so
a quantized variant's loss shows against its float sibling.
"""

from __future__ import annotations

import time

import numpy as np

from edge_runtime.errors import DataError
from edge_runtime.report import fmt
from edge_runtime.tables import format_table

BATCH = 256


def device_raw(x: np.ndarray, spec: dict | None) -> np.ndarray:
    """``x`` in the manifest's raw input shape and dtype (images converted as on the device)."""
    if spec is None or (tuple(x.shape[1:]) == tuple(spec["shape"]) and x.dtype == np.dtype(spec["dtype"])):
        return x
    if spec["kind"] != "image":
        raise DataError(f"Expected samples of shape {spec['shape']} ({spec['dtype']}). "
                        f"Received: shape={list(x.shape[1:])}, dtype={x.dtype}")
    from PIL import Image

    from edge_runtime.images import to_raw

    def pil(sample: np.ndarray):
        sample = sample[:, :, 0] if sample.ndim == 3 and sample.shape[2] == 1 else sample
        return Image.fromarray(np.clip(sample, 0, 255).astype(np.uint8))

    return np.stack([to_raw(pil(s), spec, name=f"sample {i}") for i, s in enumerate(x)])


def label_mapping(dataset_labels: list[str], bundle_labels: list[str]) -> np.ndarray | None:
    """Index map from dataset class indices to the bundle's, None when they are the same list."""
    if list(dataset_labels) == list(bundle_labels):
        return None
    if sorted(dataset_labels) != sorted(bundle_labels):
        raise DataError(f"Expected the dataset's classes to be the bundle's labels {bundle_labels}. "
                        f"Received: {list(dataset_labels)}")
    return np.array([bundle_labels.index(name) for name in dataset_labels])


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    """Counts with rows = true class, columns = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    err = pred.reshape(-1) - y.reshape(-1)
    total = float(((y - y.mean()) ** 2).sum())
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err ** 2).mean())),
            "r2": float(1.0 - (err ** 2).sum() / total) if total > 0 else None}


def run_model(session, x_raw: np.ndarray, batch: int = BATCH) -> tuple[np.ndarray, float]:
    """All outputs of ``session`` on ``x_raw`` (in batches) and the mean time per sample in microseconds."""
    outputs = []
    start = time.perf_counter_ns()
    for i in range(0, len(x_raw), batch):
        out = session.predict(x_raw[i : i + batch])
        outputs.append(out[0] if isinstance(out, tuple) else out)
    elapsed = time.perf_counter_ns() - start
    return np.concatenate(outputs), elapsed / 1e3 / max(len(x_raw), 1)


def evaluate(bundle, x_raw: np.ndarray, y: np.ndarray, model_ids: list[str], backend: str | None = None,
             threads: int = 1, options_for=None, dataset_labels: list[str] | None = None) -> dict:
    """Metrics of every model on the same samples; classification adds the confusion matrix."""
    if len(x_raw) == 0:
        raise DataError("Expected at least one sample to evaluate. Received: an empty split")
    task = bundle.manifest.get("task")
    labels = bundle.labels
    x = device_raw(np.asarray(x_raw), bundle.input_spec)
    y = np.asarray(y)
    if task == "classification" and dataset_labels is not None:
        mapping = label_mapping(dataset_labels, labels)
        if mapping is not None:
            y = mapping[y]
    results, reference = [], None
    for model_id in model_ids:
        model = bundle.model(model_id, backend)
        session = bundle.session(model["id"], backend, threads, **(options_for(model) if options_for else {}))
        outputs, us_per_sample = run_model(session, x)
        entry = {"model_id": model["id"], "variant": model["variant"], "precision": model["precision"],
                 "backend": session.backend_name, "size_bytes": model["size_bytes"],
                 "samples": int(len(x)), "us_per_sample": round(us_per_sample, 2)}
        if task == "classification":
            pred = outputs.argmax(axis=1)
            if reference is None:
                reference = pred
            entry.update(accuracy=float((pred == y).mean()),
                         agreement_with_first=float((pred == reference).mean()),
                         confusion=confusion_matrix(y, pred, len(labels)).tolist())
        else:
            entry.update(regression_metrics(y.astype(np.float64), outputs.astype(np.float64)))
        results.append(entry)
    return {"kind": "edgenn-evaluate", "bundle": bundle.name, "task": task, "labels": labels,
            "samples": int(len(x)), "reference_model": results[0]["model_id"], "results": results}


def table(result: dict) -> str:
    """One line per model: accuracy (or MAE/RMSE/R2), agreement with the first model, time, size."""
    if result["task"] == "classification":
        head = ("model", "backend", "precision", "accuracy", f"agree w/ {result['reference_model']}",
                "us/sample", "size")
        rows = [(r["model_id"], r["backend"], r["precision"], f"{r['accuracy']:.4f}",
                 f"{r['agreement_with_first']:.4f}", f"{r['us_per_sample']:.1f}", fmt.size(r['size_bytes']))
                for r in result["results"]]
    else:
        head = ("model", "backend", "precision", "MAE", "RMSE", "R2", "us/sample", "size")
        rows = [(r["model_id"], r["backend"], r["precision"], f"{r['mae']:.4g}", f"{r['rmse']:.4g}",
                 "-" if r["r2"] is None else f"{r['r2']:.4f}", f"{r['us_per_sample']:.1f}",
                 fmt.size(r['size_bytes'])) for r in result["results"]]
    return "\n".join(format_table(head, rows))


def confusion_text(entry: dict, labels: list[str]) -> str:
    """The confusion matrix of one result, rows = true class, columns = predicted."""
    matrix = np.asarray(entry["confusion"])
    width = max(5, *(len(label) for label in labels), len(str(matrix.max())) + 1)
    lines = [f"confusion of {entry['model_id']} (rows true, columns predicted)",
             " " * width + "".join(label.rjust(width) for label in labels)]
    lines += [label.rjust(width) + "".join(str(v).rjust(width) for v in row) for label, row in zip(labels, matrix, strict=True)]
    return "\n".join(lines)
