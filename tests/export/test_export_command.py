"""`edgenn export` and `edgenn inspect` from the command line, bad input included."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from edge_runtime.manifest import read_manifest
from pipelines.cli import main
from tests.export.conftest import flat_mlp, save_digits_run


def export(*args):
    return main(["export", *map(str, args)])


def test_export_then_inspect_prints_every_model(mlp_run, tmp_path, capsys):
    out = tmp_path / "bundle"
    assert export(mlp_run, "--variants", "fp32,dynamic", "--out", out, "--json", tmp_path / "m.json") == 0
    assert json.loads((tmp_path / "m.json").read_text())["models"] == read_manifest(out)["models"]
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    for model_id in ("tflite-fp32", "tflite-dynamic", "onnx-fp32", "onnx-dynamic"):
        assert model_id in text
    assert "every size and sha256 verified" in text and "scale(divisor=255.0) -> flatten()" in text


def test_zip_output_gets_its_suffix_and_inspects_the_same(mlp_run, tmp_path, capsys):
    assert export(mlp_run, "--variants", "fp32", "--formats", "tflite", "--out", tmp_path / "b", "--zip") == 0
    out = tmp_path / "b.zip"
    assert not (tmp_path / "b").exists() and out.is_file()
    assert "b.zip" in capsys.readouterr().err
    assert main(["inspect", str(out)]) == 0
    assert "tflite-fp32" in capsys.readouterr().out


def test_inspect_detects_a_modified_model_file(mlp_run, tmp_path, capsys):
    out = tmp_path / "bundle"
    assert export(mlp_run, "--variants", "fp32", "--formats", "tflite", "--out", out) == 0
    model = out / "models" / "tflite-fp32.tflite"
    data = bytearray(model.read_bytes())
    data[-1] ^= 0xFF  # same size, one flipped byte
    model.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 2
    assert "sha256 mismatch" in capsys.readouterr().err


def test_inspect_runs_without_tensorflow(mlp_run, tmp_path):
    out = tmp_path / "bundle"
    assert export(mlp_run, "--variants", "fp32", "--formats", "onnx", "--out", out) == 0
    code = ("import sys; from pipelines.cli import main; rc = main(['inspect', sys.argv[1]]); "
            "print('TF', any(m.split('.')[0] in ('tensorflow', 'tf_keras', 'tf2onnx') for m in sys.modules)); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("TF False")


@pytest.mark.parametrize(("args", "message"), [
    (["--variants", "int4"], "Expected a variant from ['fp32', 'fp16'"),
    (["--variants", "fp16", "--formats", "onnx"], "formats: tflite"),
    (["--formats", "coreml"], "Expected formats from"),
    (["--threshold", "int8.speed=2"], "Expected thresholds"),
    (["--sparsity", "1.5"], "0 < sparsity < 1"),
])
def test_bad_options_are_one_line_errors(mlp_run, tmp_path, capsys, args, message):
    assert export(mlp_run, "--out", tmp_path / "b", *args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "b").exists()


def test_without_a_run_directory_export_says_what_it_needs(capsys):
    assert main(["export"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Expected RUN_DIR" in err


def test_an_unknown_variant_is_refused_before_tensorflow_loads(mlp_run, tmp_path):
    code = ("import sys; from pipelines.cli import main; rc = main(['export', *sys.argv[1:]]); "
            "print('TF', 'tensorflow' in sys.modules); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(mlp_run), "--variants", "int4", "--out", str(tmp_path / "b")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Expected a variant from" in done.stderr
    assert done.stdout.strip() == "TF False"


def test_an_incomplete_run_names_what_is_missing(mlp_run, tmp_path, capsys):
    broken = tmp_path / "run"
    shutil.copytree(mlp_run, broken)
    (broken / "model.keras").unlink()
    assert export(broken, "--out", tmp_path / "b") == 2
    assert "missing model.keras" in capsys.readouterr().err


def test_an_existing_non_bundle_output_is_refused(mlp_run, tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    assert export(mlp_run, "--out", tmp_path / "docs", "--overwrite") == 2
    assert "not an edgenn bundle" in capsys.readouterr().err


def test_a_too_small_or_misshapen_representative_set_is_refused(tmp_path, digits, capsys):
    x, y = digits
    model = flat_mlp()
    small = save_digits_run(tmp_path / "small", model, x, y, steps=({"op": "scale"}, {"op": "flatten"}), calibration=5)
    assert export(small, "--variants", "int8", "--out", tmp_path / "b") == 2
    assert "at least 32 calibration samples" in capsys.readouterr().err
    wrong = save_digits_run(tmp_path / "wrong", model, x, y, steps=({"op": "scale"}, {"op": "flatten"}))
    with np.load(wrong / "samples.npz") as data:
        samples = {k: data[k] for k in data.files}
    samples["calibration_x"] = np.zeros((300, 9, 9, 1), np.uint8)
    np.savez(wrong / "samples.npz", **samples)
    assert export(wrong, "--variants", "int8", "--out", tmp_path / "b") == 2
    assert "calibration_x has samples of shape (9, 9, 1)" in capsys.readouterr().err


def test_list_variants_names_formats_and_precisions(capsys):
    assert main(["export", "--list-variants"]) == 0  # no RUN_DIR needed to list
    out = capsys.readouterr().out
    assert "qat-qdq" in out and "onnx:qdq-activations" in out and "pruned-int8" in out


def test_tflite_dense_per_channel_flag_reaches_the_converter(mlp_run, tmp_path):
    out = tmp_path / "bundle"
    assert export(mlp_run, "--variants", "int8", "--formats", "tflite", "--tflite-dense-per-channel",
                  "--no-in-model", "--out", out) == 0
    (model,) = read_manifest(out)["models"]
    assert "dense weights: one scale per output unit" in model["notes"]
