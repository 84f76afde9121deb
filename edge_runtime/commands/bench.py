"""``edgenn bench BUNDLE|MODEL``: cold start, latency percentiles, CPU time, memory, thermal and energy."""

from __future__ import annotations

import argparse

from edge_runtime.commands.predict import add_model_arguments, backend_options

HELP = ("benchmark a bundle or a bare .tflite/.onnx: cold start, preprocessing/inference/end-to-end latency "
        "(us, percentiles, bootstrap CI), throughput, CPU time, peak RSS, temperature, clocks and energy")


def _threads(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected thread counts like 1,2,4, received {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected thread counts >= 1, received {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", metavar="BUNDLE|MODEL", help="bundle directory or .zip, or a bare .tflite/.onnx")
    add_model_arguments(parser, many=True)
    from edge_runtime.bench_settings import BenchSettings
    from edge_runtime.fields import add_flag

    add_flag(parser, BenchSettings, "threads", type=_threads, metavar="1,2,4")
    length = parser.add_mutually_exclusive_group()
    add_flag(length, BenchSettings, "runs", type=int, metavar="N")
    add_flag(length, BenchSettings, "duration_s", "--duration", type=float, metavar="S")
    add_flag(parser, BenchSettings, "warmup", type=int, metavar="N")
    add_flag(parser, BenchSettings, "batch", type=int, metavar="N")
    add_flag(parser, BenchSettings, "window_s", "--window", type=float, metavar="S")
    add_flag(parser, BenchSettings, "energy")
    parser.add_argument("--json", metavar="FILE", help="write the bench result JSON (schema bench-v1) to FILE")


def run(args: argparse.Namespace) -> int:
    from edge_runtime.atomic import write_json
    from edge_runtime.bench import BenchSettings, run_bench
    from edge_runtime.bundle import open_bundle
    from edge_runtime.fields import values

    settings = BenchSettings(**values(args, BenchSettings))
    with open_bundle(args.bundle) as bundle:
        if args.all:
            model_ids = [m["id"] for m in bundle.models_for(args.backend)]
        else:
            from edge_runtime.choice import explain

            chosen = [(v, bundle.model(v, args.backend)) for v in (args.variant or [None])]
            for requested, model in chosen:
                print(explain(bundle, requested, args.backend, model))
            model_ids = [model["id"] for _, model in chosen]
        result = run_bench(bundle, model_ids, args.backend, settings,
                           options_for=lambda model: backend_options(args, model["format"], strict=len(model_ids) == 1),
                           progress=_progress, on_window=_window_line)
        for note in bundle.notes:
            print(f"note: {note}")
        print(bench_table(result))
        if args.json:
            write_json(args.json, result)
            print(f"wrote {args.json}")
    return 0


def _progress(r: dict) -> None:
    print(f"  {r['model_id']} on {r['backend']} x{r['threads']}: end-to-end p50 "
          f"{r['latency_us']['end_to_end']['p50']:.1f} us", flush=True)


def _window_line(model_id: str, point: dict, p50_so_far: float | None) -> None:
    """One line per sustained-mode window: elapsed time, p50 so far, this window's p50, hottest zone."""
    temp = "-" if point.get("temperature_c") is None else f"{point['temperature_c']:.1f} C"
    so_far = "-" if p50_so_far is None else f"{p50_so_far:.1f} us"
    cut = "" if point.get("complete", True) else " (partial window, not judged)"
    print(f"    {model_id} {point['t_s']:7.1f} s: p50 so far {so_far}, window p50 {point['end_to_end_p50_us']:.1f} us, "
          f"temperature {temp}{cut}", flush=True)


def energy_cells(power: dict) -> tuple[str, str]:
    """(estimate, measured) energy cells in uJ per inference; "-" where there is none."""
    estimate, measured = power.get("estimate") or {}, power.get("measured") or {}
    est = "-"
    if estimate.get("energy_uj_per_inference") is not None and estimate.get("model"):
        est = f"~{estimate['energy_uj_per_inference']:.3g}"
    meas = measured.get("energy_uj_per_inference")
    return est, "-" if meas is None else f"{meas:.3g}"


def bench_table(result: dict) -> str:
    """The results as a fixed-width table (microseconds unless stated), then the fastest variant."""
    from edge_runtime.bench import fastest
    from edge_runtime.report import fmt
    from edge_runtime.tables import format_table

    head = ("model", "backend", "thr", "size", "e2e p50 [95% CI]", "e2e p99", "infer p50", "prep p50",
            "inf/s", "cpu us/inf", "cold ms", "RSS MB", "est uJ/inf")
    rows = []
    measured = any(energy_cells(r["power"])[1] != "-" for r in result["results"])
    for r in result["results"]:
        lat = r["latency_us"]
        e2e = lat["end_to_end"]
        est, meas = energy_cells(r["power"])
        rows.append((r["model_id"], r["backend"], str(r["threads"]), fmt.size(r['size_bytes']),
                     f"{e2e['p50']:.1f} [{e2e['p50_ci95'][0]:.1f}, {e2e['p50_ci95'][1]:.1f}]",
                     f"{e2e['p99']:.1f}", f"{lat['inference']['p50']:.1f}", f"{lat['preprocess']['p50']:.1f}",
                     f"{r['throughput_per_s']:.0f}", f"{r['cpu_time_us_per_inference']:.1f}",
                     f"{r['cold_start_us']['total'] / 1e3:.1f}", f"{r['peak_rss_mb']:.0f}", est)
                    + ((meas,) if measured else ()))
    lines = format_table(head + (("measured uJ/inf",) if measured else ()), rows)
    best = fastest(result["results"])
    if best is not None and len(result["results"]) > 1:
        lines.append(f"fastest end-to-end here: {best['model_id']} on {best['backend']} x{best['threads']} "
                     f"({best['latency_us']['end_to_end']['p50']:.1f} us p50)")
    for r in result["results"]:
        verdict = r.get("sustained")
        if verdict:
            lines.append(f"sustained run, {r['model_id']}: {verdict.get('summary') or '; '.join(verdict['reasons'])}")
    lines += _energy_notes(result["results"])
    return "\n".join(lines)


def _energy_notes(results: list[dict]) -> list[str]:
    """Say once what the energy columns are: the estimate's model and source, the lower bound, the sensor."""
    if not results:
        return []
    first = results[0]["power"]
    estimate, notes = first.get("estimate") or {}, []
    if estimate.get("model"):
        notes.append(f"est uJ/inf = {estimate['method']}; source: {estimate['source']}")
    bounds = [r["power"].get("lower_bound") for r in results]
    if any(bounds):
        low = ", ".join(f"{r['model_id']} {b['energy_uj_per_inference']:.3g}" for r, b in zip(results, bounds, strict=True) if b)
        notes.append(f"lower bound from MACs and bytes moved (Horowitz, ISSCC 2014, 45 nm arithmetic only), uJ: {low}")
    if first.get("unavailable_reason"):
        notes.append(f"measured energy unavailable: {first['unavailable_reason']}")
    cold = results[0]["cold_start_us"].get("method")
    if cold:
        notes.append(f"cold ms = {cold}")
    return notes
