"""The atomic bundle writer: build in a temporary directory, check it, then rename into place.

A failure at any point (a converter error, a full disk, Ctrl-C) removes the temporary directory
and leaves whatever was at the output path before untouched. An existing output is replaced
only when it is itself a bundle and ``overwrite`` is set; anything else there is refused.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from edge_runtime.errors import BundleError
from edge_runtime.manifest import MANIFEST_NAME, dumps_manifest, read_manifest, sha256_file, verify_files


def is_bundle(path: Path) -> bool:
    """A directory with manifest.json, or a zip holding manifest.json at its root."""
    if path.is_dir():
        return (path / MANIFEST_NAME).is_file()
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return MANIFEST_NAME in archive.namelist()
    return False


def check_target(out: Path, overwrite: bool) -> None:
    """Refuse an output path that holds something other than a bundle, or a bundle without overwrite."""
    if not out.exists() and not out.is_symlink():
        if not out.parent.is_dir():
            raise BundleError(f"Expected an existing parent directory for the bundle. Received: out={str(out)!r}")
        return
    if not is_bundle(out):
        raise BundleError(f"{out} exists and is not an edgenn bundle; refusing to replace it (choose another --out)")
    if not overwrite:
        raise BundleError(f"{out} already holds a bundle; pass --overwrite to replace it")


def file_entries(root: Path) -> dict[str, dict]:
    """sha256 and size of every file under ``root`` except the manifest, by forward-slash relative path."""
    entries = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel != MANIFEST_NAME:
            entries[rel] = {"sha256": sha256_file(path), "size_bytes": path.stat().st_size}
    return entries


def source_run(run_dir: str | Path, out: str | Path) -> dict:
    """The manifest's ``source_run``: the run's name, absolute path, and path relative to the
    directory holding the bundle ``out`` (so a tree moved as a whole still finds its run)."""
    run_dir = Path(run_dir).resolve()
    try:
        relative = Path(os.path.relpath(run_dir, Path(out).resolve().parent)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        relative = None
    return {"name": run_dir.name, "path": str(run_dir), "relative": relative}


def write_bundle(out: str | Path, populate: Callable[[Path], dict], *, overwrite: bool = False,
                 as_zip: bool = False, run_dir: str | Path | None = None) -> dict:
    """Write a bundle at ``out`` atomically; return its manifest.

    ``populate(tmp_dir)`` writes the bundle's files into ``tmp_dir`` and returns the manifest
    without ``files``, which is computed here from what is on disk, nor ``source_run``, recorded
    here from ``run_dir`` when given. The finished directory is read back (schema and every
    sha256) before it replaces anything.
    """
    out = Path(out)
    check_target(out, overwrite)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        manifest = populate(tmp)
        if run_dir is not None:
            manifest["source_run"] = source_run(run_dir, out)
        manifest["files"] = file_entries(tmp)
        (tmp / MANIFEST_NAME).write_text(dumps_manifest(manifest), "utf-8")
        verify_files(tmp, read_manifest(tmp))
        if as_zip:
            _install_zip(tmp, out)
        else:
            _swap(tmp, out)
    except OSError as exc:
        raise BundleError(f"cannot write the bundle {out}: {exc}; nothing at that path was changed") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _swap(new: Path, out: Path) -> None:
    """Move ``new`` (file or directory) to ``out``; an earlier ``out`` is removed only after the move."""
    if not out.exists():
        os.rename(new, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(old, out)  # put the earlier bundle back
        raise
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _install_zip(tmp: Path, out: Path) -> None:
    """Zip the directory (manifest.json at the archive root) to a temp file, then swap it in."""
    handle, staging = tempfile.mkstemp(prefix=f".{out.name}.tmp-", suffix=".zip", dir=out.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(tmp).as_posix())
        with zipfile.ZipFile(staging) as archive:
            bad = archive.testzip()
        if bad is not None:
            raise BundleError(f"the zip written for {out} is corrupt at {bad}")
        _swap(Path(staging), out)
    finally:
        Path(staging).unlink(missing_ok=True)
