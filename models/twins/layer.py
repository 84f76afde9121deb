"""``Preprocess``: a Keras layer that applies a fitted pipeline prefix with the ops' graph twins.

The exported in-model variants put it in front of the trained network, so the model takes the
raw frame (uint8) and the engine runs the classical stage in the same invoke. Its config is the
pipeline spec itself (fitted arrays inline as lists): ``get_config`` returns exactly the
constructor arguments and a saved model rebuilds it without running code.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import ConfigError
from edge_runtime.preprocess import Pipeline
from models.backend import keras, tf
from models.layers import _register
from models.twins.chain import TwinChain, twin_params
from models.twins.registry import NotCompilable, get_twin


def _plain(value):
    """A spec value as JSON-able data (numpy arrays and scalars to lists and numbers)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


@_register
class Preprocess(keras.layers.Layer):
    """Cast the raw input to float32, then run each step's twin in order.

    ``steps``: a fitted pipeline spec (``[{"op": name, ...params}]``, arrays inline). Every op
    must have a twin (``models.twins``); build the spec with :func:`compilable_prefix`.
    """

    def __init__(self, steps: list[dict], **kwargs):
        super().__init__(**kwargs)
        self.steps = [{k: _plain(v) for k, v in dict(s).items()} for s in steps]
        self.pipeline = Pipeline.from_spec(self.steps)
        if not self.pipeline.is_fitted:
            raise ConfigError("Preprocess: expected a fitted pipeline spec. Received: a step without its state")
        for step in self.pipeline.steps:
            get_twin(step.op.name)  # every op must have a twin: refused here, not at the first call

    def call(self, inputs):
        # a few twins depend on the dtype their numpy op receives (invert's default maximum, grayscale's
        # uint8 rounding): the chain follows it from the raw input's dtype through the ops' contracts
        chain = TwinChain(self.pipeline, tuple(int(d) for d in inputs.shape[1:]), inputs.dtype.name)
        return chain(tf.cast(inputs, tf.float32))

    def compute_output_shape(self, input_shape):
        shape = self.pipeline.output_shape(tuple(int(d) for d in input_shape[1:]))
        return tf.TensorShape([input_shape[0], *shape])

    def get_config(self):
        return {**super().get_config(), "steps": self.steps}


def compilable_prefix(pipeline: Pipeline, sample_shape: tuple[int, ...]) -> int:
    """How many leading steps of ``pipeline`` their twins can run on raw samples of ``sample_shape``.

    A step counts when its op is ``compilable`` and its twin builds for the shape it receives
    (a twin may refuse, e.g. several channels); the first that does not ends the prefix.
    """
    shape, count = tuple(int(d) for d in sample_shape), 0
    for step in pipeline.steps:
        if not step.op.compilable or not step.fitted:
            break
        try:
            probe = tf.zeros((1, *shape), tf.float32)
            get_twin(step.op.name)(probe, **twin_params(step))
        except NotCompilable:
            break
        shape = tuple(int(d) for d in step.op.output_shape(shape, **step.params))
        count += 1
    return count


def prefix_spec(pipeline: Pipeline, count: int) -> list[dict]:
    """The first ``count`` fitted steps as an inline spec (the layer's ``steps``)."""
    return [{"op": step.op.name, **{k: _plain(v) for k, v in step.params.items()}}
            for step in pipeline.steps[:count]]


def in_model(network, pipeline: Pipeline, input_spec: dict, count: int):
    """A Keras model: raw sample (the bundle's input dtype) -> first ``count`` steps' twins -> ``network``."""
    raw = keras.Input(shape=tuple(input_spec["shape"]), dtype=input_spec.get("dtype", "float32"), name="raw")
    features = Preprocess(prefix_spec(pipeline, count), name="preprocess")(raw)
    return keras.Model(raw, network(features), name=f"{network.name}_in_model")
