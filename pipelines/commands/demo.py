"""``edgenn demo``: the main job, from data to a device latency report, in one command."""

from __future__ import annotations

import argparse

HELP = ("train the MLP, CNN and hybrid on MNIST, export every variant to TFLite and ONNX, validate, evaluate "
        "and benchmark them through the edge runtime, attack them with FGSM, and write one report")
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "dir"}


#: what the CLI adds when the user interrupts the demo (Ctrl-C)
ON_INTERRUPT = "re-running the same command finishes the demo, reusing every finished stage"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="auto", metavar="auto|mnist|mnist-5k|URI",
                        help="dataset: auto = full MNIST when cached or downloadable, else the offline MNIST-5k "
                             "(default: auto)")
    parser.add_argument("--out", default="runs/demo", metavar="DIR",
                        help="output directory; a re-run reuses its finished stages (default: runs/demo)")
    from pipelines.demo import PROFILES

    parser.add_argument("--quick", action="store_true",
                        help=f"fewer epochs and samples, the slowest tfmot variants skipped "
                             f"({PROFILES['quick'].duration}; without it {PROFILES['default'].duration})")
    parser.add_argument("--overwrite", action="store_true",
                        help="empty DIR first (it holds something else, or start the demo afresh)")
    parser.add_argument("--json", metavar="FILE", help="also write the report JSON to FILE")


def run(args: argparse.Namespace) -> int:
    from pipelines.demo import DemoSettings, run_demo

    settings = DemoSettings(data=args.data, out=args.out, quick=args.quick)
    summary = run_demo(settings, overwrite=args.overwrite)
    if args.json:
        import shutil

        shutil.copyfile(summary["report_json"], args.json)
    return 0
