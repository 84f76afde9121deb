"""The `edgenn` entry point: version, help, and one-line user errors."""

import subprocess
import sys

from edge_runtime import __version__
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
