"""An emulated Debian bookworm arm64 root filesystem (a Raspberry Pi OS userland), built once and cached.

Entry points: `ensure_rootfs() -> Path` (the cached, read-only-by-convention tree) and `Chroot` (a
throw-away overlay on it with only /proc mounted, where commands run through qemu-user). Command line:
`python -m tests.arm64.rootfs` builds or reuses the tree and prints its path. Needs root.

The cache lives outside the checkout, in CACHE_ROOT/<key>/rootfs, keyed on everything that decides its
content (suite, architecture, mirror, package list, this recipe's version), so a second run reuses it and a
changed package list builds a new one. Building takes about 4 minutes on a quiet 2-core machine (22 under heavy
load): debootstrap's second stage is emulated.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE_ROOT = Path(os.environ.get("EDGENN_ARM64_CACHE", "/var/cache/edgenn/arm64"))
SUITE = "bookworm"
ARCH = "arm64"
MIRROR = "http://deb.debian.org/debian"
# What a Raspberry Pi OS (Debian 12) device has for edgenn: Python 3.11 with venv (its ensurepip wheels make
# offline installs possible) and an SSH server (issue 15 runs the chroot as a second test device).
PACKAGES = ("python3", "python3-venv", "ca-certificates", "openssh-server")
RECIPE_VERSION = 1  # bump when the build steps below change what ends up in the tree
QEMU = Path("/usr/bin/qemu-aarch64-static")
HOST_PACKAGES = ("qemu-user-static", "binfmt-support", "debootstrap")
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")


class RootfsUnavailable(RuntimeError):
    """This machine cannot build or enter the emulated rootfs (not root, no binfmt_misc); the reason is one line."""


def cache_key() -> str:
    """Hash of every input that decides the tree's content."""
    spec = {"suite": SUITE, "arch": ARCH, "mirror": MIRROR, "packages": sorted(PACKAGES),
            "recipe": RECIPE_VERSION}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def cache_dir() -> Path:
    return CACHE_ROOT / cache_key()


def unavailable_reason() -> str | None:
    """One line saying why the emulated rootfs cannot be used here, or None when it can."""
    if os.geteuid() != 0:
        return "emulated arm64 needs root (chroot and mounts); run as root, as CI does"
    if not Path("/proc/filesystems").read_text().count("binfmt_misc"):
        return "the kernel has no binfmt_misc, so qemu-user cannot run arm64 child processes"
    return None


def _run(cmd: list[str], log, progress=None, **kw) -> None:
    """``cmd`` with its output in ``log``, each line stamped with the build's elapsed minutes.

    ``progress(line)`` sees debootstrap's "I: ..." lines (retrieving, unpacking, configuring a package), so a
    caller can show a 10-20 minute build moving.
    """
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    start = time.monotonic()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                          **kw) as proc:
        for line in proc.stdout:
            log.write(f"[{(time.monotonic() - start) / 60:5.1f} min] {line}")
            log.flush()
            if progress and line.startswith("I: "):
                progress(line[3:].strip())
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)


def ensure_host_tools(log=sys.stderr) -> None:
    """Install qemu-user-static, binfmt-support and debootstrap when missing, and register qemu-aarch64."""
    if not (QEMU.exists() and shutil.which("debootstrap") and shutil.which("update-binfmts")):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run(["apt-get", "update", "-qq"], log, env=env)
        _run(["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=600", *HOST_PACKAGES], log, env=env)
    if not (BINFMT_DIR / "register").exists():
        _run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)], log)
    entry = BINFMT_DIR / "qemu-aarch64"
    if not entry.exists() or "enabled" not in entry.read_text().splitlines()[0]:
        _run(["update-binfmts", "--enable", "qemu-aarch64"], log)


def _build(target: Path, log, progress=None) -> None:
    """debootstrap in two stages: download and unpack on the host, then the emulated second stage."""
    _run(["debootstrap", "--arch", ARCH, "--variant=minbase", "--foreign",
          "--include=" + ",".join(PACKAGES), SUITE, str(target), MIRROR], log, progress)
    shutil.copy2(QEMU, target / QEMU.relative_to("/"))
    _run(["chroot", str(target), "/debootstrap/debootstrap", "--second-stage"], log, progress)
    for mnt in ("proc", "sys"):  # the second stage may leave its own mounts behind
        subprocess.run(["umount", "-l", str(target / mnt)], stderr=subprocess.DEVNULL, check=False)
    _run(["chroot", str(target), "apt-get", "clean"], log)


def ensure_rootfs(log=sys.stderr, progress=None) -> Path:
    """The cached bookworm arm64 tree, built on first use (~4 min); concurrent callers wait on one lock.

    ``progress(line)`` is called with debootstrap's step lines while a build runs.
    """
    reason = unavailable_reason()
    if reason:
        raise RootfsUnavailable(reason)
    ensure_host_tools(log)
    home = cache_dir()
    home.mkdir(parents=True, exist_ok=True)
    done = home / "complete.json"
    with open(home / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return home / "rootfs"
        partial = Path(tempfile.mkdtemp(prefix="rootfs.partial-", dir=home))
        start = time.monotonic()
        try:
            _build(partial, log, progress)
        except BaseException:
            for mnt in ("proc", "sys"):
                subprocess.run(["umount", "-l", str(partial / mnt)], stderr=subprocess.DEVNULL, check=False)
            shutil.rmtree(partial, ignore_errors=True)
            raise
        shutil.rmtree(home / "rootfs", ignore_errors=True)
        partial.rename(home / "rootfs")
        done.write_text(json.dumps({"key": cache_key(), "packages": list(PACKAGES), "suite": SUITE,
                                    "build_seconds": round(time.monotonic() - start)}) + "\n")
        return home / "rootfs"


class Chroot:
    """A throw-away overlay on the cached tree, with only /proc mounted and host directories bound in.

    Only /proc: with /sys too, onnxruntime and LiteRT segfault under qemu (DESIGN.md). The cached tree
    is never written (the overlay's upper layer takes every change), so runs cannot pollute it and
    several may use it at once. ``run`` executes inside through qemu-user with ``QEMU_CPU`` set.
    """

    def __init__(self, rootfs: Path, work: Path, binds: dict[str, Path] | None = None):
        self.rootfs, self.work, self.binds = rootfs, work, dict(binds or {})
        self.root = work / "merged"
        self._mounted: list[Path] = []

    def _mount(self, target: Path, *args: str) -> None:
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *args, str(target)], check=True, capture_output=True)
        self._mounted.append(target)

    def __enter__(self) -> Chroot:
        upper, scratch = self.work / "upper", self.work / "overlay-work"
        for d in (upper, scratch, self.root):
            d.mkdir(parents=True, exist_ok=True)
        try:
            self._mount(self.root, "-t", "overlay", "overlay", "-o",
                        f"lowerdir={self.rootfs},upperdir={upper},workdir={scratch}")
            self._mount(self.root / "proc", "-t", "proc", "proc")
            for guest, host in self.binds.items():
                self._mount(self.root / guest.lstrip("/"), "--bind", str(host))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        while self._mounted:
            target = self._mounted.pop()
            if subprocess.run(["umount", str(target)], capture_output=True, check=False).returncode:
                subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)

    def run(self, argv: list[str], cpu: str, cwd: str = "/", timeout: float = 3600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``argv`` inside the chroot under ``QEMU_CPU=cpu``, in ``cwd``; stdout and stderr captured as text."""
        clean = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
                 "LANG": "C.UTF-8", "QEMU_CPU": cpu, **(env or {})}
        return subprocess.run(["chroot", str(self.root), "/usr/bin/env", "-C", cwd, *argv], env=clean,
                              capture_output=True, text=True, timeout=timeout, check=False)


if __name__ == "__main__":
    print(ensure_rootfs())
