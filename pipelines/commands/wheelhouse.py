"""``edgenn wheelhouse --platform linux_aarch64 --python 3.11 --out DIR``: everything a device installs offline.

Builds the edgenn wheel of this installed edgenn, reproducibly (``edge_runtime.deploy.wheel``, the builder
``edgenn deploy`` uses), or takes ``--wheel``, and downloads every wheel of its edge extra for the target
(binary wheels only), so a device without internet runs
``pip install --no-index --find-links DIR "edgenn[edge]"``. pip evaluates the extra's ``python_version``
markers for the interpreter it runs in, not for ``--python-version``, so the download runs under an
interpreter of the target's Python (found on PATH or in pyenv, or given with ``--interpreter``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HELP = ("collect the edgenn wheel and every wheel of its edge extra for a device platform and Python, "
        "for offline installs: pip install --no-index --find-links DIR \"edgenn[edge]\"")
#: the device platforms offered -> pip's architecture suffix
ARCHES = {"linux_aarch64": "aarch64", "linux_x86_64": "x86_64", "linux_armv7l": "armv7l"}
#: oldest manylinux glibc a wheel may need, per default: Raspberry Pi OS 12 has 2.36, JetPack 6 (Ubuntu 22.04) 2.35
DEFAULT_GLIBC = "2.35"
PROJECT = Path(__file__).resolve().parents[2]
#: output paths checked before the command runs (pipelines.cli.check_outputs)
OUTPUTS = {"out": "dir"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--platform", required=True, choices=sorted(ARCHES), help="the device's platform")
    parser.add_argument("--python", required=True, metavar="X.Y",
                        help="the device's Python, e.g. 3.11 (Raspberry Pi OS 12) or 3.10 (JetPack 6)")
    parser.add_argument("--out", required=True, metavar="DIR", help="the wheelhouse directory (created)")
    parser.add_argument("--glibc", default=DEFAULT_GLIBC, metavar="X.Y",
                        help="the device's glibc: newest manylinux tag accepted (default: %(default)s)")
    parser.add_argument("--wheel", metavar="FILE", help="an edgenn wheel to use instead of building this installed edgenn's")
    parser.add_argument("--interpreter", metavar="PYTHON",
                        help="a Python X.Y with pip to resolve with (default: this one, python X.Y on PATH, or pyenv's)")


def platform_tags(platform: str, glibc: str) -> list[str]:
    """pip ``--platform`` values a device with ``glibc`` accepts: manylinux_2_17 up to it, then the legacy names."""
    arch = ARCHES[platform]
    major, minor = _version(glibc, "--glibc")
    tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 16, -1)]
    return [*tags, f"manylinux2014_{arch}", platform]


def _version(text: str, flag: str) -> tuple[int, int]:
    from edge_runtime.errors import ConfigError

    match = re.fullmatch(r"(\d+)\.(\d+)", text)
    if not match:
        raise ConfigError(f"Expected {flag} as MAJOR.MINOR, e.g. 3.11. Received: {text!r}")
    return int(match.group(1)), int(match.group(2))


def find_interpreter(python: str, given: str | None = None) -> str:
    """A Python ``python`` (X.Y) with pip: ``given``, this interpreter, ``pythonX.Y`` on PATH or pyenv's."""
    from edge_runtime.errors import ConfigError

    _version(python, "--python")
    candidates = [given] if given else [sys.executable, shutil.which(f"python{python}")]
    if not given:
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
        candidates += sorted(str(p) for p in pyenv.glob(f"{python}.*/bin/python"))
    for exe in filter(None, candidates):
        probe = subprocess.run([exe, "-c", "import sys, pip; print('%d.%d' % sys.version_info[:2])"],  # noqa: S603 (a Python found or named by the user)
                               capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == python:
            return exe
    where = given or f"this Python, python{python} on PATH, or pyenv"
    raise ConfigError(f"Expected a Python {python} interpreter with pip ({where}). Received: none found; "
                      f"pass --interpreter PYTHON")


def _pip(exe: str, args: list[str]) -> None:
    from edge_runtime.errors import UserError

    done = subprocess.run([exe, "-m", "pip", *args], capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise UserError(f"Expected pip {args[0]} to succeed. Received: exit {done.returncode}: {tail}")


def collect(out: Path, platform: str, python: str, glibc: str = DEFAULT_GLIBC, wheel: Path | None = None,
            interpreter: str | None = None, constraints: Path | None = None) -> list[Path]:
    """Fill ``out`` with the edgenn wheel and the edge extra's wheels for the target; returns the wheels."""
    from edge_runtime.errors import ConfigError

    exe = find_interpreter(python, interpreter)
    out.mkdir(parents=True, exist_ok=True)
    if wheel is None:
        from edge_runtime.deploy.wheel import build_wheel

        wheel = build_wheel(out)
    elif not wheel.is_file() or not wheel.name.startswith("edgenn-") or wheel.suffix != ".whl":
        raise ConfigError(f"Expected --wheel to be an edgenn-*.whl file. Received: {wheel}")
    elif wheel.parent.resolve() != out.resolve():
        shutil.copy2(wheel, out / wheel.name)
    major, minor = _version(python, "--python")
    args = ["download", "--quiet", "--only-binary=:all:", "--dest", str(out), "--python-version", python,
            "--implementation", "cp", "--abi", f"cp{major}{minor}", "--abi", "abi3", "--abi", "none"]
    for tag in platform_tags(platform, glibc):
        args += ["--platform", tag]
    if constraints is not None:
        args += ["--constraint", str(constraints)]
    _pip(exe, [*args, f"{out / wheel.name}[edge]"])
    return sorted(out.glob("*.whl"))


def run(args: argparse.Namespace) -> int:
    from edge_runtime.tables import format_table

    out = Path(args.out)
    # the checkout's lock pins the edge extra's transitive wheels for the Python it was made for (3.11)
    lock = PROJECT / "constraints.txt"
    constraints = lock if args.python == "3.11" and lock.is_file() else None
    wheels = collect(out, args.platform, args.python, args.glibc, Path(args.wheel) if args.wheel else None,
                     args.interpreter, constraints)
    total = sum(w.stat().st_size for w in wheels)
    rows = [(w.name, f"{w.stat().st_size / 1e6:.1f}") for w in wheels]
    print("\n".join(format_table(("wheel", "MB"), [*rows, (f"{len(wheels)} wheels", f"{total / 1e6:.1f}")])))
    print(f'install on the device: pip install --no-index --find-links {out} "edgenn[edge]"')
    return 0
