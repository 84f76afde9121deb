"""Robustness to FGSM: craft adversarial *raw* inputs once, measure every deployed variant on them.

The attack runs on the float Keras model through its preprocessing (the device path), in raw
input space: uint8 images are read as [0, 1], perturbed by FGSM (``pipelines.adversarial``) and
rounded back to uint8. The same adversarial images then go through the Keras model and through
every exported variant of a bundle (preprocessing + model, as on the device), which measures
the transfer a deployed, quantized model would face.

A pipeline with a step that is not differentiable as written (HOG, for the hybrid) cannot give
an input gradient: the examples are then crafted on a *surrogate* run (e.g. the CNN) with the
same raw input, and the result says so (a black-box transfer attack on the target).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import ConfigError, UserError
from pipelines.adversarial import check_eps, default_loss, fgsm

RESULT_SCHEMA_VERSION = 1
RESULT_FILE = "robustness.json"
CHART_FILE = "robustness.png"
DEFAULT_EPS = (0.0, 0.05, 0.1, 0.2)
#: held-out examples attacked by default: enough for +-3 % accuracy, quick on 2 cores
DEFAULT_LIMIT = 1000
KERAS_ID = "keras-float"
#: chart line style by model format (the model id's prefix): the float model solid, exports dashed/dotted
LINE_STYLES = {"keras": "-", "tflite": "--", "onnx": ":"}


# --- the device path as a differentiable TensorFlow function -------------------------------------
def _tf_scale(x, *, divisor=255.0):
    return x / float(divisor)


def _tf_flatten(x):
    from models.backend import tf

    return tf.reshape(x, [tf.shape(x)[0], -1])


def _tf_standardize(x, *, mode="global", mean=None, std=None):
    return (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)


def _tf_pca(x, *, components=32, mean=None, basis=None):
    flat = _tf_flatten(x)
    return (flat - np.asarray(mean, np.float32)) @ np.asarray(basis, np.float32).T


#: preprocessing op name -> TensorFlow twin of the numpy op (same parameters); an op missing here
#: is treated as not differentiable and needs a surrogate
DIFFERENTIABLE_OPS: dict[str, Callable] = {
    "scale": _tf_scale,
    "flatten": _tf_flatten,
    "standardize": _tf_standardize,
    "pca": _tf_pca,
}


def non_differentiable_ops(pipeline) -> list[str]:
    """Names of the pipeline's steps with no TensorFlow twin in DIFFERENTIABLE_OPS."""
    return [step.op.name for step in pipeline.steps if step.op.name not in DIFFERENTIABLE_OPS]


class RawSpace:
    """Map raw inputs to the space FGSM perturbs and back: uint8 to [0, 1] (clipped), floats as they are."""

    def __init__(self, input_spec: dict):
        self.dtype = np.dtype(input_spec.get("dtype", "float32"))
        self.integer = self.dtype.kind in "ui"
        self.top = float(np.iinfo(self.dtype).max) if self.integer else 1.0
        self.clip = (0.0, 1.0) if self.integer else None

    def describe(self) -> str:
        if self.integer:
            return f"raw {self.dtype.name} input read as [0, 1], perturbed, rounded back to {self.dtype.name}"
        return f"raw {self.dtype.name} input, perturbed as it is (eps in its own units, no clipping)"

    def to_unit(self, raw: np.ndarray) -> np.ndarray:
        return raw.astype(np.float32) / np.float32(self.top)

    def to_raw(self, unit: np.ndarray) -> np.ndarray:
        if not self.integer:
            return unit.astype(self.dtype)
        return np.clip(np.rint(unit * self.top), 0, self.top).astype(self.dtype)


class DevicePathModel:
    """``unit -> model(pipeline(unit * top))`` in TensorFlow, so FGSM differentiates through preprocessing."""

    def __init__(self, model, pipeline, space: RawSpace):
        self.model, self.space = model, space
        self.steps = [(DIFFERENTIABLE_OPS[s.op.name], dict(s.params)) for s in pipeline.steps]

    def __call__(self, unit, training=False):
        x = unit * self.space.top
        for fn, params in self.steps:
            x = fn(x, **params)
        return self.model(x, training=training)


def craft(run, x_raw: np.ndarray, y: np.ndarray, eps_values, *, model=None) -> dict[float, np.ndarray]:
    """FGSM raw inputs for each eps, crafted on ``run``'s float model through its preprocessing."""
    blocked = non_differentiable_ops(run.pipeline)
    if blocked:
        raise UserError(
            f"{run.path}: preprocessing op(s) {blocked} are not differentiable, so FGSM cannot be crafted on "
            "this run. Expected a surrogate: pass --surrogate RUN_DIR (a CNN or MLP run on the same raw input)"
        )
    model = model if model is not None else run.load_model()
    space = RawSpace(run.input)
    device_model = DevicePathModel(model, run.pipeline, space)
    unit = space.to_unit(x_raw)
    loss = default_loss(model)
    return {eps: space.to_raw(fgsm(device_model, unit, y, eps, loss=loss, clip=space.clip)) for eps in eps_values}


# --- measuring -----------------------------------------------------------------------------------
def accuracy(predict: Callable[[np.ndarray], np.ndarray], adversarial: dict[float, np.ndarray], y) -> list[float]:
    """Top-1 accuracy of ``predict`` (raw inputs -> scores) on each eps's examples, in eps order."""
    return [float(np.mean(np.argmax(predict(x), axis=-1) == y)) for x in adversarial.values()]


def keras_predict(run, model) -> Callable[[np.ndarray], np.ndarray]:
    """Raw inputs -> the float model's scores, with the numpy preprocessing the device runs."""
    return lambda x: model.predict(run.pipeline.transform(x), verbose=0, batch_size=256)


def bundle_series(bundle_path, adversarial, y, *, backend=None) -> list[dict]:
    """One series per model id of the bundle: its accuracy on the adversarial raw inputs (with
    ``backend``, only the models of the formats it runs)."""
    from edge_runtime.backends import get_backend
    from edge_runtime.bundle import open_bundle

    formats = get_backend(backend).formats if backend is not None else None  # an unknown name lists the known
    series = []
    with open_bundle(bundle_path) as bundle:
        for model in bundle.models:
            if formats is not None and model["format"] not in formats:
                continue  # --backend measures only the models that backend runs
            model_id = model["id"]
            session = bundle.session(model_id=model_id, backend=backend)
            series.append({"model_id": model_id, "source": "bundle", "backend": session.backend_name,
                           "accuracy": accuracy(session.predict, adversarial, y)})
    return series


def check_surrogate(target, surrogate) -> None:
    """A surrogate must take the same raw input and predict the same labels as the target."""
    pairs = (("input shape", target.input.get("shape"), surrogate.input.get("shape")),
             ("input dtype", target.input.get("dtype"), surrogate.input.get("dtype")),
             ("labels", target.labels, surrogate.labels))
    for what, mine, theirs in pairs:
        if mine != theirs:
            raise ConfigError(
                f"Expected a surrogate run with the target's {what} {mine!r}. "
                f"Received: {what}={theirs!r} in {surrogate.path}"
            )


#: keys of the manifest's "training" section that may hold the run directory a bundle came from
RUN_KEYS = ("run_dir", "run", "path")


def _bundle_manifest(path: Path) -> dict | None:
    """The raw manifest JSON of a bundle directory or .zip, or None when ``path`` is not a bundle."""
    import zipfile

    if path.is_dir():
        file = path / "manifest.json"
        return json.loads(file.read_text("utf-8")) if file.is_file() else None
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = sorted((n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "manifest.json"), key=len)
            return json.loads(archive.read(names[0])) if names else None
    return None


def resolve_target(target, *, run=None) -> tuple[Path, Path | None]:
    """(run directory, bundle or None) for a RUN_DIR or BUNDLE argument; a bundle's run comes from
    ``run`` or its manifest's training section."""
    path = Path(target)
    if (path / "run.json").is_file():
        return path, None
    try:
        manifest = _bundle_manifest(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read its manifest.json ({exc})") from exc
    if manifest is None:
        raise UserError(f"Expected a run directory (run.json) or a bundle (manifest.json, or a .zip of one). "
                        f"Received: path={str(path)!r}")
    if run is not None:
        return Path(run), path
    training = manifest.get("training") or {}
    recorded = next((training[k] for k in RUN_KEYS if isinstance(training.get(k), str)), None)
    if recorded is None:
        raise UserError(f"{path}: the manifest does not record the run it came from; pass --run RUN_DIR")
    name = Path(recorded).name
    # `edgenn export` writes RUN_DIR/bundle by default and records the run's name
    candidates = [Path(recorded)] if Path(recorded).is_absolute() else [
        path.parent, path.parent / recorded, path.parent.parent / recorded, Path(recorded)]
    found = next((c for c in candidates if (c / "run.json").is_file() and c.resolve().name == name), None)
    if found is None:
        raise UserError(f"{path}: its run {recorded!r} is not here (looked in {[str(c) for c in candidates]}); "
                        "pass --run RUN_DIR")
    return found, path


def parse_eps(text: str) -> list[float]:
    """'0,0.05,0.1' -> [0.0, 0.05, 0.1] (sorted, unique); a bad value raises ConfigError naming it."""
    values = []
    for part in str(text).split(","):
        if not part.strip():
            continue
        try:
            values.append(check_eps(part.strip()))
        except ConfigError:
            raise ConfigError(f"Expected --eps as comma-separated numbers >= 0. Received: eps={text!r}") from None
    if not values:
        raise ConfigError(f"Expected at least one epsilon. Received: eps={text!r}")
    return sorted(set(values))


def evaluate(target, eps_values, *, bundle=None, surrogate=None, limit: int | None = DEFAULT_LIMIT,
             backend=None) -> dict[str, Any]:
    """The robustness record: FGSM accuracy per eps for the float model and every bundle variant.

    ``target`` and ``surrogate`` are ``models.rundir.Run``; the held-out test samples of the
    target are attacked (the first ``limit`` of them).
    """
    if target.task != "classification":
        raise ConfigError(f"Expected a classification run for FGSM. Received: task={target.task!r} ({target.path})")
    eps_values = sorted({check_eps(e) for e in eps_values})
    x_raw, y = target.samples["test_x"], np.asarray(target.samples["test_y"])
    if limit is not None:
        x_raw, y = x_raw[:limit], y[:limit]
    attacker = surrogate if surrogate is not None else target
    if surrogate is not None:
        check_surrogate(target, surrogate)
    target_model = target.load_model()
    adversarial = craft(attacker, x_raw, y, eps_values, model=None if surrogate is not None else target_model)
    series = [{"model_id": KERAS_ID, "source": "keras", "backend": "tensorflow",
               "accuracy": accuracy(keras_predict(target, target_model), adversarial, y)}]
    if bundle is not None:
        series += bundle_series(bundle, adversarial, y, backend=backend)
    perturbation = {eps: float(np.abs(x.astype(np.float64) - x_raw).max() / RawSpace(target.input).top)
                    for eps, x in adversarial.items()}
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "kind": "edgenn-robustness",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "attack": {
            "method": "FGSM", "reference": "Goodfellow, Shlens and Szegedy, ICLR 2015",
            "space": RawSpace(target.input).describe(),
            "crafted_on": {"run": str(attacker.path), "name": attacker.name, "surrogate": surrogate is not None},
            "note": _attack_note(target, surrogate),
        },
        "target": {"run": str(target.path), "name": target.name, "bundle": str(bundle) if bundle else None},
        "samples": int(len(y)),
        "eps": eps_values,
        "max_perturbation": [perturbation[e] for e in eps_values],
        "series": series,
    }


def _attack_note(target, surrogate) -> str:
    if surrogate is None:
        return "crafted on the target's own float model (white-box)"
    blocked = non_differentiable_ops(target.pipeline)
    why = f" (its preprocessing {', '.join(blocked)} is not differentiable as written)" if blocked else ""
    return f"crafted on surrogate {surrogate.name!r}, a transfer attack on {target.name!r}{why}"


# --- output ----------------------------------------------------------------------------------
def format_table(result: dict) -> str:
    """The printed table: one row per model id, one column per eps."""
    eps = result["eps"]
    width = max([len(s["model_id"]) for s in result["series"]] + [8])
    lines = [f"FGSM accuracy on {result['samples']} samples of {result['target']['name']}; "
             f"{result['attack']['note']}",
             f"{'model':<{width}}  " + "  ".join(f"eps={e:<6g}" for e in eps)]
    for s in result["series"]:
        lines.append(f"{s['model_id']:<{width}}  " + "  ".join(f"{a:<10.3f}" for a in s["accuracy"]))
    return "\n".join(lines)


def chart_lines(results: list[dict], model_ids=None) -> list[tuple[str, list[float], list[float]]]:
    """(label, eps, accuracy) per line of the chart; labels carry the run name when results are
    mixed, and "via <surrogate>" for a transfer attack."""
    lines = []
    for result in results:
        prefix = f"{result['target']['name']} " if len(results) > 1 else ""
        crafted = result["attack"]["crafted_on"]
        suffix = f" (via {crafted['name']})" if crafted["surrogate"] and len(results) > 1 else ""
        lines += [(prefix + s["model_id"] + suffix, result["eps"], s["accuracy"]) for s in result["series"]
                  if model_ids is None or s["model_id"] in model_ids]
    return lines


def chart_title(results: list[dict]) -> str:
    if len(results) > 1:
        return "FGSM accuracy vs epsilon (white-box unless 'via' a surrogate)"
    crafted = results[0]["attack"]["crafted_on"]
    how = f"surrogate {crafted['name']}, transfer" if crafted["surrogate"] else f"{crafted['name']}, white-box"
    return f"FGSM accuracy vs epsilon (crafted on {how})"


def plot(results: list[dict], path, *, title: str | None = None, model_ids=None) -> Path:
    """Accuracy-vs-eps chart PNG: one line per (result, series); several results share the axes
    (e.g. a plain and an adversarially trained model). ``model_ids`` keeps only those series."""
    from pipelines.plots import pyplot, save

    plt = pyplot()
    path = Path(path)
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    try:
        lines = chart_lines(results, model_ids)
        colors = plt.get_cmap("tab20" if len(lines) > 10 else "tab10")
        for index, (label, eps, accuracy) in enumerate(lines):
            fmt = label.split(" (via")[0].split()[-1].split("-")[0]
            ax.plot(eps, accuracy, marker="o", markersize=4, color=colors(index % colors.N),
                    linestyle=LINE_STYLES.get(fmt, "-"), linewidth=2.2 if fmt == "keras" else 1.3, label=label)
        ax.set_title(title or chart_title(results), fontsize=10)
        ax.set_xlabel("epsilon (fraction of the input range)")
        ax.set_ylabel("top-1 accuracy")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2 if len(lines) > 6 else 1, loc="lower left")
        fig.tight_layout()
    except BaseException:
        plt.close(fig)
        raise
    return save(fig, path)


