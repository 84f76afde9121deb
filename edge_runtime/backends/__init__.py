"""Inference backends, a registry keyed by name: ``litert`` (.tflite) and ``onnxruntime`` (.onnx).

Each backend imports its engine lazily (an edge install may have only one) and records how long
that first import took, because import time is part of a device's cold start.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from edge_runtime.backends.base import Engine, TensorInfo, dequantize, quantize
from edge_runtime.errors import ConfigError, MissingExtraError

#: format -> the backend used when none is asked for
DEFAULT_BACKEND = {"tflite": "litert", "onnx": "onnxruntime"}


@dataclass
class Backend:
    """A named engine for some model formats. ``loader(path, threads, **options) -> Engine``."""

    name: str
    formats: tuple[str, ...]
    modules: tuple[str, ...]  # candidate engine modules, first importable wins
    loader: Callable[..., Engine]
    options: dict[str, str] = field(default_factory=dict)  # option -> help text
    import_ns: int | None = None
    module: object = None

    def import_engine(self):
        """Import the engine module (timed on first import); MissingExtraError when none is installed."""
        if self.module is not None:
            return self.module
        for name in self.modules:
            already = name in sys.modules
            start = time.perf_counter_ns()
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            if not already:
                self.import_ns = time.perf_counter_ns() - start
            self.module = module
            return module
        raise MissingExtraError(
            f"backend {self.name!r} needs one of {', '.join(self.modules)}, none is installed. "
            'Install it with: pip install "edgenn[edge]"'
        )

    def import_time_ns(self) -> int:
        """Time of the engine's first import: measured in this process, else in a fresh child."""
        self.import_engine()
        if self.import_ns is None:
            self.import_ns = _child_import_ns(self.module.__name__)
        return self.import_ns

    def load(self, path: str, threads: int = 1, **options) -> Engine:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ConfigError(f"backend {self.name!r}: unknown option {unknown[0]!r}. "
                              f"Expected one of: {', '.join(self.options) or '(none)'}")
        if not isinstance(threads, int) or threads < 1:
            raise ConfigError(f"Expected threads as an integer >= 1. Received: threads={threads!r}")
        self.import_engine()
        return self.loader(path, threads, **options)

    def version(self) -> str | None:
        try:
            module = self.import_engine()
        except MissingExtraError:
            return None
        root = sys.modules.get(module.__name__.split(".")[0])
        return getattr(root, "__version__", None) or _dist_version(module.__name__.split(".")[0])


BACKENDS: dict[str, Backend] = {}


def register_backend(backend: Backend) -> Backend:
    if backend.name in BACKENDS:
        raise ValueError(f"backend {backend.name!r} is registered twice")
    BACKENDS[backend.name] = backend
    return backend


def get_backend(name: str) -> Backend:
    """The backend called ``name``; ConfigError listing the known ones otherwise."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ConfigError(f"Expected a backend in {sorted(BACKENDS)}. Received: backend={name!r}") from None


def backend_for(fmt: str, name: str | None = None) -> Backend:
    """``name``, or the default backend of model format ``fmt``; checks the backend runs that format."""
    backend = get_backend(name or DEFAULT_BACKEND[fmt])
    if fmt not in backend.formats:
        fits = sorted(b.name for b in BACKENDS.values() if fmt in b.formats)
        raise ConfigError(f"backend {backend.name!r} cannot run {fmt} models. Expected one of {fits}. "
                          f"Received: backend={backend.name!r}")
    return backend


def runtime_versions() -> dict[str, str]:
    """Installed engine versions by distribution name, without importing anything heavy."""
    versions = {}
    for dist in ("ai-edge-litert", "tflite-runtime", "onnxruntime", "onnxruntime-gpu", "numpy", "pillow"):
        version = _dist_version(dist)
        if version:
            versions[dist.replace("-", "_")] = version
    return versions


def _dist_version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _child_import_ns(module: str) -> int:
    code = (f"import time; t = time.perf_counter_ns(); import {module}; "
            "print(time.perf_counter_ns() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,  # noqa: S603 (our own code)
                         check=True, timeout=120)
    return int(out.stdout.strip().splitlines()[-1])


from edge_runtime.backends import litert, onnx_runtime  # noqa: E402,F401  (registers the backends)

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "Engine", "TensorInfo", "backend_for", "dequantize",
           "get_backend", "quantize", "register_backend", "runtime_versions"]
