"""Fidelity (to the model an artifact was converted from) and agreement (with the float model), with counts.

The validation samples are every non-test sample the run saved, validation split first; the count is
recorded and printed wherever agreement appears, and a count too small for the threshold is
"inconclusive", never "passed".
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from edge_runtime.bundle import open_bundle
from edge_runtime.evaluate import run_model
from edge_runtime.manifest import read_manifest
from export.config import ExportConfig
from export.exporter import export_run
from export.samples import validation_pool
from models.rundir import load_run
from pipelines.cli import main


def test_validation_samples_are_validation_then_unused_training_then_fine_tuning_samples_never_test(mlp_run, tmp_path):
    shutil.copytree(mlp_run, tmp_path / "run")
    with np.load(tmp_path / "run" / "samples.npz") as data:
        samples = {k: data[k] for k in data.files}
    samples["spare_x"] = 255 - samples["finetune_x"][:200]  # training samples no export step uses
    np.savez(tmp_path / "run" / "samples.npz", **samples)
    run = load_run(tmp_path / "run")
    val, spare, tuned = samples["validation_x"], samples["spare_x"], samples["finetune_x"]
    pool, sources = validation_pool(run, 600)
    assert sources == {"validation": 300, "training": 200, "fine-tuning": 100}
    np.testing.assert_array_equal(pool, np.concatenate([val, spare, tuned[:100]]))
    pool, sources = validation_pool(run, 5000)  # every non-test sample, the calibration ones (a subset) once
    assert sources == {"validation": 300, "training": 200, "fine-tuning": 1300} and len(pool) == 1800
    assert validation_pool(run, 50)[1] == {"validation": 50}
    del run.samples["finetune_x"], run.samples["spare_x"]  # an older run: calibration samples top it up
    assert validation_pool(run, 5000)[1] == {"validation": 300, "calibration": 300}


def _litert_outputs(path, features):
    """The artifact run by hand in LiteRT: quantize, invoke, dequantize (the independent reference)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], [len(features), *inp["shape"][1:]])
    interpreter.allocate_tensors()
    scale, zero = inp["quantization"]
    interpreter.set_tensor(inp["index"], np.clip(np.rint(features / scale + zero), -128, 127).astype(np.int8))
    interpreter.invoke()
    scale, zero = out["quantization"]
    return (interpreter.get_tensor(out["index"]).astype(np.float32) - zero) * scale


def test_a_fine_tuned_variant_records_fidelity_to_its_source_and_agreement_with_the_float_model(mlp_run, tmp_path):
    config = ExportConfig(variants=("pruned-int8",), formats=("tflite",), finetune_epochs=1, finetune_min_steps=40,
                          sparsity=0.5, prune_min_weights=64, in_model=False)
    (model,) = export_run(mlp_run, tmp_path / "b", config, log=lambda _: None)["models"]
    fidelity, agreement = model["validation"], model["float_agreement"]
    assert fidelity["reference"] == "keras:pruned" and agreement["reference"] == "keras:float"
    assert fidelity["samples"] == 1600 and fidelity["sources"] == {"validation": 300, "fine-tuning": 1300}
    # agreement with float leaves out the samples the pruned model was fine-tuned on
    assert agreement["samples"] == 300 and agreement["sources"] == {"validation": 300}
    run = load_run(mlp_run)
    raw = run.samples["validation_x"]
    features = (raw.reshape(len(raw), -1) / 255.0).astype(np.float32)
    keras_float = run.load_model().predict(features, verbose=0)
    artifact = _litert_outputs(tmp_path / "b" / model["file"], features)
    expected = float(np.mean(keras_float.argmax(1) == artifact.argmax(1)))
    assert agreement["top1_agreement"] == pytest.approx(expected, abs=1.5 / 300)  # a rounding tie at most
    # what was checked is what the device executes: the bundle's own session gives the recorded figure exactly
    with open_bundle(tmp_path / "b") as bundle:
        device = run_model(bundle.session(model["id"]), raw)[0]
    assert float(np.mean(keras_float.argmax(1) == device.argmax(1))) == agreement["top1_agreement"]
    assert fidelity["verdict"] == "passed" and fidelity["min_samples"] == 149


def test_too_few_samples_are_inconclusive_and_the_count_is_shown_everywhere(mlp_run, tmp_path, capsys):
    out = tmp_path / "b"
    assert main(["export", str(mlp_run), "--variants", "fp32,int8", "--formats", "tflite",
                 "--validation-samples", "60", "--no-in-model", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    models = {m["id"]: m for m in read_manifest(out)["models"]}
    int8 = models["tflite-int8"]["validation"]
    assert int8["samples"] == 60 and int8["min_samples"] == 149 and int8["verdict"] == "inconclusive"
    assert int8["passed"] and not int8["failures"]  # nothing failed: the count cannot show it passed
    assert models["tflite-fp32"]["validation"]["min_samples"] == 2995
    assert "passed" not in printed and printed.count("inconclusive") >= 2
    assert "validation samples: 60 validation" in printed and "fidelity" in printed and "keras:float" in printed
    assert main(["inspect", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "inconclusive" in shown and "samples: 60 validation" in shown and "w/ float" in shown

