"""``edgenn sweep``: train one config per value of the swept keys, chart the curves, table the results.

``--set optimizer.lr=1e-4,1e-3,1e-2,1e-1`` trains four runs (several swept keys give their
cartesian product) into ``OUT/<key>=<value>/``; each is a normal, resumable run directory.
The table shows each run at the epoch whose weights training restored (``train.restore_best``:
the best monitored epoch; else the last), the epoch the test accuracy belongs to, and marks the
ways a learning rate is wrong: runs that diverged (NaN/inf; a loss that ended above where it
started; for classification, a training loss that climbed above 1.5x the chance level
ln(classes), i.e. worse than guessing), runs stuck at chance (a classification training loss
that never fell below 0.9 x ln(classes): the model never learned, it did not blow up) and runs
that barely moved (validation loss more than 3x that of the best run).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_runtime import atomic
from edge_runtime.errors import ConfigError
from pipelines.config import Config, load_config, parse_value

#: "barely moved": the final validation loss is this many times the best run's, or more
SLOW_GAP = 3.0
#: "diverged": a classification training loss above this multiple of chance level ln(classes)
CHANCE_FACTOR = 1.5
#: "stuck": a classification training loss that never fell below this multiple of ln(classes)
STUCK_FACTOR = 0.9


@dataclass
class SweepRun:
    label: str
    overrides: list[str]
    status: str = "pending"
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def last(self, key: str) -> float:
        values = self.history.get(key) or [float("nan")]
        return float(values[-1])

    @property
    def restored_epoch(self) -> int | None:
        """1-based epoch whose weights the run ended with (training's ``best_epoch``), None when unknown."""
        best = (self.metrics.get("training") or {}).get("best_epoch")
        return best if isinstance(best, int) and best >= 1 else None

    def at_restored(self, key: str) -> float:
        """``history[key]`` at the restored epoch (the last epoch when it is unknown)."""
        values = self.history.get(key) or [float("nan")]
        epoch = self.restored_epoch
        return float(values[epoch - 1]) if epoch is not None and epoch <= len(values) else float(values[-1])


def expand(sweeps: list[str]) -> list[list[str]]:
    """``["a=1,2", "b=x"]`` -> ``[["a=1", "b=x"], ["a=2", "b=x"]]`` (the cartesian product)."""
    axes = []
    for item in sweeps:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"Expected --set key=v1,v2,... Received: {item!r}")
        values = _split_values(text)
        if not values:
            raise ConfigError(f"Expected at least one value for {key}. Received: {item!r}")
        axes.append([f"{key.strip()}={v}" for v in values])
    return [list(combo) for combo in itertools.product(*axes)] if axes else [[]]


def _split_values(text: str) -> list[str]:
    """Split on top-level commas only, so list values like [64,32] stay whole."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def run_label(overrides: list[str]) -> str:
    return ",".join(o.replace("/", "_") for o in overrides) or "base"


def sweep(config_path: str, sweeps: list[str], out: str | Path, *, fixed: list[str] = (), overwrite: bool = False,
          log: Callable[[str], None] = print) -> list[SweepRun]:
    """Train every combination; diverged runs are recorded, not fatal."""
    from pipelines.train import train

    out = Path(out)
    combos = expand(sweeps)
    configs: list[tuple[SweepRun, Config]] = []
    for combo in combos:  # validate every combination before training any
        configs.append((SweepRun(run_label(combo), combo), load_config(config_path, [*fixed, *combo])))
    runs = []
    for index, (run, config) in enumerate(configs, 1):
        log(f"[{index}/{len(configs)}] {run.label}")
        result = train(config, out / run.label, overwrite=overwrite, log=log)
        run.status, run.metrics, run.message = result.status, result.metrics, result.message
        run.history = result.history or _history(out / run.label)
        runs.append(run)
    classify(runs)
    return runs


def _history(run_dir: Path) -> dict[str, list[float]]:
    from pipelines.train import history_dict

    return history_dict(run_dir / "history.csv")


def classify(runs: list[SweepRun]) -> None:
    """Set each finished run's status to ok, diverged or barely moved (see the module docstring)."""
    key = "val_loss" if all("val_loss" in r.history for r in runs if r.history) else "loss"
    finals = [r.at_restored(key) for r in runs if r.status != "diverged" and math.isfinite(r.at_restored(key))]
    best = min(finals) if finals else float("nan")
    for run in runs:
        if run.status == "diverged":
            continue
        series, train_loss = run.history.get(key, []), run.history.get("loss", [])
        final = run.last(key)
        classes = len(run.metrics.get("test", {}).get("per_class", {}))
        above_chance = classes > 1 and max(train_loss, default=0.0) > CHANCE_FACTOR * math.log(classes)
        finite = bool(series) and all(math.isfinite(v) for v in [*series, *train_loss])
        stuck = (finite and classes > 1 and bool(train_loss) and not above_chance
                 and min(train_loss) >= STUCK_FACTOR * math.log(classes))
        if stuck:
            run.status = "stuck at chance"
        elif not series or not math.isfinite(final) or final > series[0] or above_chance:
            run.status = "diverged"
        elif run.at_restored(key) > SLOW_GAP * best:
            run.status = "barely moved"
        else:
            run.status = "ok"


def table(runs: list[SweepRun]) -> str:
    """A plain-text table, one row per run, every value at the restored epoch (the one the test metric is of)."""
    metric = next((k for r in runs for k in r.history if k.startswith("val_") and k != "val_loss"), None)
    headers = ["run", "epoch/ran", "loss", "val_loss", *([metric] if metric else []), "test", "test n", "status"]
    rows = []
    for run in runs:
        test = run.metrics.get("test", {})
        test_value = test.get("accuracy", test.get("mae"))
        ran = len(run.history.get("loss", []))
        epoch = run.restored_epoch or ran
        rows.append([run.label, f"{epoch}/{ran}", _fmt(run.at_restored("loss")),
                     _fmt(run.at_restored("val_loss")), *([_fmt(run.at_restored(metric))] if metric else []),
                     _fmt(test_value), str(test.get("n", "-")), run.status])
    from edge_runtime.tables import format_table

    return "\n".join(format_table(tuple(headers), [tuple(r) for r in rows]))


def _fmt(value) -> str:
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return "nan"
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:.3g}"


def write_report(runs: list[SweepRun], out: Path, title: str) -> dict[str, Path]:
    """sweep.png (every run's validation loss per epoch), sweep.json, sweep.txt."""
    from pipelines.plots import sweep_curves

    out.mkdir(parents=True, exist_ok=True)
    key = "val_loss" if any("val_loss" in r.history for r in runs) else "loss"
    chart = sweep_curves([(f"{r.label} ({r.status})", r.history, r.restored_epoch) for r in runs], key,
                         out / "sweep.png", title)
    data = [{"run": r.label, "overrides": r.overrides, "status": r.status, "message": r.message,
             "restored_epoch": r.restored_epoch, "epochs_run": len(r.history.get("loss", [])),
             "restored": {k: r.at_restored(k) for k, v in r.history.items() if v},
             "final": {k: v[-1] for k, v in r.history.items() if v}, "test": r.metrics.get("test", {}).get("accuracy"),
             "test_samples": r.metrics.get("test", {}).get("n")}
            for r in runs]
    atomic.write_json(out / "sweep.json", data, default=str)
    atomic.write_text(out / "sweep.txt", table(runs) + "\n")
    return {"chart": chart, "json": out / "sweep.json", "table": out / "sweep.txt"}


def split_sets(items: list[str]) -> tuple[list[str], list[str]]:
    """``--set`` items with several values are swept; single values are fixed overrides."""
    swept, fixed = [], []
    for item in items:
        _, _, text = item.partition("=")
        values = _split_values(text)
        is_list_literal = text.strip().startswith("[") and len(values) == 1
        (swept if len(values) > 1 and not is_list_literal else fixed).append(item)
    if not swept:
        raise ConfigError("Expected at least one --set key=v1,v2,... with several values to sweep. "
                          f"Received: {items or 'no --set'}")
    for item in fixed:
        parse_value(item.partition("=")[2])
    return swept, fixed
