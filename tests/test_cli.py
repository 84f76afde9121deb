"""The `edgenn` entry point: version, help, and one-line user errors."""

import subprocess
import sys

import pytest

from edge_runtime import __version__
from pipelines import cli
from pipelines.cli import main


def test_version_flag_prints_the_package_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"edgenn {__version__}"


def test_console_script_starts_without_tensorflow():
    code = "import sys; from pipelines.cli import build_parser; build_parser(); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_user_error_is_one_line_on_stderr_with_exit_2(capsys):
    assert main(["datasets", "no-such-set"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("edgenn datasets: error: Expected a known dataset")
    assert "no-such-set" in captured.err and "mnist-5k" in captured.err


@pytest.mark.parametrize("argv", [["--verbose", "datasets", "no-such-set"], ["datasets", "no-such-set", "-v"]])
def test_verbose_before_or_after_the_subcommand_shows_the_traceback(argv):
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", *argv], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ConfigError: Expected a known dataset" in done.stderr


def test_without_a_subcommand_help_is_printed_and_exit_is_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_a_missing_optional_dependency_names_the_extra_to_install(tmp_path, monkeypatch, capsys):
    (tmp_path / "needs_tf2onnx.py").write_text(
        "HELP = 'test command'\n"
        "def add_arguments(parser):\n    pass\n"
        "def run(args):\n    import tf2onnx  # noqa: F401\n    return 0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # as on an edge-only install
    monkeypatch.setitem(cli.COMMANDS, "needs-tf2onnx", "needs_tf2onnx")
    assert main(["needs-tf2onnx"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "edgenn[train]"' in err and "tf2onnx" in err
    with pytest.raises(ModuleNotFoundError):
        main(["needs-tf2onnx", "--verbose"])
