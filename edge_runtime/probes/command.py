"""Running a board tool such as ``vcgencmd``, injectable so tests feed recorded output.

A runner is ``run(argv) -> str | None``: the command's output, or None when the tool is not
installed, fails to start or times out. Readers call the runner they are given; the real one is
used only for the real root "/" (a fake sysfs tree must never mix with this machine's tools).
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404: fixed argv lists, no shell
from collections.abc import Callable
from pathlib import Path

Runner = Callable[[list[str]], "str | None"]


def run_command(argv: list[str], timeout_s: float = 3.0) -> str | None:
    """Run ``argv`` without a shell; its stdout (and stderr when stdout is empty), or None."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, *argv[1:]], capture_output=True, text=True,  # noqa: S603
                              timeout=timeout_s, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout or done.stderr).strip()


def default_runner(root: str | Path, run: Runner | None) -> Runner | None:
    """``run`` if given; else the real runner for the real root "/", else None."""
    if run is not None:
        return run
    return run_command if Path(root).resolve() == Path("/") else None
