"""Graph twins of the value-range and layout ops: ``scale`` and ``flatten``.

Both are exact: ``scale`` is the numpy op's one float32 division, ``flatten`` a C-order reshape.
"""

from __future__ import annotations

import numpy as np

from models.backend import tf
from models.twins.registry import register_twin


@register_twin("scale")
def scale(x, *, divisor: float = 255.0):
    """x / divisor in float32 (TFLite DIV, ONNX Div): the numpy op's division, bit for bit."""
    return x / np.float32(divisor)


@register_twin("flatten")
def flatten(x):
    """(N, ...) -> (N, features), C order; a static width keeps it one constant-shape RESHAPE."""
    width = int(np.prod(x.shape[1:]))
    return tf.reshape(x, [-1, width])
