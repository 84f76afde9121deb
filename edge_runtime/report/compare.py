"""Merging bench runs into comparable rows: per device, the Pareto front, fastest and recommended.

Nothing assumes that a quantized model is faster: each quantized row is compared with the fp32
model of the same format, backend, bundle and thread count on the same device, and the verdict
names the variant that measured fastest.
"""

from __future__ import annotations

from collections import defaultdict

from edge_runtime.report.devices import base_label, group_runs

#: a variant within this accuracy (absolute) of the device's best counts as "as accurate"
ACCURACY_TOLERANCE = 0.01


def device_label(device: dict) -> str:
    """"<board or CPU> (<label or hostname>)"; :func:`merge` makes it unique per machine (report/devices.py)."""
    return base_label(device)


def energy_figures(power: dict) -> dict:
    """The three energy figures of a result, each labelled: estimate, measured, lower bound (uJ/inference).

    A bench file written before the CPU-time estimate existed has only the MAC/bytes figure under
    ``estimate`` (no ``model``): it is read as the lower bound it is, and the estimate is absent.
    """
    measured = (power.get("measured") or {}).get("energy_uj_per_inference")
    estimate, lower = power.get("estimate") or {}, power.get("lower_bound") or {}
    if estimate and not estimate.get("model"):
        estimate, lower = {}, estimate
    return {"energy_estimate_uj": estimate.get("energy_uj_per_inference"),
            "energy_estimate_source": estimate.get("source"),
            "energy_estimate_basis": f"{estimate['board']}, {estimate['watts_per_core']:.3g} W/core"
            if estimate.get("board") else None,
            "energy_measured_uj": measured, "energy_measured_source": (power.get("measured") or {}).get("source"),
            "energy_lower_bound_uj": lower.get("energy_uj_per_inference")}


def _energy(figures: dict) -> tuple[float | None, str | None, str | None]:
    """The one figure a single-number column shows: measured where there is one, else the estimate."""
    if figures["energy_measured_uj"] is not None:
        return figures["energy_measured_uj"], "measured", figures["energy_measured_source"]
    if figures["energy_estimate_uj"] is not None:
        return figures["energy_estimate_uj"], "estimate", figures["energy_estimate_source"]
    return None, None, None


def sustained(result: dict) -> dict | None:
    """The sustained-run verdict: the bench's own when it carries its evidence, else re-judged from the timeline.

    Files written before evidence was required flagged throttling from latency drift alone, partial last
    window included; their timeline is judged again, the last window dropped when it is shorter than the others.
    """
    verdict, points = result.get("sustained"), result.get("timeline") or []
    if verdict is None or "evidence" in verdict or not points:
        return verdict
    from edge_runtime.bench import COMPLETE_SHARE, sustained_verdict

    ends = [0.0] + [p["t_s"] for p in points]
    spans = [b - a for a, b in zip(ends, ends[1:], strict=False)]
    full = sorted(spans)[len(spans) // 2]
    marked = [{**p, "complete": p.get("complete", span >= COMPLETE_SHARE * full)} for p, span in zip(points, spans, strict=True)]
    return sustained_verdict(marked)


def _throttled(result: dict) -> bool | None:
    """Throttled with evidence: the sustained verdict when there is one, else the bench's before/after flags."""
    verdict = sustained(result)
    thermal = (result.get("thermal") or {}).get("throttled")
    if verdict is None:
        return thermal
    return verdict["throttling_suspected"] or bool(thermal and "evidence" in (result.get("sustained") or {}))


def result_row(run: dict, result: dict) -> dict:
    """One flat row of the comparison table for ``result`` of ``run``."""
    lat = result["latency_us"]
    e2e, pre, inf = lat["end_to_end"], lat["preprocess"], lat["inference"]
    figures = energy_figures(result.get("power") or {})
    energy, label, source = _energy(figures)
    settings = run["settings"]
    how = f"sustained {settings['duration_s']:g} s" if settings.get("duration_s") else f"{settings['runs']} runs"
    return {
        "device": device_label(run["device"]), "bundle": run["bundle"]["name"], "task": run["bundle"].get("task"),
        "run": f"{how}, {run['created'][:16].replace('T', ' ')}",
        "model_id": result["model_id"], "format": result["format"], "variant": result["variant"],
        "in_model_ops": list(result.get("in_model_ops") or []),  # absent in older results: none
        "precision": result["precision"], "backend": result["backend"], "threads": result["threads"],
        "size_bytes": result["size_bytes"], "params": result.get("params"), "macs": result.get("macs"),
        "accuracy": result.get("accuracy"), "agreement": result.get("agreement"),
        "agreement_samples": result.get("agreement_samples"),
        "accuracy_samples": result.get("accuracy_samples"), "dataset": run["bundle"].get("dataset"),
        # higher is better only for classification accuracy; a regression metric is shown, not ranked
        "score": result.get("accuracy") if run["bundle"].get("task") != "regression" else None,
        "p50_us": e2e["p50"], "p99_us": e2e["p99"], "p50_ci95": e2e["p50_ci95"],
        "inference_p50_us": inf["p50"], "preprocess_p50_us": pre["p50"],
        "preprocess_share": pre["p50"] / e2e["p50"] if e2e["p50"] else None,
        "cpu_us": result["cpu_time_us_per_inference"], "throughput_per_s": result["throughput_per_s"],
        "peak_rss_mb": result["peak_rss_mb"], "cold_start_us": result["cold_start_us"]["total"],
        "energy_uj": energy, "energy_label": label, "energy_source": source, **figures,
        "throttled": _throttled(result),
        "pareto": False, "fastest": False, "recommended": False, "vs_fp32": None, "fp32_p50_us": None,
        "result": result,
    }


def repeated(rows: list[dict]) -> bool:
    """Whether some model, backend and thread count appears in more than one run (then runs are named)."""
    keys = [(r["bundle"], r["model_id"], r["backend"], r["threads"]) for r in rows]
    return len(set(keys)) < len(keys)


def model_label(row: dict, with_bundle: bool | None = None) -> str:
    """The model a row measured: its id, as ``bundle/id`` when several bundles are merged.

    ``with_bundle`` defaults to what :func:`merge` recorded on the row. An id that already starts with
    ``bundle/`` is not prefixed twice.
    """
    if with_bundle is None:
        with_bundle = row.get("several_bundles", False)
    model_id, bundle = row["model_id"], row["bundle"]
    return f"{bundle}/{model_id}" if with_bundle and not model_id.startswith(f"{bundle}/") else model_id


def name(row: dict, with_bundle: bool | None = None) -> str:
    """A row's display name: model id, backend and threads (and bundle when several are merged)."""
    return f"{model_label(row, with_bundle)} ({row['backend']}, {row['threads']} thr)"


def dominates(a: dict, b: dict) -> bool:
    """``a`` is no worse than ``b`` in latency, size and accuracy (``score``) and better in one.

    Accuracy counts only when both rows have it; a row with and a row without never dominate
    each other (we cannot compare what was not measured).
    """
    acc_a, acc_b = a["score"], b["score"]
    if (acc_a is None) != (acc_b is None):
        return False
    better_or_equal = a["p50_us"] <= b["p50_us"] and a["size_bytes"] <= b["size_bytes"]
    strictly = a["p50_us"] < b["p50_us"] or a["size_bytes"] < b["size_bytes"]
    if acc_a is not None:
        better_or_equal = better_or_equal and acc_a >= acc_b
        strictly = strictly or acc_a > acc_b
    return better_or_equal and strictly


def pareto_front(rows: list[dict]) -> list[dict]:
    """The rows no other row dominates (accuracy up, latency and size down)."""
    return [r for r in rows if not any(dominates(o, r) for o in rows if o is not r)]


def _compare_with_fp32(rows: list[dict]) -> None:
    """Set ``vs_fp32`` (p50 ratio, > 1 means slower) and ``fp32_p50_us`` on every non-fp32 row with an
    fp32 sibling."""
    def key(r: dict) -> tuple:  # the same run (bench file) only: never a ratio across two runs or machines
        return (r.get("run_index"), r["bundle"], r["format"], r["backend"], r["threads"])

    fp32 = {key(r): r for r in rows if r["precision"] == "fp32"}
    for row in rows:
        ref = fp32.get(key(row))
        if ref is not None and ref is not row and ref["p50_us"]:
            row["vs_fp32"] = row["p50_us"] / ref["p50_us"]
            row["fp32_p50_us"] = ref["p50_us"]
            row["slower_than_fp32"] = _clearly_slower(row, ref)


def _clearly_slower(row: dict, ref: dict) -> bool:
    """Slower beyond measurement noise: the p50 confidence intervals do not overlap (or, without
    intervals, more than 2% slower). A 1.0004x ratio is a tie, not a finding."""
    low, high = (row.get("p50_ci95") or [None, None]), (ref.get("p50_ci95") or [None, None])
    if low[0] is not None and high[1] is not None:
        return low[0] > high[1]
    return row["p50_us"] > 1.02 * ref["p50_us"]


def verdict(rows: list[dict], tolerance: float = ACCURACY_TOLERANCE) -> dict:
    """Fastest and recommended rows of one device, and the rule that chose the recommendation."""
    fastest = min(rows, key=lambda r: r["p50_us"])
    scored = [r for r in rows if r["score"] is not None]
    if scored:
        best = max(r["score"] for r in scored)
        eligible = [r for r in scored if r["score"] >= best - tolerance]
        recommended = min(eligible, key=lambda r: (r["p50_us"], r["size_bytes"]))
        rule = (f"fastest end-to-end p50 among variants within {tolerance:.0%} accuracy of the best "
                f"({best:.4f}); ties go to the smaller model")
    else:
        recommended = fastest
        rule = "no classification accuracy recorded: the fastest end-to-end p50"
    slower = [r for r in rows if r.get("slower_than_fp32") and r["precision"] != "fp32"]
    return {"fastest": fastest, "recommended": recommended, "rule": rule,
            "slower_than_fp32": sorted(slower, key=lambda r: -r["vs_fp32"])}


def comparison_group(run: dict) -> tuple[str | None, str | None]:
    """(task, dataset) of a run's bundle: accuracies and recommendations compare only within one."""
    bundle = run["bundle"]
    return bundle.get("task"), bundle.get("dataset")


def group_label(group: tuple[str | None, str | None]) -> str:
    task, dataset = group
    return f"{task or 'unknown task'} on {dataset or 'an unrecorded dataset'}"


def comparability_warnings(runs: list[dict]) -> list[str]:
    """What the reader must know before comparing accuracies across bundles: several tasks or datasets
    (compared separately), or bundles whose dataset is not recorded (compared as if it were the same)."""
    if len({run["bundle"]["name"] for run in runs}) < 2:
        return []
    groups = sorted({comparison_group(run) for run in runs}, key=str)
    warnings = []
    if len(groups) > 1:
        warnings.append("These results come from bundles of different tasks or datasets ("
                        + "; ".join(group_label(g) for g in groups) + "): each is compared and recommended "
                        "separately, never across.")
    unknown = sorted({run["bundle"]["name"] for run in runs if not run["bundle"].get("dataset")})
    if unknown:
        warnings.append(f"Bundle(s) {', '.join(unknown)} do not record their dataset (exported before it was "
                        "recorded, or bare models): their accuracies are compared with the others' as if measured "
                        "on the same data, which may not hold.")
    return warnings


def merge(runs: list[dict]) -> dict:
    """Rows of every run grouped by device and run (:func:`edge_runtime.report.devices.group_runs`) and, when
    runs differ, by bundle task and dataset, with Pareto, fastest and recommended marked per group.

    Every row records ``several_bundles`` (its display name then carries the bundle) and that ``name``.
    """
    by_device: dict[str, list[dict]] = defaultdict(list)
    devices: dict[str, dict] = {}
    several = len({run["bundle"]["name"] for run in runs}) > 1
    several_groups = len({comparison_group(run) for run in runs}) > 1
    for label, indexes in group_runs(runs).items():
        devices[label] = runs[indexes[0]]["device"]
        for i in indexes:
            key = f"{label}, {group_label(comparison_group(runs[i]))}" if several_groups else label
            for result in runs[i]["results"]:
                row = {**result_row(runs[i], result), "device": label, "run_index": i, "several_bundles": several}
                by_device[key].append({**row, "name": name(row)})
    verdicts = {}
    for label, rows in by_device.items():
        _compare_with_fp32(rows)
        for row in pareto_front(rows):
            row["pareto"] = True
        verdicts[label] = verdict(rows)
        verdicts[label]["fastest"]["fastest"] = True
        verdicts[label]["recommended"]["recommended"] = True
    return {"devices": devices, "rows": dict(by_device), "verdicts": verdicts,
            "bundles": sorted({r["bundle"]["name"] for r in runs}), "warnings": comparability_warnings(runs)}
