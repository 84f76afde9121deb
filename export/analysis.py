"""What an artifact costs: parameters, multiply-accumulates per layer, op counts, file and gzip size.

MACs are counted from the Keras layers (batch 1) by a registry of per-layer formulas; a layer
without a formula counts one MAC per kernel weight per output position and is marked
``"estimated": true``. tfmot wrappers are looked through to the layer they wrap.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable

import numpy as np

from edge_runtime.backends.litert import outside_xnnpack


def gzip_size(data: bytes) -> int:
    """Bytes after gzip -9: what zeros (pruning) and repeated values (clustering) save in transit."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def _spatial(shape) -> int:
    """Product of the output's positions (all axes but batch and channels)."""
    return int(np.prod([int(d) for d in shape[1:-1]])) if len(shape) > 2 else 1


def _dense(layer, in_shape, out_shape) -> int:
    return _spatial(out_shape) * int(in_shape[-1]) * int(layer.units)


def _conv(layer, in_shape, out_shape) -> int:
    kernel = int(np.prod(layer.kernel_size))
    groups = int(getattr(layer, "groups", 1) or 1)
    return _spatial(out_shape) * kernel * (int(in_shape[-1]) // groups) * int(layer.filters)


def _depthwise(layer, in_shape, out_shape) -> int:
    return _spatial(out_shape) * int(np.prod(layer.kernel_size)) * int(in_shape[-1]) * int(layer.depth_multiplier)


def _separable(layer, in_shape, out_shape) -> int:
    channels = int(in_shape[-1]) * int(layer.depth_multiplier)
    return _spatial(out_shape) * (int(np.prod(layer.kernel_size)) * channels + channels * int(layer.filters))


#: Keras class name -> MACs(layer, input shape, output shape) for one sample
MAC_RULES: dict[str, Callable] = {
    "Dense": _dense,
    "Conv1D": _conv,
    "Conv2D": _conv,
    "Conv3D": _conv,
    "DepthwiseConv2D": _depthwise,
    "SeparableConv2D": _separable,
}


def _unwrap(layer):
    """The layer a tfmot wrapper (QuantizeWrapper, PruneLowMagnitude, ClusterWeights) holds."""
    while hasattr(layer, "layer") and layer.__class__.__name__ not in MAC_RULES:
        layer = layer.layer
    return layer


def _shape(shape) -> tuple:
    if isinstance(shape, list):  # several inputs: use the first
        shape = shape[0]
    return tuple(1 if d is None else int(d) for d in shape)


def _model_weights(wrapper) -> list:
    """The layer's own weights; a tfmot wrapper's quantizer/pruning variables (``<wrapper>/...``) excluded."""
    inner = _unwrap(wrapper)
    if inner is wrapper:
        return list(wrapper.weights)
    return [w for w in wrapper.weights if not w.name.startswith(wrapper.name + "/")]


def _kernel_weights(layer) -> int:
    return int(sum(np.prod(w.shape) for w in layer.trainable_weights if len(w.shape) >= 2))


def layer_table(model) -> list[dict]:
    """Per-layer name, type, params, nonzero params and MACs for one sample."""
    rows = []
    for wrapper in model.layers:
        layer = _unwrap(wrapper)
        kind = layer.__class__.__name__
        if kind == "InputLayer":
            continue
        weights = [np.asarray(w) for w in _model_weights(wrapper)]
        params = int(sum(w.size for w in weights))
        in_shape, out_shape = _shape(wrapper.input_shape), _shape(wrapper.output_shape)
        rule = MAC_RULES.get(kind)
        if rule is not None:
            macs, estimated = rule(layer, in_shape, out_shape), False
        else:
            macs, estimated = _spatial(out_shape) * _kernel_weights(layer), bool(_kernel_weights(layer))
        row = {"name": layer.name, "type": kind, "params": params,
               "nonzero_params": int(sum(np.count_nonzero(w) for w in weights)),
               "macs": int(macs), "output_shape": [None, *out_shape[1:]]}
        if estimated:
            row["estimated"] = True
        rows.append(row)
    return rows


def analyse(model, data: bytes, ops: dict[str, int], preprocessing_ops: int, *, tflite: bool = False) -> dict:
    """The manifest's ``analysis`` record for an artifact converted from Keras ``model``.

    ``tflite``: also ``outside_xnnpack``, the op counts XNNPACK does not take
    (``edge_runtime.backends.litert.XNNPACK_OPS``).
    """
    layers = layer_table(model)
    params = sum(row["params"] for row in layers)
    nonzero = sum(row["nonzero_params"] for row in layers)
    return {
        "params": int(params),
        "nonzero_params": int(nonzero),
        "macs": int(sum(row["macs"] for row in layers)),
        "preprocessing_ops": int(preprocessing_ops),
        "layers": layers,
        "ops": dict(sorted(ops.items())),
        "file_bytes": len(data),
        "gzip_bytes": gzip_size(data),
        **({"outside_xnnpack": outside_xnnpack(ops)} if tflite else {}),
    }
