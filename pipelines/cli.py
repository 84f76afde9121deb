"""The ``edgenn`` command line: a registry of subcommands, each loaded from its own module.

Start-up imports only argparse and the command modules (which import nothing heavy at top
level), so ``edgenn --version`` and the edge commands never load TensorFlow. A ``UserError``
prints one line and exits 2 (so does a missing optional dependency, naming the extra to install);
``--verbose`` (before or after the subcommand) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import os
import signal
import sys
import threading

from edge_runtime import __version__
from edge_runtime.atomic import ENVIRONMENT_ERRNOS
from edge_runtime.errors import UserError

#: subcommand name -> module with HELP, add_arguments(parser), run(args) -> int (and optionally
#: ON_INTERRUPT, the hint printed when the user stops the command)
COMMANDS: dict[str, str] = {
    # the workstation: data, training, export (the train extra)
    "demo": "pipelines.commands.demo",
    "datasets": "pipelines.commands.datasets",
    "train": "pipelines.commands.train",
    "sweep": "pipelines.commands.sweep",
    "export": "pipelines.commands.export",
    "robustness": "pipelines.commands.robustness",
    "config": "pipelines.commands.config",
    "ops": "pipelines.commands.ops",
    "wheelhouse": "pipelines.commands.wheelhouse",
    # the device: bundles, inference, measurement (the edge extra only)
    "inspect": "edge_runtime.commands.inspect",
    "predict": "edge_runtime.commands.predict",
    "evaluate": "pipelines.commands.evaluate",
    "bench": "edge_runtime.commands.bench",
    "report": "edge_runtime.commands.report",
    "deploy": "edge_runtime.commands.deploy",
}

#: output flags every command's paths are checked for before it runs (a command module's ``OUTPUTS``
#: adds its own, e.g. ``{"out": "dir"}``): a bad path costs one line, not a finished training run
OUTPUT_FLAGS: dict[str, str] = {"json": "file", "markdown": "file"}

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
    parser.set_defaults(_parser=parser)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        command.set_defaults(_parser=command)
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="show tracebacks and debug output")
        module.add_arguments(command)
        command.set_defaults(_run=module.run, _outputs={**OUTPUT_FLAGS, **getattr(module, "OUTPUTS", {})})
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same ``finally`` and ``atexit`` clean-ups run."""


def _terminate(signum, frame) -> None:
    raise Terminated


def check_outputs(args: argparse.Namespace) -> None:
    """Every output path the command was given, checked before it runs (OutputError naming the flag)."""
    from edge_runtime.atomic import check_output_path

    for flag, kind in args._outputs.items():
        value = getattr(args, flag, None)
        if value:
            check_output_path(value, kind, flag=f"--{flag}")


def _run_quietly(args: argparse.Namespace) -> int:
    """Run the command with engine chatter (``edge_runtime.chatter``) hidden unless ``-v``."""
    from edge_runtime.chatter import filtered_stderr

    if args.verbose:
        os.environ.setdefault("EDGENN_TF_LOGS", "1")  # models.backend: TensorFlow's start-up lines too
    with filtered_stderr(enabled=not args.verbose):
        return int(args._run(args) or 0)


def _refuse_unknown(parser: argparse.ArgumentParser, unknown: list[str]) -> None:
    """Exit 2 with the (sub)command's own usage, naming the closest known flag for each unknown one."""
    flags = {flag.lstrip("-"): flag for action in parser._actions for flag in action.option_strings
             if flag.startswith("--")}
    hints = []
    for arg in unknown:
        word = arg.split("=")[0].lstrip("-")
        close = difflib.get_close_matches(word, list(flags), n=1, cutoff=0.7) if arg.startswith("-") else []
        hints.append(f"{arg} (did you mean {flags[close[0]]}?)" if close else arg)
    parser.error(f"unrecognized arguments: {' '.join(hints)}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _refuse_unknown(args._parser, unknown)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    with _sigterm_as_interrupt():
        return _run(args)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While a command runs, SIGTERM cleans up like Ctrl-C (the default handler would exit on the spot)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; user errors and the environment's write errors become one line, exit 2."""
    try:
        check_outputs(args)
        return _run_quietly(args)
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
    except OSError as exc:  # the environment (full disk, read-only mount, permissions), not a bug: one line
        if args.verbose or exc.errno not in ENVIRONMENT_ERRNOS:
            raise
        print(f"edgenn {args.command}: error: {exc.filename or 'a file'}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        hint = getattr(sys.modules.get(args._run.__module__), "ON_INTERRUPT", "")
        print(f"edgenn {args.command}: {'terminated' if terminated else 'interrupted'}" + (f"; {hint}" if hint else ""),
              file=sys.stderr)
        return 143 if terminated else 130


if __name__ == "__main__":
    sys.exit(main())
