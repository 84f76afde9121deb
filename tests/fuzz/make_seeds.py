"""Regenerate the fuzzers' seed corpus: ``python -m tests.fuzz.make_seeds`` (imports TensorFlow; run by hand).

Seeds are small on purpose (libFuzzer mutates faster the fewer bytes there are): an 8x8 greyscale
classifier as TFLite (fp32) and ONNX, the same model with the FULLY_CONNECTED weights index of the
review's SIGSEGV case, a zipped bundle of it, its manifest, images in five formats, and two bench files.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from tests.fuzz.bundle import CORPUS, build_bundle

SEEDS = {name: CORPUS / name for name in ("manifest", "zip", "tflite", "onnx", "image", "report")}


def tiny_models() -> tuple[bytes, bytes]:
    """(tflite, onnx) bytes of Flatten + Dense(3, softmax) over an 8x8x1 float input."""
    import importlib

    from models.backend import keras, tf  # first: it sets TF_USE_LEGACY_KERAS before TensorFlow loads

    tf2onnx = importlib.import_module("tf2onnx")

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    spec = [tf.TensorSpec((None, 8, 8, 1), tf.float32, name="x")]
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=13)
    return tflite, proto.SerializeToString()


def main() -> None:
    from PIL import Image

    from tests.edge_runtime.report.examples import pi5_run, x86_run
    from tests.edge_runtime.tamper import fully_connected_weights_to

    for folder in SEEDS.values():
        folder.mkdir(parents=True, exist_ok=True)
    tflite, onnx_bytes = tiny_models()
    (SEEDS["tflite"] / "dense.tflite").write_bytes(tflite)
    (SEEDS["tflite"] / "dense-fc-weights-minus-1.tflite").write_bytes(fully_connected_weights_to(tflite, -1))
    (SEEDS["onnx"] / "dense.onnx").write_bytes(onnx_bytes)
    root = build_bundle(Path("/tmp/edgenn-fuzz-seed"), tflite)
    (SEEDS["manifest"] / "manifest.json").write_bytes((root / "manifest.json").read_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
    (SEEDS["zip"] / "bundle.zip").write_bytes(buffer.getvalue())
    pixels = (np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    for fmt, mode in (("PNG", "L"), ("JPEG", "L"), ("BMP", "RGB"), ("GIF", "P"), ("TIFF", "I;16")):
        image = Image.fromarray(pixels).convert(mode) if mode != "I;16" else Image.fromarray(pixels.astype(np.uint16) * 256)
        out = io.BytesIO()
        image.save(out, format=fmt)
        (SEEDS["image"] / f"digit.{fmt.lower()}").write_bytes(out.getvalue())
    (SEEDS["report"] / "x86.json").write_text(json.dumps(x86_run()))
    (SEEDS["report"] / "pi5.json").write_text(json.dumps(pi5_run()))


if __name__ == "__main__":
    main()
