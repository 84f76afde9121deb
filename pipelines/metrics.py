"""Test metrics from predictions, in plain numpy (checked in tests against hand-computed values).

Classification: accuracy, per-class precision and recall, the confusion matrix (rows: true
class, columns: predicted). Regression: MAE, RMSE and R2 (coefficient of determination).
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``m[t, p]`` of samples of true class t predicted as p."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)), 1)
    return matrix


def classification_metrics(y_true: np.ndarray, probabilities: np.ndarray, class_names: list[str]) -> dict:
    """Accuracy, per-class precision/recall (0 where a class is never predicted / absent), confusion."""
    y_pred = np.argmax(probabilities, axis=-1)
    matrix = confusion_matrix(y_true, y_pred, len(class_names))
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


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """MAE, RMSE and R2 = 1 - SS_res / SS_tot (0 target variance gives R2 = 0 unless exact)."""
    y_true = np.asarray(y_true, np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, np.float64).reshape(len(y_true), -1)
    error = y_pred - y_true
    ss_res = float(np.sum(error**2))
    ss_tot = float(np.sum((y_true - y_true.mean(axis=0)) ** 2))
    if ss_tot > 0:
        r2 = 1.0 - ss_res / ss_tot
    else:
        r2 = 1.0 if ss_res == 0 else 0.0
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "r2": r2,
        "n": int(len(y_true)),
    }
