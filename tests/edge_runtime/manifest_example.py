"""A minimal valid manifest, built by hand, for tests of the manifest contract; a bundle populate step using it."""

import hashlib

SHA = "a" * 64


def example_manifest() -> dict:
    tensor = {"name": "x", "shape": [1, 324], "dtype": "float32", "quantization": None}
    return {
        "schema_version": 1,
        "name": "mnist_hybrid",
        "created": "2026-11-21T12:00:00+00:00",
        "task": "classification",
        "labels": [str(i) for i in range(10)],
        "input": {"kind": "image", "shape": [28, 28, 1], "dtype": "uint8", "color": "L", "resize": "bilinear"},
        "preprocessing": [{"op": "scale", "divisor": 255.0}],
        "files": {"models/fp32.tflite": {"sha256": SHA, "size_bytes": 1000}},
        "models": [
            {
                "id": "tflite-fp32",
                "file": "models/fp32.tflite",
                "format": "tflite",
                "variant": "fp32",
                "precision": "fp32",
                "sha256": SHA,
                "size_bytes": 1000,
                "gzip_bytes": 900,
                "inputs": [tensor],
                "outputs": [dict(tensor, name="y", shape=[1, 10])],
                "analysis": {"params": 10, "macs": 100},
                "validation": {
                    "reference": "keras", "samples": 100, "top1_agreement": 1.0, "max_abs_error": 1e-6,
                    "cosine_similarity": 1.0, "thresholds": {"top1_agreement": 0.999}, "passed": True,
                    "failures": [],
                },
                "accuracy": {"split": "test", "samples": 100, "metric": "accuracy", "value": 0.98},
            }
        ],
        "default_model": "tflite-fp32",
        "tools": {"edgenn": "0.1.0"},
    }


def populate_with(payload: bytes, fail: Exception | None = None):
    """A populate step writing one model file (then failing, if asked) like export_run's."""

    def populate(tmp):
        (tmp / "models").mkdir()
        (tmp / "models" / "fp32.tflite").write_bytes(payload)
        if fail is not None:
            raise fail
        manifest = example_manifest()
        model = manifest["models"][0]
        model.update(sha256=hashlib.sha256(payload).hexdigest(), size_bytes=len(payload))
        return manifest

    return populate
