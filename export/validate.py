"""Checking an artifact against the Keras model it came from: agreement, error, similarity, accuracy.

Every check has a threshold per precision (float stricter than integer); a failed check is
collected, never only logged, and the export fails listing all of them.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import ConfigError

#: precision -> minimum top-1 agreement, minimum cosine similarity, maximum absolute error.
#: max_abs_error is relative to max(1, max |reference output|), so it suits probabilities and
#: regression targets alike. Float conversions reproduce Keras to rounding error; integer ones
#: may flip a few borderline samples (the issue's 0.98).
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "fp32": {"top1_agreement": 0.999, "cosine_similarity": 0.9999, "max_abs_error": 1e-3},
    "fp16": {"top1_agreement": 0.999, "cosine_similarity": 0.999, "max_abs_error": 2e-2},
    "dynamic": {"top1_agreement": 0.98, "cosine_similarity": 0.98},
    "int8": {"top1_agreement": 0.98, "cosine_similarity": 0.98},
    "int16x8": {"top1_agreement": 0.98, "cosine_similarity": 0.98},
    "qdq-activations": {"top1_agreement": 0.98, "cosine_similarity": 0.98},
}
CHECKS = ("top1_agreement", "cosine_similarity", "max_abs_error")


def thresholds_for(precision: str, overrides: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
    """The thresholds of ``precision`` with the user's overrides applied (unknown keys refused)."""
    merged = dict(DEFAULT_THRESHOLDS[precision])
    for key, value in ((overrides or {}).get(precision) or {}).items():
        if key not in CHECKS:
            raise ConfigError(f"Expected a threshold among {list(CHECKS)}. Received: {precision}.{key}")
        merged[key] = float(value)
    return merged


def predicted_class(outputs: np.ndarray) -> np.ndarray:
    """Top-1 class: argmax over classes, or output > 0.5 for one sigmoid / step output."""
    outputs = outputs.reshape(len(outputs), -1)
    return (outputs[:, 0] > 0.5).astype(np.int64) if outputs.shape[1] == 1 else outputs.argmax(axis=1)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between the flattened outputs (1.0 when both are all zero)."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0:
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(np.dot(a, b) / norms)


def compare(reference: np.ndarray, outputs: np.ndarray, *, task: str, thresholds: dict[str, float],
            reference_name: str) -> dict:
    """The manifest's ``validation`` record for ``outputs`` against ``reference`` (same inputs)."""
    reference = np.asarray(reference, np.float32).reshape(len(reference), -1)
    outputs = np.asarray(outputs, np.float32).reshape(len(outputs), -1)
    if reference.shape != outputs.shape:
        return _record(reference_name, len(reference), None, float("inf"), 0.0, thresholds,
                       [f"output shape {outputs.shape} differs from the reference's {reference.shape}"])
    agreement = None
    if task == "classification":
        agreement = float(np.mean(predicted_class(reference) == predicted_class(outputs)))
    max_abs = float(np.max(np.abs(reference - outputs))) if reference.size else 0.0
    cosine = cosine_similarity(reference, outputs)
    scale = max(1.0, float(np.max(np.abs(reference)))) if reference.size else 1.0
    failures = []
    if agreement is not None and "top1_agreement" in thresholds and agreement < thresholds["top1_agreement"]:
        failures.append(f"top-1 agreement {agreement:.4f} < {thresholds['top1_agreement']}")
    if "cosine_similarity" in thresholds and cosine < thresholds["cosine_similarity"]:
        failures.append(f"cosine similarity {cosine:.6f} < {thresholds['cosine_similarity']}")
    if "max_abs_error" in thresholds and max_abs > thresholds["max_abs_error"] * scale:
        failures.append(f"max abs error {max_abs:.3g} > {thresholds['max_abs_error'] * scale:.3g}")
    return _record(reference_name, len(reference), agreement, max_abs, cosine, thresholds, failures)


def _record(reference, samples, agreement, max_abs, cosine, thresholds, failures) -> dict:
    return {
        "reference": reference,
        "samples": int(samples),
        "top1_agreement": agreement,
        "max_abs_error": max_abs if np.isfinite(max_abs) else 1e308,
        "cosine_similarity": cosine,
        "thresholds": dict(thresholds),
        "passed": not failures,
        "failures": failures,
    }


#: task -> metric name and function(outputs, targets) on held-out data
def _accuracy(outputs, y):
    return float(np.mean(predicted_class(outputs) == np.asarray(y).reshape(-1)))


def _mae(outputs, y):
    return float(np.mean(np.abs(outputs.reshape(len(outputs), -1) - np.asarray(y, np.float32).reshape(len(y), -1))))


METRICS = {"classification": ("accuracy", _accuracy), "regression": ("mae", _mae)}


def accuracy_record(task: str, outputs: np.ndarray, y: np.ndarray, reference_outputs: np.ndarray,
                    split: str = "test") -> dict:
    """The manifest's ``accuracy`` record: the artifact's metric and the Keras reference's on ``split``."""
    metric, fn = METRICS[task]
    return {"split": split, "samples": int(len(y)), "metric": metric, "value": fn(outputs, y),
            "reference_value": fn(reference_outputs, y)}
