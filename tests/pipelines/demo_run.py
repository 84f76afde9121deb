"""One real ``edgenn demo --quick`` per test session, shared by the demo and report-page tests.

It runs as a user runs it: the wheel built from this checkout, installed into a fresh venv
(``tests/installed_wheel.py``), started as ``edgenn demo --quick`` in a directory outside the
checkout. Each test module wraps :func:`quick_demo` in a session fixture; the module-level cache
makes the demo run once however many modules ask (a failure is cached too, so it is not retried).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.installed_wheel import build_wheel, clean_env, install_wheel

_CACHE: dict[str, object] = {}


def quick_demo(tmp_path_factory) -> Path:
    """The output directory of a finished quick demo on MNIST-5k (the offline data set)."""
    if "root" not in _CACHE:
        try:
            _CACHE["root"] = _run_installed_demo(tmp_path_factory)
        except BaseException as exc:
            _CACHE["root"] = exc
            raise
    found = _CACHE["root"]
    if isinstance(found, BaseException):
        raise RuntimeError("the quick demo failed earlier in this session") from found
    return found


def installed_bin(tmp_path_factory) -> Path:
    """The ``bin`` directory of the venv the wheel was installed into (built once per session)."""
    if "bin" not in _CACHE:
        work = tmp_path_factory.mktemp("wheel")
        _CACHE["bin"] = install_wheel(build_wheel(work), work)
    return _CACHE["bin"]


def _run_installed_demo(tmp_path_factory) -> Path:
    bin_dir = installed_bin(tmp_path_factory)
    elsewhere = tmp_path_factory.mktemp("user-home")  # the working directory: no configs/ in sight
    root = elsewhere / "demo"
    done = subprocess.run([bin_dir / "edgenn", "demo", "--quick", "--data", "mnist-5k", "--out", str(root)],
                          cwd=elsewhere, capture_output=True, text=True, timeout=3600, check=False, env=clean_env())
    if done.returncode:
        raise RuntimeError(f"edgenn demo --quick from the installed wheel failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    (root / "demo.log").write_text(done.stdout, "utf-8")
    (root / "demo.stderr.log").write_text(done.stderr, "utf-8")
    return root
