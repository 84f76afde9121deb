"""The registry of export variants: name -> source model, and per format its precision and converter.

A variant is a way to shrink the trained model (``source``: the float model itself, or a tfmot
QAT / pruned / clustered / PQAT copy of it) and, per format, the converter that writes it and the
precision its arithmetic really has. Model ids in the bundle are ``<format>-<variant>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from export.config import ExportConfig
from export.errors import ExportError


@dataclass
class ConvertInput:
    """What a converter may use besides the Keras model."""

    representative: np.ndarray  # preprocessed float32 calibration samples
    config: ExportConfig


@dataclass(frozen=True)
class Target:
    """One variant in one format: the arithmetic it runs and how to make its bytes."""

    precision: str
    convert: Callable[[object, ConvertInput], bytes]
    note: str = ""
    #: the part of the note that depends on the export's settings
    detail: Callable[[ExportConfig], str] | None = None

    def notes(self, config: ExportConfig) -> str:
        """What the manifest says about how this artifact was made."""
        return "; ".join(n for n in (self.note, self.detail(config) if self.detail else "") if n)


@dataclass(frozen=True)
class Variant:
    name: str
    source: str  # key of export.tfmot_variants.SOURCES
    targets: dict[str, Target]
    description: str
    default: bool = True
    options: tuple[str, ...] = field(default=())  # ExportConfig fields that shape it


def _tflite(mode: str) -> Callable[[object, ConvertInput], bytes]:
    def convert(model, inputs: ConvertInput) -> bytes:
        from export.keras2tflite import keras2tflite

        return keras2tflite(model, mode, inputs.representative, dense_per_channel=inputs.config.tflite_dense_per_channel)

    return convert


def _keras2onnx(model, inputs: ConvertInput) -> bytes:
    from export.keras2onnx import keras2onnx

    return keras2onnx(model, inputs.config.opset)


def _compact(data: bytes) -> bytes:
    from export.onnx_compact import compact_onnx

    return compact_onnx(data)


def _onnx(model, inputs: ConvertInput) -> bytes:
    return _compact(_keras2onnx(model, inputs))


def _onnx_int8(model, inputs: ConvertInput) -> bytes:
    from export.onnx_quant import onnx2int8

    return _compact(onnx2int8(_keras2onnx(model, inputs), inputs.representative, inputs.config.per_channel))


def _onnx_dynamic(model, inputs: ConvertInput) -> bytes:
    from export.onnx_quant import onnx2dynamic

    return _compact(onnx2dynamic(_keras2onnx(model, inputs)))


def _dense_scales(config: ExportConfig) -> str:
    return f"dense weights: one scale per {'output unit' if config.tflite_dense_per_channel else 'tensor'}"


TFLITE_INT8 = Target("int8", _tflite("int8"), detail=_dense_scales)
ONNX_INT8 = Target("int8", _onnx_int8, "onnxruntime static QDQ, S8S8")

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant("fp32", "float", {"tflite": Target("fp32", _tflite("fp32")), "onnx": Target("fp32", _onnx)},
                "the trained float model as it is"),
        Variant("fp16", "float", {"tflite": Target("fp16", _tflite("fp16"))},
                "float16 weights (half the size), float arithmetic"),
        Variant("dynamic", "float",
                {"tflite": Target("dynamic", _tflite("dynamic")),
                 "onnx": Target("dynamic", _onnx_dynamic, "onnxruntime dynamic quantization")},
                "int8 weights, activations quantized per inference"),
        Variant("int8", "float", {"tflite": TFLITE_INT8, "onnx": ONNX_INT8},
                "full integer, calibrated post-training quantization",
                options=("calibration_samples", "per_channel", "tflite_dense_per_channel")),
        Variant("int16x8", "float", {"tflite": Target("int16x8", _tflite("int16x8"), detail=_dense_scales)},
                "int16 activations, int8 weights (TFLite experimental)", default=False),
        Variant("qat-int8", "qat", {"tflite": TFLITE_INT8},
                "quantization-aware training, then full integer", options=("finetune_epochs",)),
        Variant("qat-qdq", "qat",
                {"onnx": Target("qdq-activations", _onnx, "tf2onnx of the QAT model: QDQ on activations, float weights")},
                "the QAT model in ONNX: fake-quantized activations, float weights (not int8)", default=False),
        Variant("pruned-int8", "pruned", {"tflite": TFLITE_INT8, "onnx": ONNX_INT8},
                "magnitude pruning to a target sparsity, then full integer", options=("sparsity", "finetune_epochs")),
        Variant("clustered-int8", "clustered", {"tflite": TFLITE_INT8, "onnx": ONNX_INT8},
                "weight clustering (k centroids per layer), then full integer", options=("clusters", "finetune_epochs")),
        Variant("pqat-int8", "pqat", {"tflite": TFLITE_INT8},
                "pruning-preserving quantization-aware training, then full integer",
                options=("sparsity", "finetune_epochs")),
    )
}


def get_variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ExportError(f"Expected a variant from {list(VARIANTS)}. Received: variant={name!r}") from None


def select(names: tuple[str, ...] | None, formats: tuple[str, ...], finetunable: bool) -> list[tuple[Variant, str]]:
    """(variant, format) pairs to export, in registry order within each requested format.

    ``names=None`` takes every default variant; variants that need gradient fine-tuning are then
    skipped for a model that cannot be fine-tuned, but asking for one by name is an error.
    An explicitly named variant must exist in at least one requested format.
    """
    from export.tfmot_variants import FINETUNED

    chosen = [VARIANTS[n] for n in VARIANTS if VARIANTS[n].default] if names is None else [get_variant(n) for n in names]
    if names is not None:
        for variant in chosen:
            if not any(f in variant.targets for f in formats):
                raise ExportError(
                    f"Expected a variant available in formats {list(formats)}. "
                    f"Received: variant={variant.name!r} (formats: {', '.join(variant.targets)})"
                )
            if variant.source in FINETUNED and not finetunable:
                raise ExportError(
                    f"variant {variant.name!r} needs gradient fine-tuning, but this model trains with its own "
                    "train_step (e.g. the perceptron rule); choose from fp32, fp16, dynamic, int8, int16x8"
                )
    else:
        chosen = [v for v in chosen if finetunable or v.source not in FINETUNED]
    return [(v, f) for f in formats for v in chosen if f in v.targets]


def describe() -> list[dict]:
    """The registry as a table (for ``--list-variants`` and the docs)."""
    return [{"variant": v.name, "formats": {f: t.precision for f, t in v.targets.items()},
             "default": v.default, "description": v.description} for v in VARIANTS.values()]
