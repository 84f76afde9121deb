"""The session's stages: preprocess, prepare (quantize), engine, finish (dequantize)."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.bundle import open_bundle
from edge_runtime.errors import DataError
from tests.edge_runtime.bundle_factory import tiny_bundle


@pytest.fixture(scope="module")
def tiny():
    return tiny_bundle()


@pytest.fixture(scope="module")
def int8_session(tiny):
    return open_bundle(tiny.path).session("tflite-int8")


def test_preprocess_runs_the_manifest_pipeline_and_adds_a_batch_axis_to_one_sample(tiny, int8_session):
    one = int8_session.preprocess(tiny.x_raw[0])
    assert one.shape == (1, 28, 28, 1) and one.dtype == np.float32
    np.testing.assert_allclose(one[0], tiny.x_raw[0] / 255.0, atol=1e-7)  # the bundle's "scale" op


def test_prepare_quantizes_with_the_input_tensors_scale_and_zero_point(tiny, int8_session):
    info = int8_session.inputs[0]
    features = int8_session.preprocess(tiny.x_raw[:2])
    q = int8_session.prepare(features)
    assert q.dtype == np.int8
    expected = np.clip(np.round(features / info.scale) + info.zero_point, -128, 127)
    np.testing.assert_array_equal(q, expected.astype(np.int8))


def test_infer_dequantizes_the_int8_output_to_probabilities(tiny, int8_session):
    probs = int8_session.infer(int8_session.preprocess(tiny.x_raw[:5]))
    assert probs.dtype == np.float32 and probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=0.05)  # softmax, up to output steps
    out = int8_session.outputs[0]
    steps = probs / out.scale
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)  # values on the output grid


def test_predict_is_preprocess_then_infer(tiny, int8_session):
    x = tiny.x_raw[:3]
    np.testing.assert_array_equal(int8_session.predict(x), int8_session.infer(int8_session.preprocess(x)))


def test_flat_features_are_reshaped_to_the_input_and_a_wrong_size_is_refused(tiny, int8_session):
    flat = (tiny.x_raw[:2] / 255.0).reshape(2, 784).astype(np.float32)
    np.testing.assert_array_equal(int8_session.infer(flat), int8_session.predict(tiny.x_raw[:2]))
    with pytest.raises(DataError, match="do not fit the model input"):
        int8_session.infer(np.zeros((1, 100), np.float32))


def test_the_session_describes_its_model_backend_and_tensors(int8_session):
    info = int8_session.describe()
    assert info["model_id"] == "tflite-int8" and info["backend"] == "litert" and info["threads"] == 1
    assert info["inputs"][0]["dtype"] == "int8" and info["inputs"][0]["quantization"]["zero_point"] == -128
    assert repr(int8_session) == "Session('tflite-int8', backend='litert')"
