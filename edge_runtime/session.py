"""A loaded model with its preprocessing: raw samples in, float outputs out, on any backend.

The stages are separate because the benchmark times them separately:
``preprocess`` (the bundle's pipeline, float features), ``prepare`` (cast or quantize to the
model's input dtype), ``engine.run`` (the backend alone), ``finish`` (dequantize to float32).
``infer`` = prepare + run + finish; ``predict`` = preprocess + infer.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.backends.base import Engine, TensorInfo, dequantize, quantize
from edge_runtime.errors import DataError


class Session:
    """One model of a bundle on one backend. ``model`` is its manifest entry."""

    def __init__(self, engine: Engine, model: dict, pipeline=None, input_spec: dict | None = None):
        self.engine = engine
        self.model = model
        self.pipeline = pipeline
        self.input_spec = input_spec
        self.inputs: list[TensorInfo] = [
            info.with_quantization(entry.get("quantization"))
            for info, entry in zip(engine.inputs, _padded(model.get("inputs"), engine.inputs), strict=True)
        ]
        self.outputs: list[TensorInfo] = [
            info.with_quantization(entry.get("quantization"))
            for info, entry in zip(engine.outputs, _padded(model.get("outputs"), engine.outputs), strict=True)
        ]
        if len(self.inputs) != 1:
            raise DataError(f"{model['id']}: the runtime feeds one input tensor. "
                            f"Received: a model with {len(self.inputs)} inputs")
        self._in = self.inputs[0]
        self._sample_rank = len(self._in.shape) - 1

    @property
    def backend_name(self) -> str:
        return self.engine.backend

    @property
    def model_id(self) -> str:
        return self.model["id"]

    # the stages --------------------------------------------------------------------------
    def preprocess(self, x_raw: np.ndarray) -> np.ndarray:
        """Raw samples (a batch, or one sample) through the bundle's pipeline to float features."""
        x = np.asarray(x_raw)
        if self.input_spec is not None and x.ndim == len(self.input_spec["shape"]):
            x = x[None]
        if self.pipeline is None:
            return x
        return self.pipeline.transform(x)

    def prepare(self, features: np.ndarray) -> np.ndarray:
        """Features to the model's input tensor: dtype cast, or quantize with its scale and zero point."""
        x = np.asarray(features)
        if x.ndim == self._sample_rank:
            x = x[None]
        expected = tuple(s for s in self._in.shape[1:])
        if x.shape[1:] != expected and all(s > 0 for s in expected):
            if int(np.prod(x.shape[1:])) != int(np.prod(expected)):
                raise DataError(f"{self.model_id}: features of shape {x.shape[1:]} do not fit the model input "
                                f"{self._in.name!r}. Expected {expected}")
            x = x.reshape(x.shape[0], *expected)
        return quantize(x, self._in)

    def finish(self, raw_outputs: list[np.ndarray]):
        """Dequantize the engine's outputs to float32: one array, or a tuple for several outputs."""
        outs = [dequantize(q, info) for q, info in zip(raw_outputs, self.outputs, strict=True)]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def infer(self, features: np.ndarray):
        """Float features to float outputs (int8 models are quantized and dequantized around the engine)."""
        return self.finish(self.engine.run([self.prepare(features)]))

    def predict(self, x_raw: np.ndarray):
        """Raw samples to float outputs: preprocessing, then :meth:`infer`."""
        return self.infer(self.preprocess(x_raw))

    def describe(self) -> dict:
        return {"model_id": self.model_id, "inputs": [t.describe() for t in self.inputs],
                "outputs": [t.describe() for t in self.outputs], **self.engine.describe()}

    def __repr__(self) -> str:
        return f"Session({self.model_id!r}, backend={self.backend_name!r})"


def _padded(entries, infos) -> list[dict]:
    entries = list(entries or [])
    return entries + [{}] * (len(infos) - len(entries)) if len(entries) <= len(infos) else entries[: len(infos)]
