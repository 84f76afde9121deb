"""`edgenn robustness RUN_DIR|BUNDLE`: FGSM accuracy vs epsilon for the float model and every exported variant."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("FGSM adversarial examples (Goodfellow et al. 2015) crafted on the float model, measured on it and on "
        "every variant of a bundle; writes robustness.json and an accuracy-vs-epsilon chart")
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "dir"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="RUN_DIR|BUNDLE",
                        help="a run directory from `edgenn train`, or a bundle from `edgenn export`")
    parser.add_argument("--eps", default="0,0.05,0.1,0.2",
                        help="comma-separated perturbation sizes, as fractions of the input range (default: %(default)s)")
    parser.add_argument("--run", metavar="RUN_DIR",
                        help="the run a BUNDLE was exported from (default: its manifest's source_run)")
    parser.add_argument("--surrogate", metavar="RUN_DIR",
                        help="also craft on this run's float model: a transfer attack, beside the white-box one "
                             "(the only attack when an op of the target's preprocessing, e.g. lbp, has no "
                             "differentiable graph twin)")
    parser.add_argument("--limit", type=int, default=1000, help="held-out samples to attack (default: %(default)s)")
    parser.add_argument("--backend", help="edge backend for the bundle's variants (default: each model's own)")
    parser.add_argument("--out", metavar="DIR", help="where robustness.json and robustness.png go (default: the run)")
    parser.add_argument("--json", metavar="FILE", help="also write the result JSON to FILE")


def run(args: argparse.Namespace) -> int:
    from edge_runtime import atomic
    from edge_runtime.errors import ConfigError
    from models.rundir import load_run
    from pipelines import robustness

    eps = robustness.parse_eps(args.eps)
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"Expected --limit as a positive number of samples. Received: limit={args.limit}")
    run_dir, bundle = robustness.resolve_target(args.target, run=args.run)
    target = load_run(run_dir)
    surrogate = load_run(args.surrogate) if args.surrogate else None
    print(f"robustness: crafting FGSM examples for eps={eps}"
          f"{f' (and on surrogate {surrogate.name!r})' if surrogate else ''}", flush=True)
    result = robustness.evaluate(target, eps, bundle=bundle, surrogate=surrogate, limit=args.limit,
                                 backend=args.backend)
    out = Path(args.out) if args.out else target.path
    out.mkdir(parents=True, exist_ok=True)
    chart = robustness.plot([result], out / robustness.CHART_FILE)
    result["chart"] = chart.name
    written = atomic.write_json(out / robustness.RESULT_FILE, result)
    if args.json:
        atomic.write_json(args.json, result)
    print(robustness.format_table(result))
    print(f"wrote {written} and {chart}")
    return 0
