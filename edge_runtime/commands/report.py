"""``edgenn report A.json B.json ... --out report.html``: merge bench runs from several devices into one report."""

from __future__ import annotations

import argparse

HELP = ("merge bench results (edgenn bench --json) from one or more devices into a self-contained HTML report "
        "(and Markdown / JSON): latency per variant, fastest and recommended variant per device, accuracy vs "
        "latency vs size with the Pareto front, latency and temperature over time, energy")
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "file"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="BENCH.json", help="bench result files (schema bench-v1)")
    parser.add_argument("--out", default="report.html", metavar="FILE",
                        help="HTML report to write (default: report.html)")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown")
    parser.add_argument("--json", metavar="FILE", help="also write the merged comparison (rows and verdicts) as JSON")
    parser.add_argument("--title", default="edgenn benchmark report", help="report title")


def run(args: argparse.Namespace) -> int:
    from edge_runtime.atomic import write_json, write_text
    from edge_runtime.report import load_runs, render_html, render_markdown, summary
    from edge_runtime.report.devices import device_count

    runs = load_runs(args.inputs)
    sources = [str(p) for p in args.inputs]
    # render everything before writing anything, so a failure leaves no partial set of outputs
    outputs = [(args.out, render_html(runs, args.title, sources=sources))]
    if args.markdown:
        outputs.append((args.markdown, render_markdown(runs, args.title, sources=sources)))
    for path, text in outputs:
        write_text(path, text)
    if args.json:
        write_json(args.json, summary(runs))
    devices = device_count(runs)
    results = sum(len(r["results"]) for r in runs)
    written = ", ".join(p for p in (args.out, args.markdown, args.json) if p)
    print(f"report: {results} results from {len(runs)} run(s) on {devices} device(s) -> {written}")
    from edge_runtime.report.compare import comparability_warnings

    for warning in comparability_warnings(runs):
        print(f"warning: {warning}")
    return 0
