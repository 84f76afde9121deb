"""TFLite full-integer Dense layers: one weight scale per tensor by default, per output unit on request.

The scales are checked against the Keras kernels themselves: symmetric int8 weights have scale
max|W| / 127, over the whole kernel (per tensor) or over each output unit's column (per channel).
"""

from __future__ import annotations

import numpy as np
import pytest

from export.config import ExportConfig
from export.exporter import export_run
from export.keras2tflite import keras2tflite
from tests.export.conftest import flat_mlp
from tests.pipelines.digits_models import cnn


@pytest.fixture(scope="module")
def mlp_and_samples(digits):
    x, y = digits
    flat = x.reshape(len(x), -1).astype(np.float32) / 255.0
    model = flat_mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(flat[:600], y[:600], epochs=3, batch_size=64, verbose=0)
    return model, flat[:200]


def _int8_weights(data: bytes) -> dict[tuple[int, ...], np.ndarray]:
    """Each int8 weight tensor of rank >= 2 (by its shape) -> its quantization scales."""
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_content=data).get_tensor_details()
    return {tuple(int(d) for d in t["shape"]): t["quantization_parameters"]["scales"]
            for t in details if t["dtype"] == np.int8 and len(t["shape"]) >= 2 and t["shape"][0] > 1}


def test_dense_weights_get_one_scale_per_tensor_by_default(mlp_and_samples):
    model, representative = mlp_and_samples
    weights = _int8_weights(keras2tflite(model, "int8", representative))
    for layer in model.layers:
        kernel = layer.get_weights()[0]  # (inputs, units); TFLite stores (units, inputs)
        scales = weights[kernel.T.shape]
        assert scales == pytest.approx([np.abs(kernel).max() / 127], rel=1e-5)


def test_dense_per_channel_gives_one_scale_per_output_unit_and_costs_bytes(mlp_and_samples):
    model, representative = mlp_and_samples
    per_tensor = keras2tflite(model, "int8", representative)
    per_channel = keras2tflite(model, "int8", representative, dense_per_channel=True)
    weights = _int8_weights(per_channel)
    units = 0
    for layer in model.layers:
        kernel = layer.get_weights()[0]
        assert weights[kernel.T.shape] == pytest.approx(np.abs(kernel).max(axis=0) / 127, rel=1e-5)
        units += kernel.shape[1]
    # a float32 scale and an int64 zero point per unit instead of one per tensor, for the weights and the bias
    assert len(per_channel) - len(per_tensor) >= 2 * 12 * (units - len(model.layers))


def test_convolutions_stay_per_channel(digits):
    x, _ = digits
    model = cnn()
    representative = x[:100].astype(np.float32) / 255.0
    weights = _int8_weights(keras2tflite(model, "int8", representative))
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            filters = layer.get_weights()[0].shape[-1]
            conv = [s for shape, s in weights.items() if len(shape) == 4 and shape[0] == filters]
            assert conv and len(conv[0]) == filters


@pytest.mark.parametrize("per_channel, note", [(False, "one scale per tensor"), (True, "one scale per output unit")])
def test_the_manifest_notes_say_how_dense_weights_were_scaled(mlp_run, tmp_path, per_channel, note):
    config = ExportConfig(variants=("int8",), formats=("tflite",), tflite_dense_per_channel=per_channel,
                          in_model=False)
    (model,) = export_run(mlp_run, tmp_path / "b", config, log=lambda _: None)["models"]
    assert model["validation"]["passed"]
    assert f"dense weights: {note}" in model["notes"]
