"""The graph-twin cases shared by the equality and conversion tests: an op spec, the input it gets,
and the largest absolute difference from the numpy op that the twin may show.

Exact (0.0) unless float32 sums run in another order than numpy's: then the bound is a few ulp of
the largest value, stated per case with the reason.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: the RGB digits: three channels from each MNIST digit (itself, inverted, shifted 3 columns right)
RGB = "rgb"

#: case id -> (spec, input kind: "uint8" / "unit" (x / 255) / "rgb" / "rgb-unit", tolerance)
CASES = {
    "invert-uint8": ([{"op": "invert"}], "uint8", 0.0),
    "invert-float": ([{"op": "invert"}], "unit", 0.0),
    "invert-maximum": ([{"op": "invert", "maximum": 100}], "uint8", 0.0),
    "grayscale-uint8": ([{"op": "grayscale"}], "rgb", 0.0),
    # numpy's 3-term dot product (matmul) and the twin's MatMul may add in another order: 2 ulp of 1.0
    "grayscale-float": ([{"op": "grayscale"}], "rgb-unit", 2.4e-7),
    "standardize-global": ([{"op": "standardize"}], "unit", 0.0),
    "standardize-per-channel": ([{"op": "standardize", "mode": "per_channel"}], "rgb-unit", 0.0),
    # a 784-term float32 dot product per feature, summed in BLAS's order vs Eigen's / XNNPACK's (features up to ~10)
    "pca": ([{"op": "pca", "components": 32}], "unit", 1e-5),
    "pad-constant": ([{"op": "pad", "width": [1, 2, 3, 0], "value": 7}], "uint8", 0.0),
    "pad-edge": ([{"op": "pad", "width": [1, 2, 3, 0], "mode": "edge"}], "uint8", 0.0),
    "pad-reflect": ([{"op": "pad", "width": [1, 2, 3, 0], "mode": "reflect"}], "uint8", 0.0),
    "pad-symmetric": ([{"op": "pad", "width": [1, 2, 3, 0], "mode": "symmetric"}], "unit", 0.0),
    "center-crop": ([{"op": "center_crop", "size": [20, 19]}], "uint8", 0.0),
    "sobel-magnitude": ([{"op": "sobel"}], "uint8", 0.0),
    "sobel-all": ([{"op": "sobel", "output": "all"}], "unit", 0.0),
    "gaussian-nearest": ([{"op": "gaussian_blur", "sigma": 1.0}], "unit", 0.0),
    "gaussian-reflect": ([{"op": "gaussian_blur", "sigma": 0.7, "mode": "reflect"}], "uint8", 0.0),
    "gaussian-mirror": ([{"op": "gaussian_blur", "sigma": 1.5, "mode": "mirror"}], "unit", 0.0),
    "gaussian-constant": ([{"op": "gaussian_blur", "sigma": 1.0, "mode": "constant"}], "unit", 0.0),
    "threshold-fixed": ([{"op": "threshold", "method": "fixed", "value": 127}], "uint8", 0.0),
    "threshold-otsu-uint8": ([{"op": "threshold"}], "uint8", 0.0),
    "threshold-otsu-float": ([{"op": "threshold"}], "unit", 0.0),
    "morphology-close": ([{"op": "morphology"}], "uint8", 0.0),
    "morphology-open-cross": ([{"op": "morphology", "operation": "open", "size": 5, "footprint": "cross"}], "unit", 0.0),
    "morphology-erode": ([{"op": "morphology", "operation": "erode"}], "uint8", 0.0),
    "morphology-dilate-cross": ([{"op": "morphology", "operation": "dilate", "footprint": "cross"}], "unit", 0.0),
    "equalize": ([{"op": "equalize"}], "uint8", 0.0),
}


@lru_cache(maxsize=1)
def mnist5k() -> np.ndarray:
    """The 5,000 MNIST-5k digits, uint8 (5000, 28, 28, 1)."""
    from pipelines.datasets.mnist5k import data_file, read_mnist5k

    return read_mnist5k(data_file())[0]


def as_kind(x: np.ndarray, kind: str) -> np.ndarray:
    """uint8 gray digits -> the input a case takes (see CASES)."""
    unit = x / np.float32(255)
    if kind == "unit":
        return unit
    if kind == "rgb-unit":
        return np.concatenate([unit, np.float32(1) - unit, np.roll(unit, 3, axis=2)], axis=-1)
    if kind == RGB:
        return np.concatenate([x, 255 - x, np.roll(x, 3, axis=2)], axis=-1)
    return x


def derive(unit, kind: str):
    """:func:`as_kind` in graph ops from the unit digits (x / 255), exactly: a converted model takes
    one input, and every case's input comes from it."""
    from models.backend import tf

    def roll3(t):  # np.roll(t, 3, axis=2)
        return tf.concat([t[:, :, -3:], t[:, :, :-3]], axis=2)

    if kind == "unit":
        return unit
    if kind == "rgb-unit":
        return tf.concat([unit, 1.0 - unit, roll3(unit)], axis=-1)
    levels = tf.round(unit * 255.0)  # k / 255 in float32, times 255, rounds back to k exactly
    return tf.concat([levels, 255.0 - levels, roll3(levels)], axis=-1) if kind == RGB else levels


def fitted(spec, x):
    """The numpy pipeline of ``spec``, fitted on (the first 1,000 of) ``x`` when it learns."""
    from edge_runtime.preprocess import Pipeline

    return Pipeline.from_spec([dict(s) for s in spec]).fit(x[:1000])
