"""edgenn as a user gets it: the wheel built from this checkout, installed into a fresh venv.

The wheel is built from a copy of the packaging inputs (so the checkout gets no ``build/`` or
``*.egg-info``) and installed with ``pip install "edgenn-*.whl[train,edge]" -c constraints.txt``.
The venv sees the already installed dependencies (TensorFlow and the rest, not edgenn itself)
through a read-only layer of links to this interpreter's site-packages: pip resolves the extras
against them instead of unpacking 2 GB again, and installs only the wheel.
``tests/test_edge_install.py`` resolves the edge extra from nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "pipelines", "export", "edge_runtime")
#: what building the wheel reads (the packages' own links, such as pipelines/configs, are followed)
SOURCES = ("pyproject.toml", "README.md", "constraints.txt", *PACKAGES)
#: site-packages entries that are edgenn itself (an editable or a regular install), never layered
OWN = ("edgenn", "__editable__", "_edgenn", *PACKAGES)


def copy_sources(dest: Path) -> Path:
    """The packaging inputs of this checkout, copied to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(origin, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(origin, dest / name)
    return dest


def build_wheel(dest: Path) -> Path:
    """``pip wheel`` of a copy of this checkout; returns the .whl path."""
    src = copy_sources(dest / "src")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dest / "dist", src],
                          capture_output=True, text=True, timeout=600, check=False)
    if done.returncode:
        raise RuntimeError(f"pip wheel failed:\n{done.stderr[-3000:]}")
    (wheel,) = (dest / "dist").glob("edgenn-*.whl")
    return wheel


def dependency_layer(dest: Path) -> Path:
    """This interpreter's installed distributions but edgenn, as a directory of symbolic links."""
    dest.mkdir(parents=True)
    sites = {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    for site in sites:
        for entry in site.iterdir():
            if entry.name.startswith(OWN) or entry.suffix == ".pth" or (dest / entry.name).exists():
                continue
            (dest / entry.name).symlink_to(entry)
    return dest


def install_wheel(wheel: Path, dest: Path, extras: str = "train,edge") -> Path:
    """A fresh venv in ``dest`` with ``wheel[extras]`` installed; returns its ``bin`` directory."""
    layer = dependency_layer(dest / "dependencies")
    env_dir = dest / "venv"
    started = time.perf_counter()
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "_edgenn_test_dependencies.pth").write_text(f"{layer}\n", "utf-8")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
                           "-c", REPO / "constraints.txt", f"{wheel}[{extras}]"],
                          capture_output=True, text=True, timeout=900, check=False, env=clean_env())
    if done.returncode:
        raise RuntimeError(f"pip install {wheel.name}[{extras}] failed:\n{done.stderr[-3000:]}")
    print(f"\nwheel installed into a fresh venv in {time.perf_counter() - started:.1f} s")
    return env_dir / "bin"


def clean_env() -> dict[str, str]:
    """This environment without PYTHONPATH, so nothing from the checkout can be imported."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
