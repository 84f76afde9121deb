"""Predict image files with a session: label, probability and per-stage timings per image.

Unreadable files are skipped, counted and named; the others are still processed. Timings are
microseconds: ``decode`` (Pillow decode, convert, resize), ``preprocess`` (the bundle's
pipeline), ``inference`` (quantize, engine, dequantize).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from edge_runtime.errors import DataError
from edge_runtime.images import check_image_spec, expand_paths, load_image


def _us(ns: int) -> float:
    return round(ns / 1e3, 1)


def describe_output(outputs, task: str | None, labels: list[str], top: int = 1) -> dict:
    """The prediction fields for one sample's output vector: label/probability, or a regression value."""
    vector = np.asarray(outputs[0] if isinstance(outputs, tuple) else outputs, dtype=np.float64).reshape(-1)
    if task == "regression" or vector.size == 1 and not labels:
        return {"value": float(vector[0]) if vector.size == 1 else vector.tolist()}
    order = np.argsort(-vector, kind="stable")[: max(1, top)]
    names = labels if len(labels) == vector.size else [str(i) for i in range(vector.size)]
    record = {"label": names[order[0]], "index": int(order[0]), "probability": round(float(vector[order[0]]), 6)}
    if top > 1:
        record["top"] = [{"label": names[i], "probability": round(float(vector[i]), 6)} for i in order]
    return record


def predict_files(bundle, session, paths: Iterable[str | Path], top: int = 1, strict: bool = False) -> Iterator[dict]:
    """One record per file: ``{"path", "label", "probability", ..., "timings_us"}`` or ``{"path", "error"}``.

    An image not already in the manifest's mode and size is converted (``"converted": "RGB 64x64 -> L 28x28"``
    in its record) or, with ``strict``, refused (``"refused"`` instead of a prediction).
    """
    spec = check_image_spec(bundle.input_spec)
    pc = time.perf_counter_ns
    for path in expand_paths(paths):
        t0 = pc()
        changes: list[str] = []
        try:
            raw = load_image(path, spec, changes)
        except DataError as exc:
            yield {"path": str(path), "error": str(exc).removeprefix(f"{path}: ")}
            continue
        if changes and strict:
            yield {"path": str(path), "refused": changes[0]}
            continue
        t1 = pc()
        features = session.preprocess(raw)
        t2 = pc()
        outputs = session.infer(features)
        t3 = pc()
        record = {"path": str(path), **describe_output(outputs, bundle.manifest.get("task"), bundle.labels, top)}
        if changes:
            record["converted"] = changes[0]
        record["timings_us"] = {"decode": _us(t1 - t0), "preprocess": _us(t2 - t1), "inference": _us(t3 - t2),
                                "total": _us(t3 - t0)}
        yield record


def summarize(records: list[dict]) -> dict:
    """Counts, the skipped files by name with their reasons, and the median timings."""
    good = [r for r in records if "error" not in r and "refused" not in r]
    skipped = [{"path": r["path"], "reason": r["error"]} for r in records if "error" in r]
    converted = [{"path": r["path"], "conversion": r["converted"]} for r in good if "converted" in r]
    refused = [{"path": r["path"], "conversion": r["refused"]} for r in records if "refused" in r]
    medians = {}
    if good:
        for stage in good[0]["timings_us"]:
            medians[stage] = round(float(np.median([r["timings_us"][stage] for r in good])), 1)
    return {"files": len(records), "predicted": len(good), "skipped": len(skipped),
            "skipped_files": skipped, "converted": len(converted), "converted_files": converted,
            "refused": len(refused), "refused_files": refused, "median_timings_us": medians}
