"""The ``litert`` backend: LiteRT's Interpreter (ai_edge_litert), tflite_runtime as a fallback.

XNNPACK is LiteRT's default CPU delegate: the default op resolver applies it, and
``xnnpack=False`` selects the resolver without default delegates (for comparison or debugging).
``num_threads`` is the interpreter's thread count (XNNPACK's too).
"""

from __future__ import annotations

import numpy as np

from edge_runtime.backends.base import TensorInfo
from edge_runtime.errors import BundleError, ConfigError, DataError
from edge_runtime.workarounds import litert_resolver

MODULES = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter")


def _tensor(detail: dict) -> TensorInfo:
    scale, zero_point = detail["quantization"]
    signature = detail.get("shape_signature")
    shape = signature if signature is not None and len(signature) else detail["shape"]
    return TensorInfo(detail["name"], tuple(int(s) for s in shape), np.dtype(detail["dtype"]).name,
                      float(scale) if scale else None, int(zero_point) if scale else None)


class LiteRTEngine:
    """An allocated Interpreter; ``run`` sets the inputs, invokes, and copies the outputs out."""

    backend = "litert"

    def __init__(self, path: str, threads: int, module, xnnpack: bool = True):
        resolver = litert_resolver(module, xnnpack)
        try:
            self.interpreter = module.Interpreter(model_path=str(path), num_threads=threads,
                                                  experimental_op_resolver_type=resolver)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise BundleError(f"{path}: LiteRT cannot load this model: {str(exc).strip()}") from exc
        self.path, self.threads, self.xnnpack = str(path), threads, xnnpack
        in_details = self.interpreter.get_input_details()
        out_details = self.interpreter.get_output_details()
        self.inputs = [_tensor(d) for d in in_details]
        self.outputs = [_tensor(d) for d in out_details]
        self._in_index = [d["index"] for d in in_details]
        self._out_index = [d["index"] for d in out_details]
        self._batch = int(in_details[0]["shape"][0]) if len(in_details[0]["shape"]) else 1
        self._dynamic_batch = bool(self.inputs[0].shape) and self.inputs[0].shape[0] == -1
        self._single = len(self._in_index) == 1 and len(self._out_index) == 1
        self._in0, self._out0 = self._in_index[0], self._out_index[0]
        interp = self.interpreter  # bound once: the public methods a bare loop would call
        self._set_tensor, self._invoke, self._get_tensor = interp.set_tensor, interp.invoke, interp.get_tensor

    def run(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        x = arrays[0]
        if self._single and x.ndim and x.shape[0] == self._batch:  # the hot path: as lean as a bare loop
            try:
                self._set_tensor(self._in0, x)
            except ValueError as exc:
                raise DataError(f"{self.path}: input does not fit the model: {exc}") from exc
            self._invoke()
            return [self._get_tensor(self._out0)]
        return self._run_general(arrays)

    def _run_general(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        n = arrays[0].shape[0] if arrays[0].ndim else 1
        if n != self._batch:
            if not self._dynamic_batch:
                return self._run_per_sample(arrays, n)
            self._resize(n)
        interp = self.interpreter
        try:
            for index, array in zip(self._in_index, arrays, strict=True):
                interp.set_tensor(index, array)
            interp.invoke()
        except ValueError as exc:
            raise DataError(f"{self.path}: input does not fit the model: {exc}") from exc
        return [interp.get_tensor(index) for index in self._out_index]

    def _resize(self, n: int) -> None:
        for index, info in zip(self._in_index, self.inputs, strict=True):
            self.interpreter.resize_tensor_input(index, [n, *info.shape[1:]])
        self.interpreter.allocate_tensors()
        self._batch = n

    def _run_per_sample(self, arrays: list[np.ndarray], n: int) -> list[np.ndarray]:
        if self._batch != 1:
            raise DataError(f"{self.path}: the model takes batches of {self._batch}. Received: batch={n}")
        parts = [self.run([a[i : i + 1] for a in arrays]) for i in range(n)]
        return [np.concatenate(column) for column in zip(*parts, strict=True)]

    def describe(self) -> dict:
        return {"backend": self.backend, "threads": self.threads, "xnnpack": self.xnnpack}


def load(path: str, threads: int, xnnpack: bool = True) -> LiteRTEngine:
    from edge_runtime.backends import BACKENDS

    if not isinstance(xnnpack, bool):
        raise ConfigError(f"Expected xnnpack as true or false. Received: xnnpack={xnnpack!r}")
    return LiteRTEngine(path, threads, BACKENDS["litert"].import_engine(), xnnpack=xnnpack)


def _register() -> None:
    from edge_runtime.backends import Backend, register_backend

    register_backend(Backend("litert", ("tflite",), MODULES, load,
                             options={"xnnpack": "use the XNNPACK delegate (default true)"}))


_register()


#: float32 TFLite builtins the XNNPACK delegate takes (its op list in LiteRT 2.x, and what the
#: in-model prototype measured: ATAN2, GATHER, CAST, SIGN, SELECT and LESS stay outside). Per-op
#: conditions (shapes, int32 tensors) are not modelled: the measured partition count is the proof.
XNNPACK_OPS = frozenset({
    "ABS", "ADD", "AVERAGE_POOL_2D", "BATCH_MATMUL", "CEIL", "CONCATENATION", "CONV_2D", "DEPTH_TO_SPACE",
    "DEPTHWISE_CONV_2D", "DEQUANTIZE", "DIV", "ELU", "EXP", "FLOOR", "FULLY_CONNECTED", "GELU", "HARD_SWISH",
    "LEAKY_RELU", "LOGISTIC", "MAX_POOL_2D", "MAXIMUM", "MEAN", "MINIMUM", "MUL", "NEG", "PAD", "PRELU",
    "QUANTIZE", "RELU", "RELU6", "RELU_N1_TO_1", "RESHAPE", "RESIZE_BILINEAR", "ROUND", "RSQRT", "SLICE",
    "SOFTMAX", "SPACE_TO_DEPTH", "SPLIT", "SQRT", "SQUARE", "SQUARED_DIFFERENCE", "STRIDED_SLICE", "SUB",
    "SUM", "TANH", "TRANSPOSE", "TRANSPOSE_CONV", "DELEGATE",
})


def outside_xnnpack(ops: dict[str, int]) -> dict[str, int]:
    """The TFLite op counts XNNPACK does not delegate (each one is a partition boundary)."""
    return {name: count for name, count in sorted(ops.items()) if name not in XNNPACK_OPS}
