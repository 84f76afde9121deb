"""XOR, AND and OR truth tables: four rows, two float inputs, two classes.

A truth table has no held-out data: every split (train, val and test) is the same four rows, so
"test accuracy" means "learned the table". The classic perceptron / MLP teaching examples.
"""

from __future__ import annotations

import numpy as np

from .record import Dataset, features_spec
from .registry import LoadOptions, always, register

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TABLES = {
    "xor": ([0, 1, 1, 0], "XOR truth table: not linearly separable (a perceptron cannot learn it, an MLP can)"),
    "and": ([0, 0, 0, 1], "AND truth table: linearly separable"),
    "or": ([0, 1, 1, 1], "OR truth table: linearly separable"),
}


def truth_table(name: str) -> Dataset:
    """The ``name`` table with all splits equal to its four rows."""
    outputs = np.array(TABLES[name][0], dtype=np.int64)
    splits = {f"{a}_{s}": (INPUTS if a == "x" else outputs).copy() for s in ("train", "val", "test") for a in "xy"}
    return Dataset(name=name, task="classification", class_names=["0", "1"], input_spec=features_spec(["a", "b"]),
                   source=f"generated {name.upper()} truth table (4 rows; every split is the whole table)",
                   split_note="every split is the whole table", **splits)


def _register(name: str) -> None:
    @register(name, task="classification", description=TABLES[name][1] + "; all splits are the 4 rows",
              available=always("generated"))
    def _load(_argument: str | None, _options: LoadOptions) -> Dataset:
        return truth_table(name)


for _name in TABLES:
    _register(_name)
