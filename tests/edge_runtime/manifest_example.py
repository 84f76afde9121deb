"""A minimal valid manifest, built by hand, for tests of the manifest contract."""

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
