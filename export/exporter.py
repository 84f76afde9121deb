"""``export_run``: a finished training run -> every requested variant, validated, in one bundle.

Order of work: refuse a bad output path and unknown variants before any conversion; prepare the
preprocessed samples; build each source model once (tfmot fine-tuning is the slow part); convert,
run the artifact in its device engine, validate it against the Keras model it came from, analyse
it; fail listing every failed check; only then write the bundle atomically.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from export.analysis import analyse, gzip_size
from export.artifacts import FORMATS
from export.bundle import check_target, write_bundle
from export.config import ExportConfig
from export.errors import ValidationFailed
from export.samples import ExportSamples, prepare
from export.validate import accuracy_record, compare, thresholds_for
from export.variants import ConvertInput, Variant, select

#: packages whose versions are recorded in the manifest's ``tools``
TOOL_PACKAGES = ("edgenn", "tensorflow", "tf-keras", "tensorflow-model-optimization", "tf2onnx", "onnx",
                 "onnxruntime", "ai-edge-litert", "numpy")
#: the model the runtime picks when none is asked for, first one present wins
DEFAULT_PREFERENCE = ("tflite-int8", "tflite-fp32", "onnx-fp32")


@dataclass
class Artifact:
    id: str
    data: bytes
    entry: dict  # the manifest's model record (sha256 and sizes filled in)


def _versions() -> dict[str, str]:
    versions = {}
    for name in TOOL_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _log_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Sources:
    """Builds each source model (float, qat, pruned, ...) once, with its Keras outputs on the samples."""

    def __init__(self, model, run, samples: ExportSamples, config: ExportConfig, log: Callable[[str], None]):
        self.model, self.run, self.samples, self.config, self.log = model, run, samples, config, log
        self.models: dict[str, object] = {}
        self.info: dict[str, dict] = {}
        self._finetune = None

    def finetune(self):
        from export.tfmot_variants import finetune_set

        if self._finetune is None:
            s = self.samples
            self._finetune = finetune_set(self.model, self.run.task, s.finetune_x, s.finetune_y)
        return self._finetune

    def get(self, name: str):
        from export.tfmot_variants import FINETUNED, SOURCES, sparsity

        if name not in self.models:
            start = time.perf_counter()
            data = self.finetune() if name in FINETUNED else None
            if data is not None:
                self.log(f"  fine-tuning the {name} model ({self.config.finetune_epochs} epochs, "
                         f"{len(data.x)} samples, {data.origin} targets)")
            model = SOURCES[name](self.model, data, self.config)
            predict = lambda x, m=model: np.asarray(m.predict(x, batch_size=256, verbose=0), np.float32)  # noqa: E731
            self.models[name] = model
            self.info[name] = {
                "seconds": time.perf_counter() - start,
                "validation": predict(self.samples.validation_x),
                "test": predict(self.samples.test_x),
                "sparsity": sparsity(model),
                "finetune": None if data is None else {"samples": len(data.x), "targets": data.origin,
                                                       "epochs": self.config.finetune_epochs},
            }
        return self.models[name], self.info[name]


def _artifact(variant: Variant, fmt: str, sources: _Sources, inputs: ConvertInput, preprocessing_ops: int) -> Artifact:
    target = variant.targets[fmt]
    model, info = sources.get(variant.source)
    start = time.perf_counter()
    data = target.convert(model, inputs)
    seconds = time.perf_counter() - start
    engine = FORMATS[fmt]
    samples, task = sources.samples, sources.run.task
    validation = compare(info["validation"], engine.run(data, samples.validation_x), task=task,
                         thresholds=thresholds_for(target.precision, inputs.config.thresholds),
                         reference_name=f"keras:{variant.source}")
    accuracy = accuracy_record(task, engine.run(data, samples.test_x), samples.test_y, info["test"])
    ins, outs = engine.tensors(data)
    model_id = f"{fmt}-{variant.name}"
    notes = [n for n in (target.notes(inputs.config), variant.description) if n]
    if info["finetune"]:
        ft = info["finetune"]
        notes.append(f"fine-tuned {ft['epochs']} epochs on {ft['samples']} samples ({ft['targets']} targets)")
    entry = {
        "id": model_id,
        "file": f"models/{model_id}{engine.suffix}",
        "format": fmt,
        "variant": variant.name,
        "precision": target.precision,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "gzip_bytes": gzip_size(data),
        "inputs": ins,
        "outputs": outs,
        "analysis": dict(analyse(model, data, engine.ops(data), preprocessing_ops), sparsity=info["sparsity"]),
        "validation": validation,
        "accuracy": accuracy,
        "conversion_seconds": round(seconds, 3),
        "notes": "; ".join(notes),
        "in_model_ops": [],
    }
    return Artifact(model_id, data, entry)


def _in_model_artifact(variant: Variant, fmt: str, sources: _Sources, config: ExportConfig, ops: list[str],
                       preprocessing_ops: int) -> Artifact:
    """The raw-frame twin of ``variant`` in ``fmt``: validated against the Keras model fed by the numpy stage."""
    from export import in_model

    target = variant.targets[fmt]
    model, info = sources.get(variant.source)
    engine, samples, task = FORMATS[fmt], sources.samples, sources.run.task
    thresholds = thresholds_for(target.precision, config.thresholds)

    def validate(data: bytes) -> dict:
        return compare(info["validation"], engine.run(data, samples.raw_validation_x), task=task,
                       thresholds=thresholds, reference_name=f"keras:{variant.source} on the numpy stage")

    start = time.perf_counter()
    data, how = in_model.convert(fmt, target.precision, model, sources.run, ops, samples.raw_representative, config,
                                 accept=lambda d: validate(d)["passed"])
    seconds = time.perf_counter() - start
    ins, outs = engine.tensors(data)
    model_id = f"{fmt}-{variant.name}{in_model.SUFFIX}"
    wrapped = in_model.wrap(model, sources.run, len(ops), "uint8")
    entry = {
        "id": model_id, "file": f"models/{model_id}{engine.suffix}", "format": fmt,
        "variant": f"{variant.name}{in_model.SUFFIX}", "precision": target.precision,
        "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data), "gzip_bytes": gzip_size(data),
        "inputs": ins, "outputs": outs,
        "analysis": dict(analyse(wrapped, data, engine.ops(data), preprocessing_ops), sparsity=info["sparsity"]),
        "validation": validate(data),
        "accuracy": accuracy_record(task, engine.run(data, samples.raw_test_x), samples.test_y, info["test"]),
        "conversion_seconds": round(seconds, 3),
        "notes": "; ".join(n for n in (how, target.notes(config), variant.description) if n),
        "in_model_ops": list(ops),
    }
    return Artifact(model_id, data, entry)


def default_out(run_dir: Path, as_zip: bool) -> Path:
    """``RUN_DIR/bundle`` (``bundle.zip`` with --zip): next to what it was exported from."""
    return run_dir / ("bundle.zip" if as_zip else "bundle")


def export_run(run_dir: str | Path, out: str | Path | None = None, config: ExportConfig | None = None, *,
               overwrite: bool = False, as_zip: bool = False, log: Callable[[str], None] = _log_stderr) -> dict:
    """Export every selected variant of the run at ``run_dir`` into a bundle at ``out``; return the manifest."""
    from export.tfmot_variants import trained_by_gradient
    from models.rundir import load_run

    config = config or ExportConfig()
    run = load_run(run_dir)
    out = Path(out) if out is not None else default_out(run.path, as_zip)
    check_target(out, overwrite)
    select(config.variants, config.formats, finetunable=True)  # unknown variants fail before TensorFlow loads
    model = run.load_model()
    pairs = select(config.variants, config.formats, trained_by_gradient(model))
    samples = prepare(run, config, tuple(model.input_shape[1:]))
    inputs = ConvertInput(samples.representative, config)
    sources = _Sources(model, run, samples, config, log)
    preprocessing_ops = run.pipeline.cost(tuple(run.input["shape"]))

    from export import in_model

    ops = in_model.prefix(run) if config.in_model else []
    artifacts, failures = [], []
    for variant, fmt in pairs:
        log(f"export {fmt}-{variant.name}")
        made = [_artifact(variant, fmt, sources, inputs, preprocessing_ops)]
        if ops and variant.targets[fmt].precision in in_model.PRECISIONS:
            log(f"export {fmt}-{variant.name}{in_model.SUFFIX} ({' -> '.join(ops)} in the model)")
            made.append(_in_model_artifact(variant, fmt, sources, config, ops, preprocessing_ops))
        for artifact in made:
            artifacts.append(artifact)
            failures += [f"{artifact.id}: {f}" for f in artifact.entry["validation"]["failures"]]
    if failures:
        raise ValidationFailed(failures)

    def populate(tmp: Path) -> dict:
        (tmp / "models").mkdir()
        for artifact in artifacts:
            (tmp / artifact.entry["file"]).write_bytes(artifact.data)
        return _manifest(run, artifacts, run.pipeline.to_spec(tmp), sources)

    manifest = write_bundle(out, populate, overwrite=overwrite, as_zip=as_zip, run_dir=run.path)
    log(f"wrote {out} ({len(artifacts)} models)")
    return manifest


def _manifest(run, artifacts: list[Artifact], preprocessing: list[dict], sources: _Sources) -> dict:
    ids = [a.id for a in artifacts]
    default = next((i for i in DEFAULT_PREFERENCE if i in ids), ids[0])
    return {
        "schema_version": 1,
        "name": run.name,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "task": run.task,
        "labels": list(run.labels),
        "input": run.input,
        "preprocessing": preprocessing,
        "files": {},
        "models": [a.entry for a in artifacts],
        "default_model": default,
        "tools": _versions(),
        "training": {
            "run": run.name,
            "created": run.info.get("created"),
            "config": run.info.get("config", {}),
            "dataset": run.info.get("dataset", {}),
            "metrics": run.info.get("metrics", {}),
            "sources": {name: {"seconds": round(info["seconds"], 3), "sparsity": round(info["sparsity"], 4),
                               "finetune": info["finetune"]} for name, info in sources.info.items()},
        },
    }
