"""``edgenn train CONFIG [--set key=value ...] [--out DIR]``: train one config into a run directory."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "train a model from a config file into a run directory (re-running resumes it)"
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "dir"}
#: what the CLI adds when the user interrupts training (Ctrl-C)
ON_INTERRUPT = "re-running the same command resumes from the last finished epoch"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="experiment config (TOML), e.g. configs/mnist_cnn.toml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set optimizer.lr=0.01 (repeatable; a relative path given "
                             "here is relative to the working directory, one in the config file to that file)")
    parser.add_argument("--out", help="run directory (default: runs/<config name>)")
    parser.add_argument("--overwrite", action="store_true", help="replace a run directory that holds another run")
    parser.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                        help="tf.distribute strategy (overrides train.strategy; multiworker reads TF_CONFIG)")
    parser.add_argument("--json", metavar="FILE", help="also write the test metrics as JSON to FILE")


def run(args: argparse.Namespace) -> int:
    from pipelines.config import load_config

    overrides = list(args.overrides) + ([f"train.strategy={args.strategy}"] if args.strategy else [])
    config = load_config(args.config, overrides)  # bad configs fail before TensorFlow loads
    out = Path(args.out or Path("runs") / config.name)

    from pipelines.train import Diverged, summary_line, train

    result = train(config, out, overwrite=args.overwrite)
    if result.status == "diverged":
        raise Diverged(f"{args.config}: {result.message}")
    if result.message:
        print(result.message)
    print(summary_line(result))
    if args.json:
        from edge_runtime import atomic

        atomic.write_json(args.json, result.metrics)
    return 0
