"""What ``edgenn deploy`` copies, with the sha256 of every file, and where it lands on the device.

The remote directory (default ``~/edgenn``) holds::

    wheels/            the edgenn wheel (and, offline, the wheelhouse pip installs from)
    bundles/<name>     each bundle: its manifest.json and the files the manifest lists (or the .zip)
    venv/              the device's virtual environment (created once, reused)
    results/<name>.json  what `edgenn bench` wrote
    installed.txt      sha256 of the wheels last installed: unchanged wheels are not installed again

Bundles are checked here first (manifest schema and every file's sha256), so a corrupt bundle fails on
the workstation with one line instead of on every device.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge_runtime.errors import BundleError, UserError
from edge_runtime.manifest import MANIFEST_NAME, read_manifest, sha256_file, verify_files

WHEELS, BUNDLES, VENV, RESULTS, INSTALLED = "wheels", "bundles", "venv", "results", "installed.txt"


@dataclass(frozen=True)
class LocalFile:
    remote: str  # path under the remote directory, '/'-separated
    path: Path
    size: int
    sha256: str

    @classmethod
    def of(cls, remote: str, path: Path) -> LocalFile:
        return cls(remote, path, path.stat().st_size, sha256_file(path))


@dataclass(frozen=True)
class Bundle:
    name: str  # results/<stem>.json and the label in progress lines
    remote: str  # bundles/<dir name> or bundles/<file>.zip
    files: tuple[LocalFile, ...]


@dataclass(frozen=True)
class Payload:
    wheel: LocalFile
    wheelhouse: tuple[LocalFile, ...]
    bundles: tuple[Bundle, ...]

    def files(self) -> list[LocalFile]:
        return [self.wheel, *self.wheelhouse, *(f for b in self.bundles for f in b.files)]

    def for_device(self, arch: str, python: str) -> Payload:
        """Only the wheelhouse wheels this device can install (a mixed fleet shares one wheelhouse)."""
        fits = tuple(f for f in self.wheelhouse if wheel_fits(f.path.name, arch, python))
        return Payload(self.wheel, fits, self.bundles)

    def install_key(self) -> str:
        """What installed.txt records: the wheels' hashes (a change in any means install again)."""
        return "\n".join(sorted(f"{f.sha256}  {f.remote}" for f in (self.wheel, *self.wheelhouse))) + "\n"


#: platform.machine() -> the architecture name in wheel platform tags
WHEEL_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}


def wheel_fits(name: str, arch: str, python: str) -> bool:
    """Whether a wheel's file-name tags (PEP 427: python-abi-platform) allow a device with this
    ``platform.machine()`` and Python version: platform ``any`` or one naming the architecture, and a
    Python tag ``py3``, the device's ``cpXY``, or ``cpXY`` with the stable ABI (abi3) up to the device's."""
    parts = name.removesuffix(".whl").split("-")
    if len(parts) < 5:
        return False
    pythons, abi, platforms = parts[-3:]
    machine = WHEEL_ARCH.get(arch.lower(), arch.lower())
    if platforms != "any" and not any(p.endswith(f"_{machine}") or p == machine for p in platforms.split(".")):
        return False
    major, minor = (int(v) for v in python.split(".")[:2])
    for tag in pythons.split("."):
        if tag == f"py{major}":
            return True
        version = tag.removeprefix("cp")
        if tag.startswith("cp") and version[:1] == str(major) and version[1:].isdigit():
            if int(version[1:]) == minor or (abi == "abi3" and int(version[1:]) <= minor):
                return True
    return False


def bundle_files(path: Path) -> Bundle:
    """One bundle (directory or .zip) as the files to copy, checked against its manifest."""
    if path.is_file() and path.suffix.lower() == ".zip":
        return Bundle(path.stem, f"{BUNDLES}/{path.name}", (LocalFile.of(f"{BUNDLES}/{path.name}", path),))
    if not path.is_dir():
        raise BundleError(f"Expected a bundle directory or .zip. Received: path={str(path)!r} (not found)")
    manifest = read_manifest(path)
    verify_files(path, manifest)
    names = [MANIFEST_NAME, *sorted(manifest["files"])]
    remote = f"{BUNDLES}/{path.name}"
    return Bundle(path.name, remote, tuple(LocalFile.of(f"{remote}/{n}", path / n) for n in names))


def make_payload(wheel: Path, wheelhouse: Path | None, bundles: list[Path]) -> Payload:
    """The wheel, the wheelhouse's other wheels and every bundle; bundle names must be distinct."""
    found = [bundle_files(Path(b)) for b in bundles]
    names = [b.name for b in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(f"Expected bundles with distinct names (each gets results/<name>.json). "
                        f"Received: {', '.join(twice)} more than once")
    extra: list[LocalFile] = []
    if wheelhouse is not None:
        if not wheelhouse.is_dir():
            raise UserError(f"Expected --wheelhouse to be a directory of wheels. Received: {str(wheelhouse)!r}")
        extra = [LocalFile.of(f"{WHEELS}/{p.name}", p) for p in sorted(wheelhouse.glob("*.whl"))
                 if p.name != wheel.name]
    return Payload(LocalFile.of(f"{WHEELS}/{wheel.name}", wheel), tuple(extra), tuple(found))
