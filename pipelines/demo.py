"""``edgenn demo``: the whole story in one command, as a plan of cached stages.

data -> train (MLP, CNN, hybrid) -> export every variant to TFLite and ONNX (validated) -> evaluate
and benchmark each through the edge runtime -> FGSM robustness, beside a CNN retrained with FGSM
adversarial training -> looking inside -> one report.
Each stage is a :class:`pipelines.stages.Stage` whose key hashes its settings and the stages before
it, so a re-run reuses what finished, an interrupted run finishes, and two configurations never mix.

The two profiles say what the demo costs (``Profile.duration``, also quoted by ``--help`` and the
README): ``default`` and ``quick`` (fewer epochs and samples, the slowest tfmot variants skipped
and named).
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pipelines.stages import Stage, claim_workspace, run_stages

WORKSPACE_KIND = "demo"
MODELS = ("mnist_mlp", "mnist_cnn", "mnist_hybrid")
#: besides the white-box attack through its own twins, the hybrid is attacked by transfer from this model
SURROGATES = {"mnist_hybrid": "mnist_cnn"}
#: the training configs, shipped in the wheel as package data (``pipelines/configs`` links to the
#: checkout's ``configs/``, so the examples users read and the files the demo trains are one copy)
CONFIGS_DIR = Path(str(resources.files("pipelines") / "configs"))


@dataclass(frozen=True)
class Hardened:
    """A model retrained with FGSM adversarial training (``train.fgsm_eps``): only its float model is
    attacked, on the same test images as ``base``, and drawn in the same robustness chart."""

    name: str
    base: str
    fgsm_eps: float = 0.1

    @property
    def overrides(self) -> tuple[str, ...]:
        return (f"name={self.name}", f"train.fgsm_eps={self.fgsm_eps:g}")


#: the adversarially trained twins the demo adds, each beside its plain model
HARDENED = (Hardened("mnist_cnn_fgsm", "mnist_cnn"),)


@dataclass(frozen=True)
class Profile:
    """What one demo run costs: training overrides, export settings, bench and attack sizes."""

    name: str
    #: wall time on 2 cores with MNIST-5k, as measured (the README and ``--help`` quote it)
    duration: str = "about 3 minutes"
    #: per model, ``--set key=value`` overrides of its training config (train's override mechanism)
    train_overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: variants left out, each with the reason the report prints
    skipped_variants: dict[str, str] = field(default_factory=dict)
    #: ExportConfig fields
    export: dict = field(default_factory=dict)
    #: timed runs per variant: 2,000 leave 20 samples beyond p99 and take 20-300 ms for these 10-150 us models
    bench_runs: int = 2000
    bench_warmup: int = 100
    #: test samples evaluated through the edge runtime and attacked by FGSM
    eval_samples: int = 1000
    robustness_samples: int = 500
    eps: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2)


PROFILES = {
    "default": Profile("default"),
    "quick": Profile(
        "quick", duration="about 2 minutes",
        # 4-8 epochs instead of the configs' 20-30: test accuracy stays above 0.9 on MNIST-5k
        train_overrides={"mnist_mlp": ("train.epochs=6",), "mnist_cnn": ("train.epochs=4",),
                         "mnist_hybrid": ("train.epochs=8",)},
        skipped_variants={
            "pqat-int8": "--quick: pruning-preserving QAT fine-tunes twice (prune, then quantize); the slowest variant",
            "clustered-int8": "--quick: weight clustering fine-tunes and re-clusters every layer; slow on 2 cores",
        },
        # validation keeps its default 3,000 samples (a few seconds): fewer leave fp32's 0.999 inconclusive
        export={"finetune_epochs": 1},
        bench_runs=500,
        bench_warmup=50,
        eval_samples=500,
        robustness_samples=300,
    ),
}


@dataclass(frozen=True)
class DemoSettings:
    """The user's choices: dataset, output directory, quick or not."""

    data: str = "auto"
    out: str = "runs/demo"
    quick: bool = False
    models: tuple[str, ...] = MODELS
    configs_dir: Path = CONFIGS_DIR

    @property
    def profile(self) -> Profile:
        return PROFILES["quick" if self.quick else "default"]


def plan(settings: DemoSettings) -> list[Stage]:
    """The demo as an ordered list of stages; inputs are what each stage's result depends on."""
    from pipelines import demo_steps  # numpy and the rest: not at CLI start-up (``--help`` reads PROFILES)

    profile = settings.profile
    stages = [Stage("data", "resolve the dataset", demo_steps.resolve_data,
                    inputs=demo_steps.data_inputs(settings.data), outputs=("data.json",))]
    for model in settings.models:
        config = settings.configs_dir / f"{model}.toml"
        overrides = profile.train_overrides.get(model, ())
        stages.append(Stage(
            f"train-{model}", f"train {model}", demo_steps.train_stage(model, config, overrides),
            inputs={"config": _file_sha256(config), "overrides": list(overrides)},
            after=("data",), outputs=(f"runs/{model}",), resumable=True))
    for model in settings.models:
        stages.append(Stage(
            f"export-{model}", f"export and validate {model}",
            demo_steps.export_stage(model, profile.skipped_variants, profile.export),
            inputs={"skipped": sorted(profile.skipped_variants), "export": profile.export},
            after=(f"train-{model}",), outputs=(f"bundles/{model}",)))
    for model in settings.models:
        stages.append(Stage(
            f"evaluate-{model}", f"evaluate {model} through the edge runtime",
            demo_steps.evaluate_stage(model, profile.eval_samples),
            inputs={"samples": profile.eval_samples}, after=(f"export-{model}",),
            outputs=(f"evaluate/{model}.json",)))
    for model in settings.models:
        stages.append(Stage(
            f"bench-{model}", f"benchmark {model} on this machine",
            demo_steps.bench_stage(model, profile.bench_runs, profile.bench_warmup),
            inputs={"runs": profile.bench_runs, "warmup": profile.bench_warmup}, after=(f"export-{model}",),
            outputs=(f"bench/{model}.json",)))
    for model in settings.models:
        surrogate = SURROGATES.get(model)
        after = (f"train-{model}", f"export-{model}") + ((f"train-{surrogate}",) if surrogate else ())
        stages.append(Stage(
            f"robustness-{model}", f"FGSM robustness of {model}",
            demo_steps.robustness_stage(model, surrogate, profile.eps, profile.robustness_samples),
            inputs={"eps": list(profile.eps), "samples": profile.robustness_samples, "surrogate": surrogate},
            after=after, outputs=(f"robustness/{model}.json",)))
    for twin in hardened(settings):
        overrides = (*profile.train_overrides.get(twin.base, ()), *twin.overrides)
        config = settings.configs_dir / f"{twin.base}.toml"
        stages.append(Stage(
            f"train-{twin.name}", f"train {twin.base} with FGSM adversarial training (eps {twin.fgsm_eps:g})",
            demo_steps.train_stage(twin.name, config, overrides),
            inputs={"config": _file_sha256(config), "overrides": list(overrides)},
            after=("data",), outputs=(f"runs/{twin.name}",), resumable=True))
        stages.append(Stage(
            f"robustness-{twin.name}", f"FGSM robustness of {twin.name} (float model)",
            demo_steps.robustness_stage(twin.name, None, profile.eps, profile.robustness_samples, bundle=False),
            inputs={"eps": list(profile.eps), "samples": profile.robustness_samples, "bundle": False},
            after=(f"train-{twin.name}",), outputs=(f"robustness/{twin.name}.json",)))
    stages.append(Stage(
        "inside", "look inside the networks", demo_steps.inside_stage(settings.models),
        after=tuple(f"train-{m}" for m in settings.models), outputs=("inside",)))
    earlier = tuple(s.name for s in stages)
    stages.append(Stage(
        "report", "write the report",
        demo_steps.report_stage(settings.models, profile.name, profile.skipped_variants, earlier,
                                hardened={t.name: {"base": t.base, "fgsm_eps": t.fgsm_eps} for t in hardened(settings)}),
        inputs={"profile": profile.name}, after=earlier,
        outputs=("report.html", "report.md", "report.json", "figures")))
    return stages


def hardened(settings: DemoSettings) -> tuple[Hardened, ...]:
    """The adversarially trained twins of the models this demo trains."""
    return tuple(t for t in HARDENED if t.base in settings.models)


def run_demo(settings: DemoSettings, *, overwrite: bool = False, log=None) -> dict:
    """Run (or finish) the demo in ``settings.out``; returns the report stage's result with paths."""
    log = log or _print_flush
    root = claim_workspace(settings.out, WORKSPACE_KIND, overwrite=overwrite)
    log(f"edgenn demo: {settings.profile.name} profile, data={settings.data}, out={root}")
    started = time.monotonic()
    results = run_stages(root, plan(settings), log=log)
    report = results["report"]
    log(f"edgenn demo: finished in {time.monotonic() - started:.0f} s; report: {root / report['html']}")
    return {**report, "report_json": str(root / report["json"]), "root": str(root)}


def _file_sha256(path: Path) -> str:
    from edge_runtime.errors import ConfigError

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigError(f"Expected the demo's training config {path}. Received: {exc.strerror}") from exc


def _print_flush(line: str) -> None:
    print(line, flush=True, file=sys.stdout)
