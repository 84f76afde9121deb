"""``edgenn sweep CONFIG --set key=v1,v2,...``: one run per value, curves on one chart, a results table."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "train a config once per value of a setting (e.g. learning rates) and compare the runs"
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "dir"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="experiment config (TOML)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=V1,V2,...",
                        help="values to sweep, e.g. --set optimizer.lr=1e-4,1e-3,1e-2,1e-1; a single value is a fixed override")
    parser.add_argument("--out", help="sweep directory (default: runs/<config name>-sweep)")
    parser.add_argument("--overwrite", action="store_true", help="replace runs of another config in the sweep directory")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")


def run(args: argparse.Namespace) -> int:
    from pipelines.config import load_config
    from pipelines.sweep import expand, split_sets

    swept, fixed = split_sets(args.overrides)
    base = load_config(args.config, fixed)
    for combo in expand(swept):  # every combination must be a valid config before anything trains
        load_config(args.config, [*fixed, *combo])
    out = Path(args.out or Path("runs") / f"{base.name}-sweep")

    from pipelines.sweep import sweep, table, write_report

    runs = sweep(args.config, swept, out, fixed=fixed, overwrite=args.overwrite)
    paths = write_report(runs, out, f"{base.name}: {', '.join(s.partition('=')[0] for s in swept)}")
    print(table(runs))
    print(f"curves: {paths['chart']}")
    if args.json:
        Path(args.json).write_text(paths["json"].read_text("utf-8"), "utf-8")
    return 0
