"""In-model variants: the hybrid stage (deskew, scale, HOG) compiled into the exported graph.

A raw uint8 frame goes in and the class comes out in one invoke; the reference is the float
Keras model fed by the numpy stage on the same raw samples.
"""

import numpy as np
import pytest

from edge_runtime.bundle import open_bundle
from edge_runtime.preprocess import Pipeline
from tests.export.conftest import save_digits_run

HYBRID_STEPS = ({"op": "deskew"}, {"op": "scale"}, {"op": "hog", "cell": 2, "block": 2})


@pytest.fixture(scope="module")
def hybrid_bundle(tmp_path_factory, digits):
    from export.config import ExportConfig
    from export.exporter import export_run
    from models.backend import keras

    x, y = digits
    features = Pipeline.from_spec([dict(s) for s in HYBRID_STEPS]).transform(x)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((features.shape[1],)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(features[:1300], y[:1300], epochs=20, verbose=0)
    root = tmp_path_factory.mktemp("hybrid")
    save_digits_run(root / "run", model, x, y, steps=HYBRID_STEPS, finetune=False)
    manifest = export_run(root / "run", root / "bundle", ExportConfig(variants=("fp32", "int8", "fp16")),
                          log=lambda _: None)
    return root / "bundle", manifest


@pytest.mark.slow
def test_every_variant_gets_an_in_model_twin_that_passes_validation(hybrid_bundle):
    _, manifest = hybrid_bundle
    by_id = {m["id"]: m for m in manifest["models"]}
    for host_id in ("tflite-fp32", "tflite-int8", "tflite-fp16", "onnx-fp32", "onnx-int8"):
        host, raw = by_id[host_id], by_id[f"{host_id}-in-model"]
        assert host["in_model_ops"] == []
        assert raw["in_model_ops"] == ["deskew", "scale", "hog"]
        assert raw["inputs"][0]["dtype"] == "uint8" and raw["inputs"][0]["shape"][1:] == [8, 8, 1]
        assert raw["validation"]["passed"], raw["validation"]["failures"]
        assert "on the numpy stage" in raw["validation"]["reference"]
    assert by_id["tflite-fp32-in-model"]["validation"]["top1_agreement"] == 1.0
    assert "selective quantization" in by_id["tflite-int8-in-model"]["notes"]
    # builtin ops the XNNPACK delegate takes: no ATAN2, GATHER or (for fp32) CAST-heavy graphs
    analysis = by_id["tflite-fp32-in-model"]["analysis"]
    assert not {"ATAN2", "GATHER", "GATHER_ND"} & set(analysis["ops"])
    assert analysis["outside_xnnpack"] == {"CAST": 1}  # the uint8 frame's one cast; all else is delegated
    assert analysis["ops"]["DELEGATE"] == 1  # in one XNNPACK partition
    assert analysis["macs"] == by_id["tflite-fp32"]["analysis"]["macs"]  # the network's, as for the host model


@pytest.mark.slow
def test_the_runtime_feeds_raw_frames_and_runs_only_the_rest_on_the_host(hybrid_bundle, digits):
    path, _ = hybrid_bundle
    x, _ = digits
    frames = x[1600:1700]
    with open_bundle(path) as bundle:
        host = bundle.session("tflite-fp32")
        raw = bundle.session("tflite-fp32-in-model")
        assert raw.pipeline is None  # the model performs the whole pipeline
        np.testing.assert_array_equal(raw.preprocess(frames), frames)  # nothing happens on the host
        np.testing.assert_allclose(raw.predict(frames), host.predict(frames), atol=1e-4)
        assert bundle.session("onnx-fp32-in-model").predict(frames).argmax(1).tolist() == \
            host.predict(frames).argmax(1).tolist()


def test_inspect_says_where_each_op_runs():
    import copy

    from edge_runtime.commands.inspect import summary
    from tests.edge_runtime.manifest_example import example_manifest

    manifest = example_manifest()
    ops = [s["op"] for s in manifest["preprocessing"]]
    raw = copy.deepcopy(manifest["models"][0])
    raw.update(id="tflite-fp32-in-model", variant="fp32-in-model", in_model_ops=ops[:1])
    manifest["models"].append(raw)
    where = [line for line in summary(manifest, "verified") if line.startswith("where")]
    assert where[0].startswith(f"where       in the model: nothing; on the host: {' -> '.join(ops)}")
    assert where[1].startswith(f"where       in the model: {ops[0]}; on the host: {' -> '.join(ops[1:]) or 'nothing'}")
    assert where[1].endswith("[tflite-fp32-in-model]")


def test_in_model_ops_must_be_the_pipelines_first_steps():
    from edge_runtime.manifest import validate_manifest
    from tests.edge_runtime.manifest_example import example_manifest

    manifest = example_manifest()
    manifest["models"][0]["in_model_ops"] = ["hog"]
    assert any("in_model_ops" in e for e in validate_manifest(manifest))
    manifest["models"][0]["in_model_ops"] = [s["op"] for s in manifest["preprocessing"]][:1]
    assert not validate_manifest(manifest)
