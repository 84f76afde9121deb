"""The ``edgenn`` command line: a registry of subcommands, each loaded from its own module.

Start-up imports only argparse and the command modules (which import nothing heavy at top
level), so ``edgenn --version`` and the edge commands never load TensorFlow. A ``UserError``
prints one line and exits 2 (so does a missing optional dependency, naming the extra to install);
``--verbose`` (before or after the subcommand) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from edge_runtime import __version__
from edge_runtime.errors import UserError

#: subcommand name -> module with HELP, add_arguments(parser), run(args) -> int
COMMANDS: dict[str, str] = {
    # the workstation: data, training, export (the train extra)
    "demo": "pipelines.commands.demo",
    "datasets": "pipelines.commands.datasets",
    "train": "pipelines.commands.train",
    "sweep": "pipelines.commands.sweep",
    "export": "pipelines.commands.export",
    "robustness": "pipelines.commands.robustness",
    # the device: bundles, inference, measurement (the edge extra only)
    "inspect": "edge_runtime.commands.inspect",
    "predict": "edge_runtime.commands.predict",
    "evaluate": "pipelines.commands.evaluate",
    "bench": "edge_runtime.commands.bench",
    "report": "edge_runtime.commands.report",
    "deploy": "edge_runtime.commands.deploy",
}

#: top-level module -> the extra that installs it, so a partial install names what to add
EXTRA_OF_MODULE: dict[str, str] = {
    **dict.fromkeys(("tensorflow", "tf_keras", "tensorflow_model_optimization", "tf2onnx", "onnx", "sympy",
                     "matplotlib", "sklearn", "mlxtend"), "train"),
    **dict.fromkeys(("ai_edge_litert", "onnxruntime", "numpy", "PIL"), "edge"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edgenn",
        description="Train small networks behind classical preprocessing, export them, and measure them on the edge.",
    )
    parser.add_argument("--version", action="version", version=f"edgenn {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show tracebacks and debug output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="show tracebacks and debug output")
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        if args.verbose:
            raise
        print(f"edgenn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a dependency of an extra this install lacks
        extra = EXTRA_OF_MODULE.get((exc.name or "").partition(".")[0])
        if extra is None or args.verbose:
            raise
        print(f"edgenn {args.command}: error: Expected {exc.name} (needed by this command). Received: not installed. "
              f'Install it with: pip install "edgenn[{extra}]"', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"edgenn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
