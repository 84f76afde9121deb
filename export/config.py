"""The settings of one export, as validated data with defaults that say why they are what they are."""

from __future__ import annotations

from dataclasses import dataclass, field

from edge_runtime.errors import ConfigError

FORMATS = ("tflite", "onnx")


@dataclass
class ExportConfig:
    """Everything ``export_run`` needs besides the run; the CLI maps its flags to these fields."""

    #: variant names to export; None means every default variant the model supports
    variants: tuple[str, ...] | None = None
    #: artifact formats to produce, in this order
    formats: tuple[str, ...] = FORMATS
    #: int8 calibration samples; the TFLite guide suggests 100-500, 200 covers MNIST's classes well
    calibration_samples: int = 200
    #: below this many calibration samples the quantization ranges are noise: refuse
    min_calibration_samples: int = 32
    #: most samples compared with the Keras reference (validation split first, then training samples):
    #: showing fp32's 0.999 agreement threshold takes 2,995 (export.validate.min_samples), int8's 0.98 149
    validation_samples: int = 3000
    #: ONNX opset: 17 runs on onnxruntime >= 1.14, the oldest a Jetson (JetPack 5) may have
    opset: int = 17
    #: onnx-int8: per-channel weight scales (better accuracy for convolutions; ORT supports it)
    per_channel: bool = True
    #: TFLite full-integer (int8, int16x8) Dense layers: one weight scale per output unit instead of one
    #: per tensor. Off: per channel adds a float32 scale and an int64 zero point per unit for the weights
    #: and the bias (4.8 KB, 9% of the MNIST hybrid MLP's int8 file) and bought no accuracy on the MNIST
    #: models; convolutions stay per channel either way, and validation checks the result
    tflite_dense_per_channel: bool = False
    #: pruned variants: final fraction of zero weights (the TFMOT guide's 80% example)
    sparsity: float = 0.8
    #: pruned variants: layers with fewer kernel weights stay dense (a first conv of 144 weights
    #: saves nothing when pruned and costs the most accuracy)
    prune_min_weights: int = 1024
    #: clustered variants: distinct weight values per layer (TFMOT guide: 16)
    clusters: int = 16
    #: tfmot fine-tuning: a few epochs recover what quantization/pruning/clustering cost
    finetune_epochs: int = 3
    #: ... but at least this many optimizer steps: pruning to 80% needs a few hundred to recover
    finetune_min_steps: int = 500
    #: at most this many (labelled) samples are used for fine-tuning
    finetune_samples: int = 2000
    #: pruning fine-tuning peak learning rate, cosine-decayed to 0: the surviving weights must move to take
    #: over from the pruned ones, but Adam's default 1e-3 (the TFMOT guide's) overfits the 2,000 fine-tuning
    #: samples: on the MNIST CNN/hybrid/MLP, 3e-4 lost 0.25 points on average against 1e-3's 0.37
    finetune_learning_rate: float = 3e-4
    #: QAT and clustering fine-tuning peak learning rate: they start next to the trained optimum and only
    #: adapt to the rounding, which a large rate undoes (the TFMOT clustering example uses 1e-5)
    quantize_learning_rate: float = 1e-4
    #: per-precision threshold overrides, e.g. {"int8": {"top1_agreement": 0.97}}
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    seed: int = 0
    #: also export each variant with the pipeline's compilable prefix inside the model (raw frame in)
    in_model: bool = True

    def __post_init__(self):
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown or not self.formats:
            raise ConfigError(f"Expected formats from {list(FORMATS)}. Received: formats={list(self.formats)}")
        _positive("calibration_samples", self.calibration_samples)
        _positive("min_calibration_samples", self.min_calibration_samples)
        _positive("validation_samples", self.validation_samples)
        _positive("clusters", self.clusters)
        _positive("finetune_samples", self.finetune_samples)
        if self.finetune_epochs < 1:
            raise ConfigError(f"Expected finetune_epochs >= 1. Received: finetune_epochs={self.finetune_epochs}")
        if not 0.0 < self.sparsity < 1.0:
            raise ConfigError(f"Expected 0 < sparsity < 1. Received: sparsity={self.sparsity}")
        from export.validate import CHECKS, DEFAULT_THRESHOLDS

        for precision, checks in self.thresholds.items():
            unknown = [c for c in checks if c not in CHECKS]
            if precision not in DEFAULT_THRESHOLDS or unknown:
                raise ConfigError(
                    f"Expected thresholds as {{precision: {{check: value}}}} with precisions {list(DEFAULT_THRESHOLDS)} "
                    f"and checks {list(CHECKS)}. Received: {precision}: {sorted(checks)}"
                )
        if not 7 <= self.opset <= 21:
            raise ConfigError(f"Expected an ONNX opset between 7 and 21. Received: opset={self.opset}")


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"Expected {name} to be a positive integer. Received: {name}={value!r}")
