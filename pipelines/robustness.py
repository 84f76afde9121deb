"""Robustness to FGSM: craft adversarial *raw* inputs once, measure every deployed variant on them.

The attack runs on the float Keras model through its preprocessing (the device path), in raw
input space: uint8 images are read as [0, 1], perturbed by FGSM (``pipelines.adversarial``) and
rounded back to uint8. The preprocessing is differentiated through its graph twins
(``models.twins``, the ops an in-model export runs); where a twin's gradient is only piecewise
defined (HOG's orientation binning, deskew's interpolated shear) the record says so. The same
adversarial images then go through the Keras model and through every exported variant of a
bundle (preprocessing + model, as on the device): the transfer a deployed, quantized model faces.

A pipeline with a step whose op is not ``differentiable`` cannot give an input gradient: the
examples are then crafted on a *surrogate* run (e.g. the CNN) with the same raw input (a
black-box transfer attack). With a surrogate and a differentiable target, both attacks are run.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime import metrics
from edge_runtime.errors import ConfigError, UserError
from pipelines.adversarial import check_eps, default_loss, fgsm

RESULT_SCHEMA_VERSION = 1
RESULT_FILE = "robustness.json"
CHART_FILE = "robustness.png"
DEFAULT_EPS = (0.0, 0.05, 0.1, 0.2)
#: held-out examples attacked by default: enough for +-3 % accuracy, quick on 2 cores
DEFAULT_LIMIT = 1000
KERAS_ID = "keras-float"
#: the two attacks: through the target's own gradient, or crafted on a surrogate and transferred
WHITE_BOX, TRANSFER = "white-box", "transfer"
#: chart line style by model format (the model id's prefix): the float model solid, exports dashed/dotted
LINE_STYLES = {"keras": "-", "tflite": "--", "onnx": ":"}


# --- the device path as a differentiable TensorFlow function -------------------------------------
def non_differentiable_ops(pipeline) -> list[str]:
    """Names of the pipeline's steps whose op has no differentiable graph twin (``Op.differentiable``)."""
    from models.twins import TWINS

    return [s.op.name for s in pipeline.steps if not (s.op.differentiable and s.op.name in TWINS)]


def piecewise_notes(pipeline) -> list[str]:
    """'op: where' for each step whose twin's gradient is only piecewise defined (``register_twin(piecewise=)``)."""
    from models.twins import get_twin

    blocked = set(non_differentiable_ops(pipeline))
    notes = [(s.op.name, getattr(get_twin(s.op.name), "piecewise", None)) for s in pipeline.steps
             if s.op.name not in blocked]
    return [f"{name}: {where}" for name, where in notes if where]


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
    """``unit -> model(twins(unit * top))`` in TensorFlow: FGSM differentiates through the
    preprocessing's graph twins (``models.twins``), the same functions an in-model export runs."""

    def __init__(self, model, pipeline, space: RawSpace, shape):
        from models.twins.chain import TwinChain

        self.model, self.space = model, space
        self.twins = TwinChain(pipeline, shape, space.dtype)

    def __call__(self, unit, training=False):
        return self.model(self.twins(unit * self.space.top), training=training)


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
    device_model = DevicePathModel(model, run.pipeline, space, x_raw.shape[1:])
    unit = space.to_unit(x_raw)
    loss = default_loss(model)
    return {eps: space.to_raw(fgsm(device_model, unit, y, eps, loss=loss, clip=space.clip)) for eps in eps_values}


# --- measuring -----------------------------------------------------------------------------------
def accuracy(predict: Callable[[np.ndarray], np.ndarray], adversarial: dict[float, np.ndarray], y) -> list[float]:
    """Top-1 accuracy of ``predict`` (raw inputs -> scores) on each eps's examples, in eps order."""
    return [metrics.accuracy(y, predict(x)) for x in adversarial.values()]


def keras_predict(run, model) -> Callable[[np.ndarray], np.ndarray]:
    """Raw inputs -> the float model's scores, with the numpy preprocessing the device runs."""
    return lambda x: model.predict(run.pipeline.transform(x), verbose=0, batch_size=256)


def bundle_series(bundle_path, adversarial, y, *, backend=None, attack: str = WHITE_BOX) -> list[dict]:
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
                           "attack": attack, "accuracy": accuracy(session.predict, adversarial, y)})
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


def resolve_target(target, *, run=None) -> tuple[Path, Path | None]:
    """(run directory, bundle or None) for a RUN_DIR or BUNDLE argument.

    A bundle is opened (and validated) by ``edge_runtime.bundle``; its run is ``run`` when given,
    else the one its manifest's ``source_run`` records: the path relative to the bundle's directory
    (a tree moved as a whole), then the absolute path. A bundle without ``source_run`` (written
    before the field, or a bare model) needs ``run``: nothing is guessed.
    """
    from edge_runtime.bundle import open_bundle

    path = Path(target)
    if (path / "run.json").is_file():
        return path, None
    try:
        with open_bundle(path, probe=False) as bundle:
            recorded = bundle.source_run
    except UserError as exc:
        raise UserError(f"Expected a run directory (run.json) or a bundle (manifest.json, or a .zip of one). "
                        f"Received: path={str(path)!r} ({exc})") from exc
    if run is not None:
        return Path(run), path
    if recorded is None:
        raise UserError(f"{path}: the manifest does not record the run it came from (source_run); pass --run RUN_DIR")
    places = ([path.parent / recorded["relative"]] if recorded["relative"] is not None else []) + [
        Path(recorded["path"])]
    found = next((place for place in places if (place / "run.json").is_file()), None)
    if found is None:
        raise UserError(f"{path}: its run {recorded['name']!r} is not at {[str(p) for p in places]} (moved or "
                        "deleted); pass --run RUN_DIR")
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
    target are attacked (the first ``limit`` of them). The attack is white-box when every
    preprocessing op of the target has a differentiable twin, and a transfer from ``surrogate``
    when one is given: both when both hold (the record's ``attacks``; ``attack`` is the first).
    """
    if target.task != "classification":
        raise ConfigError(f"Expected a classification run for FGSM. Received: task={target.task!r} ({target.path})")
    eps_values = sorted({check_eps(e) for e in eps_values})
    x_raw, y = target.samples["test_x"], np.asarray(target.samples["test_y"])
    if limit is not None:
        x_raw, y = x_raw[:limit], y[:limit]
    attackers = [(WHITE_BOX, target)] if not non_differentiable_ops(target.pipeline) else []
    if surrogate is not None:
        check_surrogate(target, surrogate)
        attackers.append((TRANSFER, surrogate))
    if not attackers:
        craft(target, x_raw[:1], y[:1], [0.0])  # raises: not differentiable, name a surrogate
    target_model = target.load_model()
    series, attacks, space = [], [], RawSpace(target.input)
    for kind, attacker in attackers:
        adversarial = craft(attacker, x_raw, y, eps_values, model=target_model if attacker is target else None)
        series.append({"model_id": KERAS_ID, "source": "keras", "backend": "tensorflow", "attack": kind,
                       "accuracy": accuracy(keras_predict(target, target_model), adversarial, y)})
        if bundle is not None:
            series += bundle_series(bundle, adversarial, y, backend=backend, attack=kind)
        attacks.append({
            "kind": kind,
            "crafted_on": {"run": str(attacker.path), "name": attacker.name, "surrogate": kind == TRANSFER},
            "note": _attack_note(target, attacker if kind == TRANSFER else None),
            "piecewise": piecewise_notes(target.pipeline) if kind == WHITE_BOX else [],
            "max_perturbation": [float(np.abs(adversarial[e].astype(np.float64) - x_raw).max() / space.top)
                                 for e in eps_values],
        })
    first = attacks[0]
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "kind": "edgenn-robustness",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "attack": {"method": "FGSM", "reference": "Goodfellow, Shlens and Szegedy, ICLR 2015",
                   "space": space.describe(), "crafted_on": first["crafted_on"], "note": first["note"]},
        "attacks": attacks,
        "target": {"run": str(target.path), "name": target.name, "bundle": str(bundle) if bundle else None},
        "samples": int(len(y)),
        "eps": eps_values,
        "max_perturbation": first["max_perturbation"],
        "series": series,
    }


def _attack_note(target, surrogate) -> str:
    if surrogate is None:
        piecewise = piecewise_notes(target.pipeline)
        where = f"; gradient piecewise at {'; '.join(piecewise)}" if piecewise else ""
        through = " through its preprocessing's graph twins" if target.pipeline.steps else ""
        return f"crafted on the target's own float model{through} (white-box){where}"
    blocked = non_differentiable_ops(target.pipeline)
    why = f" (its preprocessing {', '.join(blocked)} is not differentiable as written)" if blocked else ""
    return f"crafted on surrogate {surrogate.name!r}, a transfer attack on {target.name!r}{why}"


def attack_label(result: dict, series: dict) -> str:
    """How a series was attacked, for labels: "" with one attack, else " (white-box)" / " (via <surrogate>)"."""
    attacks = result.get("attacks") or []
    if len(attacks) < 2:
        return ""
    kind = series.get("attack", WHITE_BOX)
    crafted = next(a["crafted_on"]["name"] for a in attacks if a["kind"] == kind)
    return " (white-box)" if kind == WHITE_BOX else f" (via {crafted})"


# --- output ----------------------------------------------------------------------------------
def format_table(result: dict) -> str:
    """The printed table: one row per model id (and attack, when there are two), one column per eps."""
    eps = result["eps"]
    rows = [(s["model_id"] + attack_label(result, s), s["accuracy"]) for s in result["series"]]
    width = max([len(label) for label, _ in rows] + [8])
    notes = "; ".join(a["note"] for a in result.get("attacks") or [result["attack"]])
    lines = [f"FGSM accuracy on {result['samples']} samples of {result['target']['name']}; {notes}",
             f"{'model':<{width}}  " + "  ".join(f"eps={e:<6g}" for e in eps)]
    lines += [f"{label:<{width}}  " + "  ".join(f"{a:<10.3f}" for a in accuracy) for label, accuracy in rows]
    return "\n".join(lines)


def chart_lines(results: list[dict], model_ids=None) -> list[tuple[str, list[float], list[float]]]:
    """(label, eps, accuracy) per line of the chart; labels carry the run name when results are
    mixed, "(white-box)" / "(via <surrogate>)" when a result holds both attacks, and "via
    <surrogate>" for a transfer attack among several results."""
    lines = []
    for result in results:
        prefix = f"{result['target']['name']} " if len(results) > 1 else ""
        crafted = result["attack"]["crafted_on"]
        lone = f" (via {crafted['name']})" if crafted["surrogate"] and len(results) > 1 else ""
        lines += [(prefix + s["model_id"] + (attack_label(result, s) or lone), result["eps"], s["accuracy"])
                  for s in result["series"] if model_ids is None or s["model_id"] in model_ids]
    return lines


def chart_title(results: list[dict]) -> str:
    if len(results) > 1 or len(results[0].get("attacks") or ()) > 1:
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
            fmt = label.split(" (")[0].split()[-1].split("-")[0]
            marker = "s" if " (via " in label else "o"  # transfer squares, white-box circles
            ax.plot(eps, accuracy, marker=marker, markersize=4, color=colors(index % colors.N),
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


