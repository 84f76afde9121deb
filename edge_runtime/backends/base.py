"""What every inference backend provides: tensor descriptions, an engine, int8 (de)quantization.

An ``Engine`` runs arrays of the model's own dtypes (int8 stays int8); the ``Session`` above it
quantizes float features with the input tensor's scale and zero point and dequantizes outputs,
so the float-in, float-out contract is the same for every model and backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

#: dtypes whose tensors carry (scale, zero_point) affine quantization
INTEGER_DTYPES = ("int8", "uint8", "int16")


@dataclass(frozen=True)
class TensorInfo:
    """One model input or output: name, shape (-1 for a dynamic axis), dtype and quantization."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float | None = None
    zero_point: int | None = None

    @property
    def quantized(self) -> bool:
        return self.dtype in INTEGER_DTYPES and self.scale is not None and self.scale > 0

    def with_quantization(self, quantization: dict | None) -> TensorInfo:
        """This tensor with (scale, zero_point) from a manifest entry when the engine reports none."""
        if self.quantized or not quantization or self.dtype not in INTEGER_DTYPES:
            return self
        if len(quantization["scale"]) != 1:
            return self  # per-axis quantization is for weights; a model's I/O is per-tensor
        return TensorInfo(self.name, self.shape, self.dtype,
                          float(quantization["scale"][0]), int(quantization["zero_point"][0]))

    def describe(self) -> dict:
        quant = {"scale": self.scale, "zero_point": self.zero_point} if self.quantized else None
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype, "quantization": quant}


def quantize(x: np.ndarray, info: TensorInfo) -> np.ndarray:
    """Float to the tensor's dtype: ``round(x / scale) + zero_point``, clipped to the dtype's range.

    Rounds half to even (numpy); TFLite's own quantize rounds half away from zero, which differs
    only on exact ties. Written as in-place ufuncs: this runs once per inference.
    """
    if not info.quantized:
        return x if x.dtype == np.dtype(info.dtype) else x.astype(info.dtype)
    if info.scale == 1.0 and info.zero_point == 0 and x.dtype == np.dtype(info.dtype):
        return x  # a raw-frame model whose uint8 input is the frame itself (in-model int8): nothing to do
    limits = np.iinfo(info.dtype)
    q = np.asarray(x, dtype=np.float32) * np.float32(1.0 / info.scale)
    q += np.float32(info.zero_point)
    np.rint(q, out=q)
    np.maximum(q, np.float32(limits.min), out=q)
    np.minimum(q, np.float32(limits.max), out=q)
    return q.astype(info.dtype)


def dequantize(q: np.ndarray, info: TensorInfo) -> np.ndarray:
    """The tensor's values to float32: ``(q - zero_point) * scale``; float tensors pass through."""
    if not info.quantized:
        return q if q.dtype == np.float32 else q.astype(np.float32)
    return (q.astype(np.float32) - np.float32(info.zero_point)) * np.float32(info.scale)


class Engine(Protocol):
    """A loaded model. ``run`` takes and returns arrays in the tensors' own dtypes."""

    backend: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]

    def run(self, arrays: list[np.ndarray]) -> list[np.ndarray]: ...

    def describe(self) -> dict: ...
