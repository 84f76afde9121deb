"""A preprocessing pipeline: a list of ``{"op": name, ...params}`` steps, as data.

The same object runs in training (``pipelines`` feeds its output to Keras) and on the device,
so device features equal training features. Steps that learn (``standardize``, ``pca``) are
fitted once on training data; their state becomes plain numbers in the spec, or ``.npy`` files
beside it for large arrays (never pickle).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import BundleError, ConfigError, DataError
from edge_runtime.preprocess.fused import one_frame
from edge_runtime.preprocess.registry import Op, get_op

#: arrays with more elements than this go to a .npy file instead of the JSON spec
INLINE_ARRAY_LIMIT = 64


class Step:
    """One op with its parameters (defaults filled in) and, after fitting, its state."""

    def __init__(self, op: Op, params: dict[str, Any]):
        self.op = op
        self.params = params

    @property
    def fitted(self) -> bool:
        return all(self.params.get(key) is not None for key in self.op.state)

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k not in self.op.state}
        return f"Step({self.op.name!r}, {shown})"


class Pipeline:
    """An ordered list of steps; see the module docstring."""

    def __init__(self, steps: list[Step]):
        self.steps = steps

    # construction ------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: Any, base_dir: str | Path | None = None) -> Pipeline:
        """Build from a JSON-able list of dicts; ``{"npy": path}`` values load from ``base_dir``.

        ``base_dir`` is a directory or a :class:`~edge_runtime.bundlefiles.BundleFiles` (a bundle's
        listed, hash-checked files); either way an array is read only through that checked access.
        """
        if not isinstance(spec, list) or not all(isinstance(s, dict) for s in spec):
            raise ConfigError(
                f"Expected a preprocessing spec as a list of {{'op': name, ...}} dicts. Received: {_short(spec)}"
            )
        steps = []
        for index, raw in enumerate(spec):
            if "op" not in raw:
                raise ConfigError(f"preprocessing step {index}: expected an 'op' key. Received: {_short(raw)}")
            op = get_op(raw["op"])
            given = {k: v for k, v in raw.items() if k != "op"}
            unknown = sorted(set(given) - set(op.defaults))
            if unknown:
                raise ConfigError(
                    f"{op.name}: unknown parameter {unknown[0]!r}. Expected one of: "
                    f"{', '.join(op.params) or '(none)'}"
                )
            params = {**op.defaults, **{k: _load_value(v, base_dir, op.name, k) for k, v in given.items()}}
            for key in op.state:
                params[key] = _state_value(params[key], op.name, key)
            if op.validate is not None:
                op.validate(**{k: v for k, v in params.items() if k not in op.state})
            steps.append(Step(op, params))
        return cls(steps)

    # fit / transform -----------------------------------------------------------------------
    @property
    def requires_fit(self) -> bool:
        return any(step.op.fit is not None for step in self.steps)

    @property
    def is_fitted(self) -> bool:
        return all(step.fitted for step in self.steps)

    def fit(self, x: np.ndarray) -> Pipeline:
        """Learn the state of every learning step from training batch ``x``; returns self."""
        for step in self.steps:
            if step.op.fit is not None:
                config = {k: v for k, v in step.params.items() if k not in step.op.state}
                state = step.op.fit(x, **config)
                step.params.update(state)
            x = self._apply(step, x)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Run every step on batch ``x`` (N, ...); the pipeline must be fitted first.

        One uint8 frame through the default hybrid stage takes a fused path with the same bits.
        """
        fused = one_frame(self.steps, x)
        if fused is not None:
            return fused
        for step in self.steps:
            x = self._apply(step, x)
        return x

    __call__ = transform

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)

    @staticmethod
    def _apply(step: Step, x: np.ndarray) -> np.ndarray:
        if step.op.state and not step.fitted:
            raise DataError(f"{step.op.name}: this step learns from data; call Pipeline.fit on training data first")
        return step.op.fn(x, **step.params)

    # planning -------------------------------------------------------------------------------
    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one sample after the pipeline, from the shape of one raw sample."""
        shape = tuple(int(s) for s in input_shape)
        for step in self.steps:
            shape = tuple(int(s) for s in step.op.output_shape(shape, **step.params))
        return shape

    def cost(self, input_shape: tuple[int, ...]) -> int:
        """Approximate arithmetic operations per sample (0 for steps that only move data)."""
        total, shape = 0, tuple(input_shape)
        for step in self.steps:
            if step.op.cost is not None:
                total += int(step.op.cost(shape, **step.params))
            shape = tuple(step.op.output_shape(shape, **step.params))
        return total

    # serialization --------------------------------------------------------------------------
    def to_spec(self, array_dir: str | Path | None = None, prefix: str = "preprocess") -> list[dict]:
        """The JSON-able spec with fitted state; arrays over INLINE_ARRAY_LIMIT go to ``array_dir``.

        ``array_dir`` is the directory the spec's file will sit in; files are written to
        ``array_dir/prefix/`` and referenced as ``{"npy": "prefix/<file>.npy"}``.
        """
        spec = []
        for index, step in enumerate(self.steps):
            entry: dict[str, Any] = {"op": step.op.name}
            for key, value in step.params.items():
                entry[key] = _dump_value(value, array_dir, prefix, f"{index}_{step.op.name}_{key}")
            spec.append(entry)
        return spec

    def __repr__(self) -> str:
        return f"Pipeline({self.steps})"


def _dump_value(value: Any, array_dir, prefix: str, stem: str) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.size <= INLINE_ARRAY_LIMIT or array_dir is None:
            if value.size > INLINE_ARRAY_LIMIT:
                raise ConfigError(f"{stem}: a {value.shape} array needs array_dir to be written as .npy")
            return value.tolist()
        rel = f"{prefix}/{stem}.npy"
        target = Path(array_dir) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        np.save(target, value, allow_pickle=False)
        return {"npy": rel}
    return copy.deepcopy(value)


def _load_value(value: Any, base_dir, op: str, key: str) -> Any:
    if isinstance(value, dict) and set(value) == {"npy"}:
        if base_dir is None:
            raise ConfigError(f"{op}: parameter {key} refers to {value['npy']!r} but no base directory was given")
        from edge_runtime.bundlefiles import BundleFiles

        files = base_dir if isinstance(base_dir, BundleFiles) else BundleFiles(base_dir)
        if not isinstance(value["npy"], str):
            raise ConfigError(f"{op}: parameter {key}: expected {{'npy': 'relative/path.npy'}}. "
                              f"Received: {_short(value)}")
        try:
            return files.read_npy(value["npy"])
        except BundleError as exc:
            raise BundleError(f"{op}: cannot read {key}: {exc}") from exc
    return value


def _state_value(value: Any, op: str, key: str) -> Any:
    """Fitted state as a finite float array (None: not fitted yet); anything else is refused here, not mid-predict."""
    if value is None:
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting
        array = None
    if array is None or array.dtype.kind not in "iuf" or not np.isfinite(array).all():
        raise ConfigError(f"{op}: expected fitted {key} as finite numbers (a number, nested lists or .npy). "
                          f"Received: {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
