"""Accuracy through the device path: raw samples, the bundle's preprocessing, each model, one table.

Raw images that do not already have the manifest's input shape are converted the way a device
converts a decoded image (:func:`edge_runtime.images.to_raw`: colour mode, then resize). Every
model sees the same samples; top-1 agreement with the bundle's float model (the first fp32 model
evaluated, else the first model) is measured beside accuracy, so a quantized variant's loss shows
against its float sibling. The export's own figures are shown beside it, labelled, with their count:
fidelity (agreement with the Keras model the artifact was converted from) and agreement with the
trained float Keras model (:mod:`edge_runtime.validation`).
"""

from __future__ import annotations

import time

import numpy as np

from edge_runtime import validation as read
from edge_runtime.errors import DataError
from edge_runtime.metrics import agreement, classification_metrics, regression_metrics
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


def export_figures(model: dict) -> dict | None:
    """What the export measured for ``model``: fidelity to its source, agreement with float, count, verdict."""
    if not model.get("validation"):
        return None
    agree = read.float_agreement(model)
    return {"fidelity": read.fidelity(model), "fidelity_reference": model["validation"]["reference"],
            "float_agreement": agree["top1_agreement"] if agree else None,
            "samples": model["validation"]["samples"], "verdict": read.verdict(model)}


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
    results, predictions = [], {}
    for model_id in model_ids:
        model = bundle.model(model_id, backend)
        session = bundle.session(model["id"], backend, threads, **(options_for(model) if options_for else {}))
        outputs, us_per_sample = run_model(session, x)
        entry = {"model_id": model["id"], "variant": model["variant"], "precision": model["precision"],
                 "backend": session.backend_name, "size_bytes": model["size_bytes"],
                 "samples": int(len(x)), "us_per_sample": round(us_per_sample, 2)}
        entry["export"] = export_figures(model)
        if task == "classification":
            metrics = classification_metrics(y, outputs, labels)
            predictions[model["id"]] = outputs
            entry.update(accuracy=metrics["accuracy"], confusion=metrics["confusion_matrix"])
        else:
            metrics = regression_metrics(y, outputs)
            entry.update(mae=metrics["mae"], rmse=metrics["rmse"], r2=metrics["r2"])
        results.append(entry)
    reference = next((r for r in results if r["precision"] == "fp32"), results[0])["model_id"]
    for entry in results:
        if task == "classification":
            entry["agreement"] = agreement(predictions[entry["model_id"]], predictions[reference])
    return {"kind": "edgenn-evaluate", "bundle": bundle.name, "task": task, "labels": labels,
            "samples": int(len(x)), "reference_model": reference, "results": results}


def table(result: dict) -> str:
    """One line per model: accuracy (or MAE/RMSE/R2), agreement with the float model here and at export, time, size."""
    if result["task"] == "classification":
        head = ("model", "backend", "precision", "accuracy", f"agree w/ {result['reference_model']}",
                "export: fidelity", "w/ keras:float", "samples", "us/sample", "size")
        rows = [(r["model_id"], r["backend"], r["precision"], f"{r['accuracy']:.4f}", f"{r['agreement']:.4f}",
                 *_export_cells(r.get("export")), f"{r['us_per_sample']:.1f}", fmt.size(r['size_bytes']))
                for r in result["results"]]
    else:
        head = ("model", "backend", "precision", "MAE", "RMSE", "R2", "us/sample", "size")
        rows = [(r["model_id"], r["backend"], r["precision"], f"{r['mae']:.4g}", f"{r['rmse']:.4g}",
                 "-" if r["r2"] is None else f"{r['r2']:.4f}", f"{r['us_per_sample']:.1f}",
                 fmt.size(r['size_bytes'])) for r in result["results"]]
    return "\n".join(format_table(head, rows))


def _export_cells(export: dict | None) -> tuple[str, str, str]:
    if not export:
        return "-", "-", "-"
    fig = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    return fig(export["fidelity"]), fig(export["float_agreement"]), f"{export['samples']:,} {export['verdict']}"


def confusion_text(entry: dict, labels: list[str]) -> str:
    """The confusion matrix of one result, rows = true class, columns = predicted."""
    matrix = np.asarray(entry["confusion"])
    width = max(5, *(len(label) for label in labels), len(str(matrix.max())) + 1)
    lines = [f"confusion of {entry['model_id']} (rows true, columns predicted)",
             " " * width + "".join(label.rjust(width) for label in labels)]
    lines += [label.rjust(width) + "".join(str(v).rjust(width) for v in row) for label, row in zip(labels, matrix, strict=True)]
    return "\n".join(lines)
