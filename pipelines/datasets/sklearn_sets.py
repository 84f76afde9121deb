"""scikit-learn's bundled datasets: ``digits`` (8x8 images) and ``diabetes`` (regression).

scikit-learn is in the train extra and is imported only inside the loaders. ``digits`` pixels
are 0-16 in sklearn; they are scaled to uint8 0-255 (``round(v * 255 / 16)``) so every image
source has one raw dtype.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import require

from .record import features_spec, image_spec
from .registry import LoadOptions, module_available, register
from .splits import split_pool


def _sklearn_available() -> tuple[bool, str]:
    return module_available("sklearn", "train", "scikit-learn")


@register("digits", task="classification", available=_sklearn_available,
          description="scikit-learn's 1,797 handwritten digits (8x8 gray, 10 classes)")
def load_digits(_argument: str | None, options: LoadOptions):
    datasets = require("sklearn.datasets", "train", "the digits dataset")
    bunch = datasets.load_digits()
    x = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    y = bunch.target.astype(np.int64)
    return split_pool(x, y, seed=options.seed, val_fraction=options.val_fraction,
                      test_fraction=options.test_fraction, name="digits", task="classification",
                      class_names=[str(d) for d in range(10)], input_spec=image_spec((8, 8, 1)),
                      source="sklearn.datasets.load_digits (pixels 0-16 scaled to 0-255)")


@register("diabetes", task="regression", available=_sklearn_available,
          description="scikit-learn's diabetes progression: 442 patients, 10 features, regression")
def load_diabetes(_argument: str | None, options: LoadOptions):
    datasets = require("sklearn.datasets", "train", "the diabetes dataset")
    bunch = datasets.load_diabetes()
    x = bunch.data.astype(np.float32)
    y = bunch.target.astype(np.float32)
    return split_pool(x, y, seed=options.seed, val_fraction=options.val_fraction,
                      test_fraction=options.test_fraction, name="diabetes", task="regression",
                      class_names=[], input_spec=features_spec(list(bunch.feature_names)),
                      source="sklearn.datasets.load_diabetes (features mean-centred and scaled by sklearn)")
