"""The bodies of the demo's stages: each calls one part of edgenn and returns a small JSON result.

A stage factory takes the stage's settings and returns ``run(ctx) -> result``; results of earlier
stages arrive in ``ctx.results`` (see :mod:`pipelines.stages`). Paths in results are relative to
the demo's output directory so the directory can be moved. Heavy modules load inside the bodies.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from edge_runtime import atomic
from edge_runtime.errors import DataError, UserError

#: the demo's models read 28x28 grayscale digits
DEMO_INPUT_SHAPE = (28, 28, 1)
DEMO_CLASSES = 10
#: what works without a network here, for error messages
OFFLINE_CHOICES = "mnist-5k (ships with the train extra), npz:PATH (keras mnist.npz layout), idx:DIR (MNIST IDX files)"


# --- data ----------------------------------------------------------------------------------
def data_inputs(data: str) -> dict:
    """What the data stage's result depends on: the request, and for ``auto`` whether MNIST is cached."""
    inputs = {"data": data}
    if data == "auto":
        inputs["mnist_cached"] = _mnist_cached()
    return inputs


def _mnist_cached() -> bool:
    from pipelines.datasets import DATASETS

    entry = DATASETS.get("mnist")
    return bool(entry and entry.available_offline()[0])


def choose_dataset(data: str, load=None) -> tuple[str, str, object]:
    """``(dataset name, why, Dataset)`` for ``--data``; ``auto`` tries full MNIST, else MNIST-5k.

    An unknown or unreachable dataset raises DataError naming the offline choices.
    """
    from pipelines.datasets import load as default_load
    from pipelines.datasets import resolve

    load = load or default_load
    if data == "auto":
        try:
            dataset = load("mnist")
            return "mnist", "full MNIST was cached or could be downloaded", dataset
        except UserError as exc:
            reason = str(exc).split("Received: ")[-1].split(" (")[0].split(". Offline")[0]
            return "mnist-5k", f"full MNIST unavailable: {reason}; using the offline MNIST-5k", load("mnist-5k")
    try:
        resolve(data)
        dataset = load(data)
    except UserError as exc:
        message = str(exc)
        hint = "" if "ffline" in message else f"; offline choices: {OFFLINE_CHOICES}"
        raise DataError(f"--data {data!r}: {message}{hint}") from exc
    return data, "requested with --data", dataset


def check_fits_demo(dataset) -> None:
    """The demo's configs are for 28x28 grayscale digits in 10 classes: say so before training."""
    shape = tuple(dataset.input_shape)
    if dataset.task != "classification" or shape != DEMO_INPUT_SHAPE or dataset.num_classes != DEMO_CLASSES:
        raise DataError(
            f"Expected a dataset of 28x28x1 images in 10 classes for the demo's MNIST models. "
            f"Received: {dataset.name} ({dataset.task}, input {list(shape)}, {dataset.num_classes} classes); "
            f"offline choices: {OFFLINE_CHOICES}"
        )


def resolve_data(ctx) -> dict:
    """Stage ``data``: pick and load the dataset once, check it fits the demo, say which and why."""
    data = ctx.stage.inputs["data"]
    name, why, dataset = choose_dataset(data)
    check_fits_demo(dataset)
    ctx.log(f"  dataset: {name} ({why})")
    ctx.log(f"  {dataset.summary()}")
    result = {"dataset": name, "requested": data, "why": why, "summary": dataset.summary(),
              "splits": {s: int(len(dataset.split(s)[1])) for s in ("train", "val", "test")}}
    atomic.write_json(ctx.path("data.json"), result, default=str)
    return result


# --- train and export ----------------------------------------------------------------------
def train_stage(model: str, config_path: Path, overrides: tuple[str, ...]):
    """Stage ``train-<model>``: ``edgenn train`` into ``runs/<model>`` on the chosen dataset.

    An interrupted training resumes from its last epoch (same config); another config starts afresh.
    """

    def run(ctx) -> dict:
        from pipelines import outdir
        from pipelines.config import load_config
        from pipelines.train import Diverged, train

        config = load_config(config_path, [f"data.dataset={ctx.results['data']['dataset']}", *overrides])
        out = ctx.path(f"runs/{model}")
        same = outdir.read_state(out).get("fingerprint") == outdir.fingerprint(config.to_dict())
        result = train(config, out, overwrite=not same, log=timed_log(ctx))
        if result.status == "diverged":
            raise Diverged(f"{config_path}: {result.message}")
        test, training = result.metrics["test"], result.metrics.get("training", {})
        ctx.log(f"  {model}: test accuracy {test['accuracy']:.4f}")
        return {"run": f"runs/{model}", "accuracy": test["accuracy"], "epochs": training.get("epochs_run"),
                "seconds": training.get("seconds"), "status": result.status}

    return run


def export_variants(skipped: dict[str, str]) -> tuple[str, ...]:
    """Every default export variant except the ones this profile skips."""
    from export.variants import VARIANTS

    return tuple(name for name, variant in VARIANTS.items() if variant.default and name not in skipped)


def export_stage(model: str, skipped: dict[str, str], settings: dict):
    """Stage ``export-<model>``: every variant in TFLite and ONNX, validated against Keras, in one bundle;
    then the bundle is re-read as a device would (schema and every sha256)."""

    def run(ctx) -> dict:
        from edge_runtime.manifest import read_manifest, verify_files
        from export.config import ExportConfig
        from export.exporter import export_run

        config = ExportConfig(variants=export_variants(skipped), **settings)
        out = ctx.path(f"bundles/{model}")
        out.parent.mkdir(parents=True, exist_ok=True)
        export_run(ctx.path(f"runs/{model}"), out, config, overwrite=True, log=timed_log(ctx))
        manifest = read_manifest(out)
        verify_files(out, manifest)
        ctx.log(f"  {model}: {len(manifest['models'])} models validated against Keras; "
                f"manifest schema and {len(manifest['files'])} sha256 checked")
        return {"bundle": f"bundles/{model}", "models": [m["id"] for m in manifest["models"]],
                "skipped": dict(skipped)}

    return run


# --- the edge runtime: evaluate and bench -------------------------------------------------------
def evaluate_stage(model: str, samples: int):
    """Stage ``evaluate-<model>``: ``edgenn evaluate`` of every variant on held-out test images through
    the edge runtime (raw image, the bundle's preprocessing, the model on its device backend)."""

    def run(ctx) -> dict:
        from edge_runtime.bundle import open_bundle
        from edge_runtime.evaluate import evaluate, table

        with np.load(ctx.path(f"runs/{model}/samples.npz")) as held_out:
            x, y = held_out["test_x"][:samples], held_out["test_y"][:samples]
        bundle = open_bundle(ctx.path(f"bundles/{model}"))
        result = evaluate(bundle, x, y, bundle.model_ids)
        atomic.write_json(ctx.path(f"evaluate/{model}.json"), result, default=str)
        ctx.log("  " + table(result).replace("\n", "\n  "))
        return {"evaluate": f"evaluate/{model}.json", "samples": result["samples"],
                "accuracy": {r["model_id"]: r["accuracy"] for r in result["results"]}}

    return run


def bench_stage(model: str, runs: int, warmup: int):
    """Stage ``bench-<model>``: ``edgenn bench --all`` on this machine, one thread, batch 1.

    It runs in a child process, as on a device: no TensorFlow loaded beside the runtime, and the
    cold start (import, load, first inference) is the real one.
    """

    def run(ctx) -> dict:
        import subprocess
        import sys

        out = ctx.path(f"bench/{model}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pipelines.cli", "bench", str(ctx.path(f"bundles/{model}")), "--all",
                   "--threads", "1", "--runs", str(runs), "--warmup", str(warmup), "--json", str(out)]
        sys.stdout.flush()
        done = subprocess.run(command, check=False)  # noqa: S603  (our own CLI, arguments we built)
        if done.returncode != 0:
            raise RuntimeError(f"edgenn bench failed (exit code {done.returncode}): {' '.join(command)}")
        results = json.loads(out.read_text("utf-8"))["results"]
        return {"bench": f"bench/{model}.json", "results": len(results)}

    return run


# --- robustness and looking inside ---------------------------------------------------------------
def robustness_stage(model: str, surrogate: str | None, eps: tuple[float, ...], samples: int, *,
                     bundle: bool = True):
    """Stage ``robustness-<model>``: FGSM accuracy vs eps of the float model and (``bundle``) every exported
    variant; crafted on ``surrogate`` when the model's preprocessing is not differentiable."""

    def run(ctx) -> dict:
        from models.rundir import load_run
        from pipelines import robustness

        target = load_run(ctx.path(f"runs/{model}"))
        attacker = load_run(ctx.path(f"runs/{surrogate}")) if surrogate else None
        result = robustness.evaluate(target, eps, bundle=ctx.path(f"bundles/{model}") if bundle else None,
                                     surrogate=attacker, limit=samples)
        atomic.write_json(ctx.path(f"robustness/{model}.json"), result)
        ctx.log("  " + robustness.format_table(result).replace("\n", "\n  "))
        return {"robustness": f"robustness/{model}.json"}

    return run


def inside_stage(models: tuple[str, ...]):
    """Stage ``inside``: first-layer kernels, feature maps and HOG glyphs of one test digit, per model."""

    def run(ctx) -> dict:
        from models.rundir import load_run
        from pipelines.visualize import visualize_run

        figures = {}
        for model in models:
            out = ctx.path(f"inside/{model}")
            out.mkdir(parents=True, exist_ok=True)
            written = visualize_run(load_run(ctx.path(f"runs/{model}")), out)
            figures[model] = {name: str(Path(path).relative_to(ctx.root)) for name, path in written.items()}
            ctx.log(f"  {model}: {', '.join(written) or 'no convolution or HOG step to show'}")
        return figures

    return run


# --- the report ------------------------------------------------------------------------------------
def report_stage(models: tuple[str, ...], profile_name: str, skipped: dict[str, str], earlier: tuple[str, ...],
                 hardened: dict[str, dict] | None = None):
    """Stage ``report``: one HTML, Markdown and JSON report over every earlier stage's outputs;
    ``hardened`` maps an adversarially trained run to its plain model and eps."""

    def run(ctx) -> dict:
        from pipelines.demo_report import write_report
        from pipelines.stages import stage_seconds

        info = {"data": ctx.results["data"], "profile": profile_name, "skipped_variants": dict(skipped)}
        result = write_report(ctx.root, models=models, info=info, inside=ctx.results["inside"],
                              timings=stage_seconds(ctx.root, list(earlier)), hardened=hardened or {})
        ctx.log(f"  recommended on this machine: {result['recommended']}; fastest: {result['fastest']}")
        return result

    return run


# --- helpers -------------------------------------------------------------------------------
def timed_log(ctx):
    """The stage's logger with the seconds since the stage started in front: progress inside long stages."""
    start = time.monotonic()
    return lambda line: ctx.log(f"  {time.monotonic() - start:6.1f} s  {line}")


