"""Datasets by name or URI, each returned as one :class:`Dataset` record with deterministic splits.

``load("mnist-5k")``, ``load("folder:photos/")``, ``load("csv:table.csv?label=species")``;
``DATASETS`` lists every name and scheme with whether it works offline right now. Importing this
package loads only numpy: TensorFlow, scikit-learn and Pillow are imported by the loaders that need them.
"""

from __future__ import annotations

# each module registers its datasets; this order is the order of `edgenn datasets`
from . import mnist5k, sklearn_sets, truth_tables  # noqa: F401

# isort: split
from . import keras_sets  # noqa: F401

# isort: split
from . import csv_set, folder, idx  # noqa: F401
from .record import Dataset, features_spec, image_spec
from .registry import DATASETS, DatasetInfo, LoadOptions, load, rebase, resolve
from .splits import split_indices

__all__ = ["DATASETS", "Dataset", "DatasetInfo", "LoadOptions", "features_spec", "image_spec", "load",
           "rebase", "resolve", "split_indices"]
