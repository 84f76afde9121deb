"""Value-range and layout ops: scale, flatten.

Dtype contract: ``scale`` takes uint8 (0..255) or float and returns float32 in [0, 1] for uint8;
``flatten`` keeps the dtype and turns (N, ...) into (N, prod(...)).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.preprocess.registry import check_batch, param_error, register_op


def _scale_validate(*, divisor=255.0):
    if not isinstance(divisor, (int, float)) or isinstance(divisor, bool) or divisor <= 0:
        raise param_error("scale", "divisor", divisor, "a positive number")


@register_op("scale", output_shape=lambda shape, **_: tuple(shape), validate=_scale_validate,
             cost=lambda shape, **_: int(np.prod(shape)), compilable=True, differentiable=True, keeps_grid=True,
             pixelwise=True)
def scale(x: np.ndarray, *, divisor: float = 255.0) -> np.ndarray:
    """Divide by ``divisor`` into float32 (uint8 pixels to [0, 1]); like ``tf.image.convert_image_dtype``."""
    check_batch(x, "scale", rank=None)
    return np.divide(x, np.float32(divisor), dtype=np.float32)


@register_op("flatten", output_shape=lambda shape, **_: (int(np.prod(shape)),), cost=lambda shape, **_: 0,
             compilable=True, differentiable=True, pixelwise=True)
def flatten(x: np.ndarray) -> np.ndarray:
    """(N, ...) to (N, features), C order; the same as ``keras.layers.Flatten``."""
    check_batch(x, "flatten", rank=None)
    return x.reshape(x.shape[0], -1)
