"""``csv:FILE?label=COLUMN[&task=classification|regression]``: a table with a header row.

Every column except the label is a numeric feature. Without ``task=`` the label decides: any
non-numeric value, or integers with at most ``MAX_AUTO_CLASSES`` distinct values, make it
classification (classes sorted, numerically when numeric); anything else is regression.
The label column defaults to ``label``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np

from edge_runtime.errors import ConfigError, DataError

from .record import features_spec
from .registry import LoadOptions, always, register
from .splits import split_pool

MAX_AUTO_CLASSES = 20
OPTIONS = {"label", "task"}
TASKS = ("classification", "regression")


def parse_argument(argument: str) -> tuple[Path, str, str | None]:
    """``FILE?label=COL&task=...`` -> (path, label column, task or None)."""
    path, _, query = argument.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    unknown = set(params) - OPTIONS
    if unknown or (query and not params):
        raise ConfigError(f"Expected csv:FILE?label=COLUMN[&task=classification|regression]. "
                          f"Received: options {sorted(unknown) or query!r}")
    task = params.get("task")
    if task is not None and task not in TASKS:
        raise ConfigError(f"Expected task in {list(TASKS)}. Received: task={task!r}")
    return Path(path), params.get("label") or "label", task


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file (UTF-8, BOM tolerated); DataError when missing or empty."""
    if not path.is_file():
        raise DataError(f"Expected a CSV file. Received: csv:{path} does not exist")
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"Expected a readable UTF-8 CSV file. Received: {path} ({exc})") from exc
    if len(rows) < 2:
        raise DataError(f"Expected a header row and data rows in {path}. Received: {len(rows)} rows")
    header = [h.strip() for h in rows[0]]
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataError(f"Expected {len(header)} columns on every row of {path}. Received: {len(row)} on line {number}")
    return header, rows[1:]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def label_task(values: list[str]) -> str:
    """The task the label column implies (see the module docstring)."""
    if not all(_is_number(v) for v in values):
        return "classification"
    numbers = np.array([float(v) for v in values])
    integral = np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers))
    return "classification" if integral and len(np.unique(numbers)) <= MAX_AUTO_CLASSES else "regression"


def encode_labels(values: list[str], task: str, path: Path) -> tuple[np.ndarray, list[str]]:
    """Class indices and names (classification) or float32 targets (regression)."""
    if task == "regression":
        bad = next((v for v in values if not _is_number(v)), None)
        if bad is not None:
            raise DataError(f"Expected numeric labels for regression in {path}. Received: {bad!r}")
        return np.array([float(v) for v in values], dtype=np.float32), []
    numeric = all(_is_number(v) for v in values)
    names = sorted(set(values), key=(lambda v: (float(v), v)) if numeric else None)
    if len(names) < 2:
        raise DataError(f"Expected at least 2 classes in the label column of {path}. Received: {names}")
    lookup = {name: i for i, name in enumerate(names)}
    return np.array([lookup[v] for v in values], dtype=np.int64), names


@register("csv", task="classification|regression", argument="FILE?label=COL", available=always("reads a local file"),
          description="a CSV with a header; numeric feature columns and a label column (task=... or inferred)")
def load_csv(argument: str | None, options: LoadOptions):
    path, label, task = parse_argument(argument or "")
    header, rows = read_table(path)
    if label not in header:
        raise DataError(f"Expected a label column {label!r} in {path}. Received: columns {header}")
    col = header.index(label)
    features = [h for i, h in enumerate(header) if i != col]
    if not features:
        raise DataError(f"Expected feature columns beside {label!r} in {path}. Received: columns {header}")
    values = [row[col].strip() for row in rows]
    task = task or label_task(values)
    y, class_names = encode_labels(values, task, path)
    x = np.empty((len(rows), len(features)), dtype=np.float32)
    for r, row in enumerate(rows):
        cells = [c for i, c in enumerate(row) if i != col]
        for f, cell in enumerate(cells):
            try:
                x[r, f] = float(cell)
            except ValueError:
                raise DataError(f"Expected a number in column {features[f]!r} of {path}. "
                                f"Received: {cell!r} on line {r + 2}") from None
    if not np.all(np.isfinite(x)):
        raise DataError(f"Expected finite feature values in {path}. Received: NaN or inf")
    return split_pool(x, y, seed=options.seed, val_fraction=options.val_fraction,
                      test_fraction=options.test_fraction, name=f"csv:{path.name}", task=task,
                      class_names=class_names, input_spec=features_spec(features),
                      source=f"{path.resolve()} (label column {label!r})")
