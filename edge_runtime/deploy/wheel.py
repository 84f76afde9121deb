"""The edgenn wheel a device installs: found in a wheelhouse, or built from the installed package.

Building needs no setuptools and no source tree: the wheel holds the import packages exactly as this
Python imports them (an editable checkout or a regular install alike) plus the installed distribution's
METADATA and entry points. Timestamps and order are fixed, so the same code gives the same bytes, and a
second deploy of unchanged code copies and installs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import zipfile
from importlib import metadata
from pathlib import Path

from edge_runtime.errors import UserError

DISTRIBUTION = "edgenn"
#: the distribution's import packages (pyproject.toml: tool.setuptools.packages.find.include)
PACKAGES = ("edge_runtime", "models", "pipelines", "export")
#: zip entries get this fixed time, so the wheel's bytes depend on its contents only
EPOCH = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo", ".partial")


def find_wheel(wheelhouse: Path, version: str) -> Path | None:
    """``edgenn-<version>-*.whl`` in ``wheelhouse``, if one is there."""
    for path in sorted(wheelhouse.glob(f"{DISTRIBUTION}-{version}-*.whl")):
        return path
    return None


def _package_files(package: str) -> list[tuple[str, Path]]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    base = Path(list(spec.submodule_search_locations)[0])
    files = []
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_file() and not SKIP_DIRS & set(rel.parts) and not path.name.endswith(SKIP_SUFFIXES):
            files.append((f"{package}/{rel.as_posix()}", path))
    return files


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(out_dir: Path) -> Path:
    """Write ``edgenn-<version>-py3-none-any.whl`` of the installed package into ``out_dir``."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise UserError("Expected edgenn installed as a package (pip install) to build its wheel. Received: no "
                        "edgenn distribution; pass --wheelhouse DIR holding an edgenn wheel") from exc
    version = dist.version
    info = f"{DISTRIBUTION}-{version}.dist-info"
    # a checkout's editable install leaves edgenn.egg-info beside the code, found first from the checkout:
    # its PKG-INFO is the same core metadata as a dist-info's METADATA
    meta = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if not meta or "Requires-Dist" not in meta:
        raise UserError("Expected the edgenn distribution's core metadata (METADATA or PKG-INFO) with its "
                        "requirements to build its wheel. Received: none in the installed distribution")
    entries: list[tuple[str, bytes]] = []
    for package in PACKAGES:
        entries += [(name, path.read_bytes()) for name, path in _package_files(package)]
    if not any(name.startswith("edge_runtime/") for name, _ in entries):
        raise UserError("Expected the edge_runtime package next to the edgenn distribution. Received: not found")
    entries += [(f"{info}/METADATA", meta.encode()),
                (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: edgenn deploy\nRoot-Is-Purelib: true\n"
                                  b"Tag: py3-none-any\n"),
                (f"{info}/entry_points.txt", (dist.read_text("entry_points.txt") or "").encode())]
    record = "\n".join([*(_record_line(n, d) for n, d in entries), f"{info}/RECORD,,"]) + "\n"
    entries.append((f"{info}/RECORD", record.encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{DISTRIBUTION}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            item = zipfile.ZipInfo(name, EPOCH)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(item, data)
    return path


def edgenn_wheel(wheelhouse: Path | None, out_dir: Path) -> Path:
    """The wheelhouse's edgenn wheel of this version when it has one, else one built from this install."""
    version = metadata.version(DISTRIBUTION) if _installed() else None
    if wheelhouse is not None and version is not None:
        found = find_wheel(wheelhouse, version)
        if found is not None:
            return found
    return build_wheel(out_dir)


def _installed() -> bool:
    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return False
    return True
