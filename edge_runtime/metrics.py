"""The one metrics module: classification and regression figures, and how two models' outputs compare.

Plain numpy, no TensorFlow: training (``pipelines.train``), export validation (``export.validate``)
and the device's ``evaluate`` all compute their numbers here, so they cannot disagree. Edge cases
are defined once and tested against scikit-learn:

- the predicted class of one output column (a sigmoid or a step) is ``output > 0.5``; of several,
  the argmax (ties: the first);
- outputs and targets are ``(N, outputs)`` after flattening every axis but the first;
- regression figures over several outputs are the mean of each output's figure (scikit-learn's
  ``multioutput="uniform_average"``);
- R2 is undefined (``None``) when an output's targets have zero variance (scikit-learn returns NaN
  or -inf there with ``force_finite=False``; it is not 0 or 1).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import DataError


def rows(a: np.ndarray) -> np.ndarray:
    """``a`` as ``(N, outputs)``: every axis but the first flattened; a 1-D array is one output."""
    a = np.asarray(a)
    return a.reshape(len(a), -1)


def predicted_class(outputs: np.ndarray) -> np.ndarray:
    """Top-1 class per sample: argmax over outputs, or ``output > 0.5`` for a single output column."""
    outputs = rows(outputs)
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype(np.int64)
    return outputs.argmax(axis=1)


def _labels(y: np.ndarray) -> np.ndarray:
    return np.asarray(y).reshape(-1).astype(np.int64)


def accuracy(y_true: np.ndarray, outputs: np.ndarray) -> float:
    """Share of samples whose predicted class (from model ``outputs``) is the true class."""
    return float(np.mean(predicted_class(outputs) == _labels(y_true)))


def agreement(outputs_a: np.ndarray, outputs_b: np.ndarray) -> float:
    """Top-1 agreement: share of samples where two models predict the same class."""
    return float(np.mean(predicted_class(outputs_a) == predicted_class(outputs_b)))


def max_abs_error(reference: np.ndarray, outputs: np.ndarray) -> float:
    """Largest absolute difference between two models' outputs on the same samples (0 when empty)."""
    reference, outputs = rows(reference).astype(np.float64), rows(outputs).astype(np.float64)
    return float(np.max(np.abs(reference - outputs))) if reference.size else 0.0


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of the angle between the flattened outputs (1.0 when both are all zero, 0.0 when one is)."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0:
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(np.dot(a, b) / norms)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``m[t, p]`` of samples of true class t predicted as p."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (_labels(y_true), _labels(y_pred)), 1)
    return matrix


def classification_metrics(y_true: np.ndarray, outputs: np.ndarray, class_names: list[str]) -> dict:
    """Accuracy, per-class precision/recall (0 where a class is never predicted / absent), confusion."""
    matrix = confusion_matrix(y_true, predicted_class(outputs), len(class_names))
    true_positive = np.diag(matrix).astype(np.float64)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    precision = np.divide(true_positive, predicted, out=np.zeros_like(true_positive), where=predicted > 0)
    recall = np.divide(true_positive, actual, out=np.zeros_like(true_positive), where=actual > 0)
    return {
        "accuracy": float(true_positive.sum() / max(1, matrix.sum())),
        "n": int(matrix.sum()),
        "per_class": {
            name: {"precision": float(p), "recall": float(r), "support": int(s)}
            for name, p, r, s in zip(class_names, precision, recall, actual, strict=True)
        },
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "confusion_matrix": matrix.tolist(),
    }


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """Mean over outputs of ``1 - SS_res / SS_tot``; None when some output's targets do not vary."""
    y_true, y_pred = rows(y_true).astype(np.float64), rows(y_pred).astype(np.float64)
    ss_tot = np.sum((y_true - y_true.mean(axis=0)) ** 2, axis=0)
    if len(y_true) == 0 or np.any(ss_tot == 0):
        return None
    ss_res = np.sum((y_true - y_pred) ** 2, axis=0)
    return float(np.mean(1.0 - ss_res / ss_tot))


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """MAE, RMSE and R2, each the mean of the per-output figures; ``n`` samples."""
    y_true, y_pred = rows(y_true).astype(np.float64), rows(y_pred).astype(np.float64)
    if y_true.shape != y_pred.shape:
        raise DataError(f"Expected predictions of the targets' shape {y_true.shape}. Received: shape={y_pred.shape}")
    error = y_pred - y_true
    return {
        "mae": float(np.mean(np.mean(np.abs(error), axis=0))),
        "rmse": float(np.mean(np.sqrt(np.mean(error**2, axis=0)))),
        "r2": r2_score(y_true, y_pred),
        "n": int(len(y_true)),
    }


#: task -> (the metric the manifest records, function(targets, outputs) -> value)
HEADLINE = {
    "classification": ("accuracy", accuracy),
    "regression": ("mae", lambda y, outputs: regression_metrics(y, outputs)["mae"]),
}
