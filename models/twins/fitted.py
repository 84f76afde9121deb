"""Graph twins of the fitted ops ``standardize`` and ``pca`` (``edge_runtime.preprocess.fitted``).

The fitted state (mean, std, basis) becomes constants of the graph: a SUB and a DIV, and one
FULLY_CONNECTED / MatMul for the projection. Both are differentiable (affine maps).
"""

from __future__ import annotations

import numpy as np

from models.backend import tf
from models.twins.basic import flatten
from models.twins.registry import register_twin


@register_twin("standardize")
def standardize(x, *, mode: str = "global", mean=None, std=None):
    """(x - mean) / std with the fitted float32 statistics (one, or one per last-axis entry)."""
    return (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)


@register_twin("pca")
def pca(x, *, components: int = 32, mean=None, basis=None):
    """(flatten(x) - mean) @ basis.T: the projection on the fitted principal axes."""
    return tf.matmul(flatten(x) - np.asarray(mean, np.float32), np.asarray(basis, np.float32).T)
