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
            model_ids = [bundle.model(v, args.backend)["id"] for v in (args.variant or [None])]
        result = run_bench(bundle, model_ids, args.backend, settings,
                           options_for=lambda model: backend_options(args, model["format"], strict=len(model_ids) == 1),
                           progress=_progress)
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


def bench_table(result: dict) -> str:
    """The results as a fixed-width table (microseconds unless stated), then the fastest variant."""
    from edge_runtime.bench import fastest
    from edge_runtime.report import fmt
    from edge_runtime.tables import format_table

    head = ("model", "backend", "thr", "size", "e2e p50 [95% CI]", "e2e p99", "infer p50", "prep p50",
            "inf/s", "cpu us/inf", "cold ms", "RSS MB", "energy uJ")
    rows = []
    for r in result["results"]:
        lat = r["latency_us"]
        e2e = lat["end_to_end"]
        power = r["power"]
        energy = "-"
        if power.get("measured") and power["measured"].get("energy_uj_per_inference") is not None:
            energy = f"{power['measured']['energy_uj_per_inference']:.2f}"
        elif power.get("estimate"):
            energy = f"~{power['estimate']['energy_uj_per_inference']:.2f} est"
        rows.append((r["model_id"], r["backend"], str(r["threads"]), fmt.size(r['size_bytes']),
                     f"{e2e['p50']:.1f} [{e2e['p50_ci95'][0]:.1f}, {e2e['p50_ci95'][1]:.1f}]",
                     f"{e2e['p99']:.1f}", f"{lat['inference']['p50']:.1f}", f"{lat['preprocess']['p50']:.1f}",
                     f"{r['throughput_per_s']:.0f}", f"{r['cpu_time_us_per_inference']:.1f}",
                     f"{r['cold_start_us']['total'] / 1e3:.1f}", f"{r['peak_rss_mb']:.0f}", energy))
    lines = format_table(head, rows)
    best = fastest(result["results"])
    if best is not None and len(result["results"]) > 1:
        lines.append(f"fastest end-to-end here: {best['model_id']} on {best['backend']} x{best['threads']} "
                     f"({best['latency_us']['end_to_end']['p50']:.1f} us p50)")
    for r in result["results"]:
        verdict = r.get("sustained")
        if verdict and verdict["throttling_suspected"]:
            lines.append(f"THROTTLING suspected for {r['model_id']}: {'; '.join(verdict['reasons'])}")
        if r["power"].get("unavailable_reason") and r is result["results"][0]:
            lines.append(f"energy: measured unavailable ({r['power']['unavailable_reason']}); "
                         "'est' = estimate from MACs and bytes moved (Horowitz, ISSCC 2014)")
    return "\n".join(lines)
