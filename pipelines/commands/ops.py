"""``edgenn ops [OP]``: the preprocessing ops with their parameters, defaults and what they compute."""

from __future__ import annotations

import argparse

HELP = "list the preprocessing ops: parameters, defaults, fitted state and what each computes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("op", nargs="?", metavar="OP", help="show only this op (e.g. sobel)")


def run(args: argparse.Namespace) -> int:
    from pipelines.reference import ops_text

    print(ops_text(args.op))
    return 0
