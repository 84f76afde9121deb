"""Checking an artifact: fidelity to the model it was converted from, agreement with the float model.

Two comparisons per artifact, both on the same validation samples and recorded with their count:

- **fidelity** (the manifest's ``validation``): the artifact against the Keras model it was converted
  from (``keras:float``, or the fine-tuned ``keras:qat``, ``keras:pruned``, ...). This is what the export
  threshold checks: a failed check is collected, never only logged, and the export fails listing all.
- **agreement with the float model** (``float_agreement``): the artifact against the trained float
  Keras model, what the user trained. For a variant converted from the float model it is the same
  comparison; for a fine-tuned variant it also holds what fine-tuning changed. Shown, not thresholded.

A passed fidelity check is called ``inconclusive`` when the count is too small for its agreement
threshold to mean anything: fewer samples than :func:`min_samples`. Every figure comes from
:mod:`edge_runtime.metrics`.
"""

from __future__ import annotations

import math

import numpy as np

from edge_runtime.errors import ConfigError
from edge_runtime.metrics import HEADLINE, agreement, cosine_similarity, max_abs_error, rows
from edge_runtime.validation import FLOAT_REFERENCE

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
#: one-sided confidence of the sample-count rule (see :func:`min_samples`)
CONFIDENCE = 0.95


def thresholds_for(precision: str, overrides: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
    """The thresholds of ``precision`` with the user's overrides applied (unknown keys refused)."""
    merged = dict(DEFAULT_THRESHOLDS[precision])
    for key, value in ((overrides or {}).get(precision) or {}).items():
        if key not in CHECKS:
            raise ConfigError(f"Expected a threshold among {list(CHECKS)}. Received: {precision}.{key}")
        merged[key] = float(value)
    return merged


def min_samples(threshold: float, confidence: float = CONFIDENCE) -> int | None:
    """Fewest samples on which an agreement ``threshold`` means something.

    With n samples and no disagreement at all, the one-sided Clopper-Pearson lower confidence bound
    of the agreement is ``(1 - confidence) ** (1 / n)``; below this n even a perfect score cannot show
    the threshold is met: 149 samples for 0.98, 2,995 for 0.999 (about 3 / (1 - threshold), the "rule
    of three"). None for a threshold of 1 or more, which no finite count can show.
    """
    if threshold >= 1.0:
        return None
    if threshold <= 0.0:
        return 1
    return math.ceil(math.log(1.0 - confidence) / math.log(threshold) - 1e-9)


def verdict(failures: list[str], samples: int, needed: int | None, judged: bool) -> str:
    """``failed`` when a check failed; ``inconclusive`` when an agreement threshold was judged on fewer
    samples than it needs; ``passed`` otherwise."""
    if failures:
        return "failed"
    if judged and (needed is None or samples < needed):
        return "inconclusive"
    return "passed"


def _comparison(reference: np.ndarray, outputs: np.ndarray, task: str) -> dict:
    return {
        "top1_agreement": agreement(reference, outputs) if task == "classification" else None,
        "max_abs_error": max_abs_error(reference, outputs),
        "cosine_similarity": cosine_similarity(reference, outputs),
    }


def compare(reference: np.ndarray, outputs: np.ndarray, *, task: str, thresholds: dict[str, float],
            reference_name: str, sources: dict[str, int] | None = None) -> dict:
    """The manifest's ``validation`` (fidelity) record for ``outputs`` against ``reference`` (same inputs).

    ``sources`` says which splits the samples came from (``{"validation": 60, "training": 940}``).
    """
    reference, outputs = rows(np.asarray(reference, np.float32)), rows(np.asarray(outputs, np.float32))
    n = len(reference)
    judged = task == "classification" and "top1_agreement" in thresholds
    needed = min_samples(thresholds["top1_agreement"]) if judged else None
    if reference.shape != outputs.shape:
        figures = {"top1_agreement": None, "max_abs_error": float("inf"), "cosine_similarity": 0.0}
        failures = [f"output shape {outputs.shape} differs from the reference's {reference.shape}"]
    else:
        figures = _comparison(reference, outputs, task)
        failures = _failures(figures, thresholds, reference)
    return {
        "reference": reference_name,
        "samples": int(n),
        "sources": dict(sources or {}),
        **figures,
        "max_abs_error": figures["max_abs_error"] if np.isfinite(figures["max_abs_error"]) else 1e308,
        "thresholds": dict(thresholds),
        "min_samples": needed,
        "verdict": verdict(failures, n, needed, judged),
        "passed": not failures,
        "failures": failures,
    }


def _failures(figures: dict, thresholds: dict[str, float], reference: np.ndarray) -> list[str]:
    agree, cosine, max_abs = figures["top1_agreement"], figures["cosine_similarity"], figures["max_abs_error"]
    scale = max(1.0, float(np.max(np.abs(reference)))) if reference.size else 1.0
    failures = []
    if agree is not None and "top1_agreement" in thresholds and agree < thresholds["top1_agreement"]:
        failures.append(f"top-1 agreement {agree:.4f} < {thresholds['top1_agreement']}")
    if "cosine_similarity" in thresholds and cosine < thresholds["cosine_similarity"]:
        failures.append(f"cosine similarity {cosine:.6f} < {thresholds['cosine_similarity']}")
    if "max_abs_error" in thresholds and max_abs > thresholds["max_abs_error"] * scale:
        failures.append(f"max abs error {max_abs:.3g} > {thresholds['max_abs_error'] * scale:.3g}")
    return failures


def float_agreement(float_outputs: np.ndarray, outputs: np.ndarray, *, task: str,
                    sources: dict[str, int] | None = None) -> dict:
    """The manifest's ``float_agreement`` record: the artifact against the trained float Keras model."""
    float_outputs, outputs = rows(np.asarray(float_outputs, np.float32)), rows(np.asarray(outputs, np.float32))
    figures = ({"top1_agreement": None, "max_abs_error": 1e308, "cosine_similarity": 0.0}
               if float_outputs.shape != outputs.shape else _comparison(float_outputs, outputs, task))
    return {"reference": FLOAT_REFERENCE, "samples": int(len(float_outputs)), "sources": dict(sources or {}),
            **figures}


def accuracy_record(task: str, outputs: np.ndarray, y: np.ndarray, reference_outputs: np.ndarray,
                    split: str = "test") -> dict:
    """The manifest's ``accuracy`` record: the artifact's metric and the Keras reference's on ``split``."""
    metric, fn = HEADLINE[task]
    return {"split": split, "samples": int(len(y)), "metric": metric, "value": fn(y, outputs),
            "reference_value": fn(y, reference_outputs)}
