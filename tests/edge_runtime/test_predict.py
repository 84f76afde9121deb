"""``edgenn predict``: labels from image files through the bundle's preprocessing, skips named."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from edge_runtime.bundle import open_bundle
from edge_runtime.predict import describe_output
from pipelines.cli import main
from tests.edge_runtime.bundle_factory import tiny_bundle


@pytest.fixture(scope="module")
def tiny():
    return tiny_bundle()


@pytest.fixture()
def image_dir(tiny, tmp_path):
    """Six real digits: three as 28x28 PNGs, one RGB, one 56x56 JPEG-free PNG, one BMP; plus two bad files."""
    d = tmp_path / "images"
    d.mkdir()
    for i in range(3):
        Image.fromarray(tiny.x_raw[i, :, :, 0]).save(d / f"digit{i}.png")
    Image.fromarray(tiny.x_raw[3, :, :, 0]).convert("RGB").save(d / "digit3_rgb.png")
    Image.fromarray(tiny.x_raw[4, :, :, 0]).resize((56, 56), Image.Resampling.NEAREST).save(d / "digit4_big.png")
    Image.fromarray(tiny.x_raw[5, :, :, 0]).save(d / "digit5.bmp")
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    (d / "readme.txt").write_text("labels are in the file names")
    return d


def test_predict_labels_match_the_session_on_the_raw_digits(tiny, image_dir, tmp_path, capsys):
    out = tmp_path / "pred.json"
    assert main(["predict", str(tiny.path), str(image_dir), "--variant", "tflite-fp32", "--json", str(out)]) == 0
    text = capsys.readouterr()
    data = json.loads(out.read_text())
    expected = open_bundle(tiny.path).session("tflite-fp32").predict(tiny.x_raw[:6]).argmax(1)
    got = {p["path"].rsplit("/", 1)[-1]: p for p in data["predictions"]}
    for i, name in enumerate(["digit0.png", "digit1.png", "digit2.png", "digit3_rgb.png", "digit4_big.png",
                              "digit5.bmp"]):
        assert got[name]["index"] == expected[i], name
        assert got[name]["label"] == str(expected[i]) and 0 < got[name]["probability"] <= 1
        assert set(got[name]["timings_us"]) == {"decode", "preprocess", "inference", "total"}
    summary = data["summary"]
    assert summary["files"] == 8 and summary["predicted"] == 6 and summary["skipped"] == 2
    assert {s["path"].rsplit("/", 1)[-1] for s in summary["skipped_files"]} == {"broken.png", "readme.txt"}
    assert "6 of 8 files predicted" in text.out and "broken.png" in text.out
    assert "skipped" in text.err


def test_jsonl_prints_one_object_per_file_and_the_summary_on_stderr(tiny, image_dir, capsys):
    assert main(["predict", str(tiny.path), str(image_dir / "digit0.png"), str(image_dir / "broken.png"),
                 "--jsonl", "--top", "3"]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert len(lines) == 2 and "error" in lines[1]
    assert len(lines[0]["top"]) == 3 and lines[0]["top"][0]["label"] == lines[0]["label"]
    assert "1 of 2 files predicted with tflite-int8 on litert" in captured.err


def test_only_unreadable_files_is_an_error(tiny, image_dir, capsys):
    assert main(["predict", str(tiny.path), str(image_dir / "broken.png")]) == 2
    assert "none readable" in capsys.readouterr().err


def test_a_bare_model_cannot_predict_images(tiny, image_dir, capsys):
    assert main(["predict", str(tiny.path / "models" / "fp32.tflite"), str(image_dir)]) == 2
    assert "raw input is an image" in capsys.readouterr().err


def test_output_vectors_become_labels_or_regression_values():
    record = describe_output(np.array([[0.1, 0.7, 0.2]]), "classification", ["a", "b", "c"], top=2)
    assert record == {"label": "b", "index": 1, "probability": 0.7,
                      "top": [{"label": "b", "probability": 0.7}, {"label": "c", "probability": 0.2}]}
    assert describe_output(np.array([[3.5]]), "regression", []) == {"value": 3.5}


def test_converted_images_are_counted_and_named_and_strict_refuses_them(tiny, image_dir, tmp_path, capsys):
    out = tmp_path / "p.json"
    assert main(["predict", str(tiny.path), str(image_dir), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    summary = json.loads(out.read_text())["summary"]
    # the RGB copy and the 56x56 copy are converted as on the device; the 28x28 greyscale ones are not
    assert summary["converted"] == 2 and summary["predicted"] == 6
    assert {f["path"].rsplit("/", 1)[1]: f["conversion"] for f in summary["converted_files"]} == {
        "digit3_rgb.png": "RGB 28x28 -> L 28x28", "digit4_big.png": "L 56x56 -> L 28x28"}
    assert "2 converted to the bundle's input L 28x28: " in text and "digit3_rgb.png (RGB 28x28)" in text

    assert main(["predict", str(tiny.path), str(image_dir), "--strict", "--json", str(out)]) == 2
    captured = capsys.readouterr()
    kept = json.loads(out.read_text())  # written before the refusal is reported: nothing lost
    assert kept["summary"]["refused"] == 2 and kept["summary"]["predicted"] == 4
    assert "--strict" in captured.err and "refused by --strict (RGB 28x28 -> L 28x28)" in captured.err


def test_the_model_that_runs_and_why_is_printed(tiny, image_dir, capsys):
    assert main(["predict", str(tiny.path), str(image_dir / "digit0.png"), "--backend", "onnxruntime"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    default = json.loads((tiny.path / "manifest.json").read_text())["default_model"]
    assert first.startswith("runs onnx-fp32 (fp32) on onnxruntime: the bundle's default ")
    assert f"default {default} is a tflite model, which --backend onnxruntime cannot run" in first
