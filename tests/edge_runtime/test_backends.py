"""The backend registry, engine options, and int8 quantization of inputs and outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge_runtime.backends import BACKENDS, Backend, backend_for, get_backend, runtime_versions
from edge_runtime.backends.base import TensorInfo, dequantize, quantize
from edge_runtime.backends.litert import LiteRTEngine
from edge_runtime.backends.onnx_runtime import resolve_providers
from edge_runtime.errors import BundleError, ConfigError, MissingExtraError
from tests.edge_runtime.bundle_factory import tiny_bundle

INT8 = TensorInfo("x", (1, 4), "int8", scale=0.5, zero_point=-3)


@pytest.fixture(scope="module")
def tiny():
    return tiny_bundle()


def test_the_registry_holds_litert_and_onnxruntime_with_defaults_by_format():
    assert {"litert", "onnxruntime"} <= set(BACKENDS)
    assert backend_for("tflite").name == "litert"
    assert backend_for("onnx").name == "onnxruntime"
    with pytest.raises(ConfigError, match=r"Expected a backend in \['litert', 'onnxruntime'\]"):
        get_backend("tensorrt")


def test_quantize_follows_round_x_over_scale_plus_zero_point_clipped():
    x = np.array([[0.0, 1.0, -1.26, 1000.0]], dtype=np.float32)
    # by hand: 0/0.5-3 = -3; 1/0.5-3 = -1; -1.26/0.5 = -2.52 -> -3, -3 = -6; 2000-3 clips to 127
    np.testing.assert_array_equal(quantize(x, INT8), np.array([[-3, -1, -6, 127]], dtype=np.int8))
    np.testing.assert_allclose(dequantize(np.array([[-3, -1, -6, 127]], np.int8), INT8), [[0.0, 1.0, -1.5, 65.0]])


def test_quantize_round_trips_within_half_a_step():
    x = np.random.default_rng(0).uniform(-60, 60, size=(100, 4)).astype(np.float32)
    err = np.abs(dequantize(quantize(x, INT8), INT8) - x)
    assert err.max() <= INT8.scale / 2 + 1e-6


def test_float_tensors_pass_through_and_manifest_quantization_fills_a_gap():
    f = TensorInfo("y", (1, 2), "float32")
    x = np.ones((1, 2), np.float32)
    assert quantize(x, f) is x and dequantize(x, f) is x
    bare = TensorInfo("q", (1, 2), "uint8")
    assert not bare.quantized
    filled = bare.with_quantization({"scale": [0.25], "zero_point": [10]})
    assert filled.quantized and (filled.scale, filled.zero_point) == (0.25, 10)
    np.testing.assert_array_equal(quantize(np.array([[1.0, -5.0]], np.float32), filled), [[14, 0]])


def test_litert_reports_the_int8_tensors_scale_and_zero_point_as_the_manifest_does(tiny):
    engine = get_backend("litert").load(str(tiny.path / "models" / "int8.tflite"), 1)
    manifest_input = next(m for m in json.loads((tiny.path / "manifest.json").read_text())["models"]
                          if m["id"] == "tflite-int8")["inputs"][0]
    assert engine.inputs[0].dtype == "int8"
    assert engine.inputs[0].scale == pytest.approx(manifest_input["quantization"]["scale"][0])
    assert engine.inputs[0].zero_point == manifest_input["quantization"]["zero_point"][0]


@pytest.mark.parametrize("threads, xnnpack", [(1, True), (2, True), (1, False)])
def test_litert_thread_counts_and_xnnpack_off_give_the_same_outputs(tiny, threads, xnnpack):
    path = str(tiny.path / "models" / "fp32.tflite")
    x = (tiny.x_raw[:8] / 255.0).astype(np.float32)
    engine = get_backend("litert").load(path, threads, xnnpack=xnnpack)
    assert engine.describe() == {"backend": "litert", "threads": threads, "xnnpack": xnnpack}
    np.testing.assert_allclose(engine.run([x])[0], tiny.keras_probs[:8], atol=1e-5)


def test_litert_rejects_a_non_boolean_xnnpack_and_unknown_options(tiny):
    path = str(tiny.path / "models" / "fp32.tflite")
    with pytest.raises(ConfigError, match="xnnpack"):
        get_backend("litert").load(path, 1, xnnpack="yes")
    with pytest.raises(ConfigError, match="unknown option 'providers'"):
        get_backend("litert").load(path, 1, providers="cpu")
    with pytest.raises(ConfigError, match="threads"):
        get_backend("litert").load(path, 0)


@pytest.mark.parametrize("level", ["disable", "basic", "extended", "all"])
def test_onnxruntime_graph_levels_and_threads_give_the_same_outputs(tiny, level):
    engine = get_backend("onnxruntime").load(str(tiny.path / "models" / "fp32.onnx"), 2,
                                             graph_optimization=level, inter_op_threads=2)
    out = engine.run([(tiny.x_raw[:8] / 255.0).astype(np.float32)])[0]
    np.testing.assert_allclose(out, tiny.keras_probs[:8], atol=1e-5)
    assert engine.describe()["graph_optimization"] == level and engine.describe()["threads"] == 2


def test_an_unavailable_provider_is_an_error_naming_the_available_ones(tiny):
    import onnxruntime

    available = onnxruntime.get_available_providers()
    assert resolve_providers("cpu", available) == ["CPUExecutionProvider"]
    assert resolve_providers(None, available) == ["CPUExecutionProvider"]
    missing = "TensorrtExecutionProvider"
    assert missing not in available  # this machine has no GPU
    with pytest.raises(ConfigError, match="CPUExecutionProvider.*Received: providers=\\['TensorrtExecutionProvider'\\]"):
        get_backend("onnxruntime").load(str(tiny.path / "models" / "fp32.onnx"), 1, providers="tensorrt,cpu")
    with pytest.raises(ConfigError, match="graph_optimization"):
        get_backend("onnxruntime").load(str(tiny.path / "models" / "fp32.onnx"), 1, graph_optimization="max")


def test_the_engine_module_falls_back_to_the_next_candidate_and_names_the_extra_when_none_exists():
    fallback = Backend("fake", ("tflite",), ("no_such_engine_module", "ai_edge_litert.interpreter"), None)
    assert fallback.import_engine().__name__ == "ai_edge_litert.interpreter"
    assert fallback.import_time_ns() > 0
    missing = Backend("fake2", ("tflite",), ("no_such_engine_module", "tflite_runtime_absent"), None)
    with pytest.raises(MissingExtraError, match=r'pip install "edgenn\[edge\]"'):
        missing.import_engine()


def test_a_batch_runs_through_a_dynamic_batch_model_and_per_sample_on_a_fixed_one(tiny, tmp_path):
    engine = LiteRTEngine(str(tiny.path / "models" / "fp32.tflite"), 1, get_backend("litert").import_engine())
    x = (tiny.x_raw[:5] / 255.0).astype(np.float32)
    np.testing.assert_allclose(engine.run([x])[0], tiny.keras_probs[:5], atol=1e-5)
    engine._dynamic_batch, engine._batch = False, 1  # a model exported with batch fixed to 1
    engine._resize(1)
    np.testing.assert_allclose(engine.run([x])[0], tiny.keras_probs[:5], atol=1e-5)


def test_an_engine_load_failure_names_the_file(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x1c\x00\x00\x00TFL3" + bytes(200))
    with pytest.raises(BundleError, match="bad.tflite: LiteRT cannot load"):
        get_backend("litert").load(str(bad), 1)


def test_runtime_versions_name_the_installed_engines():
    versions = runtime_versions()
    assert versions["ai_edge_litert"] and versions["onnxruntime"] and versions["numpy"]
