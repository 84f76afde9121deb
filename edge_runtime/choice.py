"""Which model a command runs and why, in one line: nothing moves to another model without a word.

``--backend onnxruntime`` on a bundle whose default is a .tflite model runs an ONNX model instead;
a variant name shared by formats (``fp32``) resolves to one file. The commands print this line.
"""

from __future__ import annotations

from edge_runtime.backends import BACKENDS, backend_for


def explain(bundle, requested: str | None, backend: str | None, model: dict) -> str:
    """"runs onnx-fp32 on onnxruntime: ..." for the ``model`` that ``bundle.model(requested, backend)`` chose."""
    engine = backend_for(model["format"], backend).name
    head = f"runs {model['id']} ({model['precision']}) on {engine}"
    default_id = bundle.manifest.get("default_model")
    if requested is None:
        if model["id"] == default_id:
            return f"{head}: the bundle's default model"
        default = next((m for m in bundle.models if m["id"] == default_id), {})
        formats = "/".join(BACKENDS[backend].formats) if backend in BACKENDS else model["format"]
        return (f"{head}: the bundle's default {default_id} is a {default.get('format')} model, which "
                f"--backend {backend} cannot run; {model['id']} is the bundle's first {formats} model "
                f"(pass --variant to choose)")
    if requested == model["id"]:
        return f"{head}: as requested"
    return f"{head}: variant {requested!r} resolves to the {model['format']} file {model['file']}"
