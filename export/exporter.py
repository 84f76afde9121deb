"""``export_run``: a finished training run -> every requested variant, validated, in one bundle.

Order of work: refuse a bad output path and unknown variants before any conversion; prepare the
samples; build each source model once (tfmot fine-tuning is the slow part); convert, load the
artifact in the runtime's backend and Session (the device's own code path), compare it with the
Keras model it came from (fidelity, thresholded) and with the float model (agreement), analyse it;
fail listing every failed check; only then write the bundle atomically.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from edge_runtime.bundle import host_pipeline
from export import artifacts
from export.analysis import analyse, gzip_size
from export.artifacts import FORMATS
from export.bundle import check_target, write_bundle
from export.config import ExportConfig
from export.errors import ValidationFailed
from export.samples import UNSEEN_ROLES, ExportSamples, prepare
from export.validate import accuracy_record, compare, float_agreement, thresholds_for
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


def _checked(data: bytes, head: dict, sources: _Sources, info: dict, thresholds: dict[str, float],
             reference_name: str, workdir: Path) -> dict:
    """Load ``data`` as the device does and compare it: the entry's inputs, outputs, validation, agreement, accuracy.

    ``head`` is the model's manifest record so far (``in_model_ops`` included): the Session gets the
    host part of the run's pipeline for it, so a model that performs preprocessing itself is checked
    like any other, on the same raw samples, against the Keras outputs in ``info`` (fed by the numpy stage).
    """
    samples, run, task = sources.samples, sources.run, sources.run.task
    session = artifacts.open_session(data, head, workdir, pipeline=host_pipeline(run.pipeline, head),
                                     input_spec=run.input)
    outputs = artifacts.outputs(session, samples.validation_raw)
    ins, outs = artifacts.tensors(session)
    return {
        "inputs": ins,
        "outputs": outs,
        "validation": compare(info["validation"], outputs, task=task, thresholds=thresholds,
                              reference_name=reference_name, sources=samples.validation_sources),
        "float_agreement": _float_agreement(sources, info, outputs),
        "accuracy": accuracy_record(task, artifacts.outputs(session, samples.test_raw), samples.test_y, info["test"]),
    }


def _float_agreement(sources: _Sources, info: dict, outputs) -> dict:
    """Agreement with the float model; for a fine-tuned source only on samples fine-tuning never saw.

    The pool lists validation and spare training samples first: on the samples a model was fine-tuned
    on, it agrees more with the float model than on new ones (0.991 against 0.978 for the MNIST MLP's
    pruned-int8), so those are left out when there are others.
    """
    float_outputs, pool = sources.get("float")[1]["validation"], sources.samples.validation_sources
    unseen = {role: n for role, n in pool.items() if role in UNSEEN_ROLES}
    if info["finetune"] is None or not unseen:
        return float_agreement(float_outputs, outputs, task=sources.run.task, sources=pool)
    n = sum(unseen.values())
    return float_agreement(float_outputs[:n], outputs[:n], task=sources.run.task, sources=unseen)


def _head(model_id: str, fmt: str, variant: str, precision: str, ops: list[str]) -> dict:
    return {"id": model_id, "file": f"models/{model_id}{FORMATS[fmt].suffix}", "format": fmt, "variant": variant,
            "precision": precision, "in_model_ops": list(ops)}


def _artifact(variant: Variant, fmt: str, sources: _Sources, inputs: ConvertInput, preprocessing_ops: int,
              workdir: Path) -> Artifact:
    target = variant.targets[fmt]
    model, info = sources.get(variant.source)
    start = time.perf_counter()
    data = target.convert(model, inputs)
    seconds = time.perf_counter() - start
    head = _head(f"{fmt}-{variant.name}", fmt, variant.name, target.precision, [])
    checked = _checked(data, head, sources, info, thresholds_for(target.precision, inputs.config.thresholds),
                       f"keras:{variant.source}", workdir)
    notes = [n for n in (target.notes(inputs.config), variant.description) if n]
    if info["finetune"]:
        ft = info["finetune"]
        notes.append(f"fine-tuned {ft['epochs']} epochs on {ft['samples']} samples ({ft['targets']} targets)")
    entry = {
        **head,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "gzip_bytes": gzip_size(data),
        "analysis": dict(analyse(model, data, FORMATS[fmt].ops(data), preprocessing_ops, tflite=fmt == "tflite"), sparsity=info["sparsity"]),
        **checked,
        "conversion_seconds": round(seconds, 3),
        "notes": "; ".join(notes),
    }
    return Artifact(head["id"], data, entry)


def _in_model_artifact(variant: Variant, fmt: str, sources: _Sources, config: ExportConfig, ops: list[str],
                       preprocessing_ops: int, workdir: Path) -> Artifact:
    """The raw-frame twin of ``variant`` in ``fmt``: validated against the Keras model fed by the numpy stage."""
    from export import in_model

    target = variant.targets[fmt]
    model, info = sources.get(variant.source)
    thresholds = thresholds_for(target.precision, config.thresholds)
    head = _head(f"{fmt}-{variant.name}{in_model.SUFFIX}", fmt, f"{variant.name}{in_model.SUFFIX}",
                 target.precision, ops)

    checked: dict[bytes, dict] = {}  # accept() and the entry both need the check: run it once per candidate

    def check(data: bytes) -> dict:
        if data not in checked:
            checked[data] = _checked(data, head, sources, info, thresholds,
                                     f"keras:{variant.source} on the numpy stage", workdir)
        return checked[data]

    start = time.perf_counter()
    data, how = in_model.convert(fmt, target.precision, model, sources.run, ops, sources.samples.raw_representative,
                                 config, accept=lambda d: check(d)["validation"]["passed"])
    seconds = time.perf_counter() - start
    entry = {
        **head,
        "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data), "gzip_bytes": gzip_size(data),
        "analysis": dict(analyse(model, data, FORMATS[fmt].ops(data), preprocessing_ops, tflite=fmt == "tflite"), sparsity=info["sparsity"]),
        **check(data),
        "conversion_seconds": round(seconds, 3),
        "notes": "; ".join(n for n in (how, target.notes(config), variant.description) if n),
    }
    return Artifact(head["id"], data, entry)


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
    if as_zip and out.suffix.lower() != ".zip":  # inspect, predict and bench open a .zip by its suffix
        out = out.with_name(out.name + ".zip")
        log(f"writing {out} (a zipped bundle needs the .zip suffix)")
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
    made, failures = [], []
    with tempfile.TemporaryDirectory(prefix="edgenn-validate-") as workdir:
        for variant, fmt in pairs:
            log(f"export {fmt}-{variant.name}")
            artifacts_of_pair = [_artifact(variant, fmt, sources, inputs, preprocessing_ops, Path(workdir))]
            if ops and variant.targets[fmt].precision in in_model.PRECISIONS:
                log(f"export {fmt}-{variant.name}{in_model.SUFFIX} ({' -> '.join(ops)} in the model)")
                artifacts_of_pair.append(_in_model_artifact(variant, fmt, sources, config, ops, preprocessing_ops,
                                                            Path(workdir)))
            for artifact in artifacts_of_pair:
                made.append(artifact)
                failures += [f"{artifact.id}: {f}" for f in artifact.entry["validation"]["failures"]]
    if failures:
        raise ValidationFailed(failures)

    def populate(tmp: Path) -> dict:
        (tmp / "models").mkdir()
        for artifact in made:
            (tmp / artifact.entry["file"]).write_bytes(artifact.data)
        return _manifest(run, made, run.pipeline.to_spec(tmp), sources)

    manifest = write_bundle(out, populate, overwrite=overwrite, as_zip=as_zip, run_dir=run.path)
    log(f"wrote {out} ({len(made)} models)")
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
