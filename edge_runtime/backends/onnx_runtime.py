"""The ``onnxruntime`` backend: an InferenceSession with chosen providers, graph optimization, threads.

Providers are named in full (``CUDAExecutionProvider``) or short (``cuda``, ``tensorrt``, ``cpu``);
one that this onnxruntime build does not offer is an error naming those it does. ``threads`` is
``intra_op_num_threads``; ``inter_op_threads`` matters only with a parallel execution mode.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.backends.base import TensorInfo
from edge_runtime.errors import BundleError, ConfigError, DataError

MODULES = ("onnxruntime",)
SHORT_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider",
                   "tensorrt": "TensorrtExecutionProvider", "openvino": "OpenVINOExecutionProvider",
                   "coreml": "CoreMLExecutionProvider", "xnnpack": "XnnpackExecutionProvider"}
ONNX_DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(int8)": "int8",
               "tensor(uint8)": "uint8", "tensor(int16)": "int16", "tensor(int32)": "int32",
               "tensor(int64)": "int64"}
GRAPH_LEVELS = ("disable", "basic", "extended", "all")


def resolve_providers(requested, available: list[str]) -> list[str]:
    """Full provider names for ``requested`` (names, short names or a comma list); check availability."""
    if requested is None:
        return ["CPUExecutionProvider"]
    if isinstance(requested, str):
        requested = [p for p in requested.split(",") if p.strip()]
    names = [SHORT_PROVIDERS.get(p.strip().lower(), p.strip()) for p in requested]
    missing = [n for n in names if n not in available]
    if missing or not names:
        raise ConfigError(f"Expected providers available in this onnxruntime: {available}. "
                          f"Received: providers={missing or requested!r}")
    return names


def _tensor(arg) -> TensorInfo:
    shape = tuple(s if isinstance(s, int) else -1 for s in (arg.shape or ()))
    return TensorInfo(arg.name, shape, ONNX_DTYPES.get(arg.type, arg.type))


class OnnxRuntimeEngine:
    """An InferenceSession; ``run`` feeds the inputs by name and returns every output."""

    backend = "onnxruntime"

    def __init__(self, path: str, threads: int, ort, providers=None, graph_optimization: str = "all",
                 inter_op_threads: int = 1):
        if graph_optimization not in GRAPH_LEVELS:
            raise ConfigError(f"Expected graph_optimization in {list(GRAPH_LEVELS)}. "
                              f"Received: graph_optimization={graph_optimization!r}")
        if not isinstance(inter_op_threads, int) or inter_op_threads < 1:
            raise ConfigError(f"Expected inter_op_threads >= 1. Received: inter_op_threads={inter_op_threads!r}")
        self.providers = resolve_providers(providers, ort.get_available_providers())
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = inter_op_threads
        options.graph_optimization_level = {
            "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        }[graph_optimization]
        options.log_severity_level = 3  # errors only: keep warnings out of the user's output
        try:
            self.session = ort.InferenceSession(str(path), sess_options=options, providers=self.providers)
        except Exception as exc:  # onnxruntime raises its own types (InvalidProtobuf, Fail, ...) and UnicodeDecodeError
            raise BundleError(f"{path}: onnxruntime cannot load this model: {str(exc).strip()[:300]}") from exc
        self.path, self.threads = str(path), threads
        self.graph_optimization, self.inter_op_threads = graph_optimization, inter_op_threads
        self.inputs = [_tensor(a) for a in self.session.get_inputs()]
        self.outputs = [_tensor(a) for a in self.session.get_outputs()]
        self._in_names = [t.name for t in self.inputs]
        self._out_names = [t.name for t in self.outputs]

    def run(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        try:
            return self.session.run(self._out_names, dict(zip(self._in_names, arrays, strict=True)))
        except Exception as exc:  # InvalidArgument / Fail for a wrong shape or dtype
            raise DataError(f"{self.path}: input does not fit the model: {str(exc).strip()[:300]}") from exc

    def describe(self) -> dict:
        return {"backend": self.backend, "threads": self.threads, "providers": self.providers,
                "graph_optimization": self.graph_optimization, "inter_op_threads": self.inter_op_threads}


def available_providers() -> list[str]:
    from edge_runtime.backends import BACKENDS

    return list(BACKENDS["onnxruntime"].import_engine().get_available_providers())


def load(path: str, threads: int, **options) -> OnnxRuntimeEngine:
    from edge_runtime.backends import BACKENDS

    return OnnxRuntimeEngine(path, threads, BACKENDS["onnxruntime"].import_engine(), **options)


def _register() -> None:
    from edge_runtime.backends import Backend, register_backend

    register_backend(Backend("onnxruntime", ("onnx",), MODULES, load, options={
        "providers": "execution providers, e.g. cpu or cuda,cpu (default cpu)",
        "graph_optimization": f"one of {', '.join(GRAPH_LEVELS)} (default all)",
        "inter_op_threads": "threads across independent nodes (default 1)",
    }))


_register()
