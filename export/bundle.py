"""The atomic bundle writer: build in a temporary directory, check it, then rename into place.

A failure at any point (a converter error, a full disk, Ctrl-C) removes the temporary directory
and leaves whatever was at the output path before untouched. An existing output is replaced
only when it is itself a bundle and ``overwrite`` is set; anything else there is refused.

A process killed outright (SIGKILL, power loss) cannot clean up, so the names carry the writer's
pid (``.NAME.tmp-<pid>-*``, ``.NAME.old-<pid>-*``) and the next write of the same bundle runs
:func:`recover` first: leftovers of dead writers are removed, and an earlier bundle hidden as
``.NAME.old-*`` with nothing at ``NAME`` is put back. The swap itself is one atomic
``renameat2(RENAME_EXCHANGE)`` where the kernel offers it, so there is no moment without a bundle.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from edge_runtime.atomic import open_permissions
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
        existing = next(p for p in out.absolute().parents if p.exists())  # the parents that are missing are created
        if not existing.is_dir():
            raise BundleError(f"Expected a directory path for the bundle. Received: out={str(out)!r} "
                              f"({existing} is a file)")
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
    recover(out)
    check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)  # like `edgenn train --out`: only once there is a bundle to write
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(out, "tmp"), dir=out.parent))
    open_permissions(tmp, directory=True)
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


def _prefix(out: Path, kind: str) -> str:
    return f".{out.name}.{kind}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out: Path) -> list[str]:
    """Clean up after writers of ``out`` that died: remove their temporaries, restore a hidden bundle.

    Returns what was done, one phrase each (also for tests and the log).
    """
    done = []
    if not out.parent.is_dir():
        return done
    for kind in ("tmp", "old"):
        for path in sorted(out.parent.glob(f".{out.name}.{kind}-*")):
            pid_text = path.name[len(f".{out.name}.{kind}-"):].partition("-")[0]
            if pid_text.isdigit() and _alive(int(pid_text)) and int(pid_text) != os.getpid():
                continue  # another export of this bundle is running now
            if kind == "old" and not out.exists() and not out.is_symlink() and is_bundle(path):
                os.rename(path, out)
                done.append(f"restored the earlier bundle from {path.name}")
            elif path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                done.append(f"removed {path.name}")
            else:
                path.unlink(missing_ok=True)
                done.append(f"removed {path.name}")
    return done


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this file system or kernel cannot
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap(new: Path, out: Path) -> None:
    """Move ``new`` (file or directory) to ``out``; an earlier ``out`` is removed only after the move."""
    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):  # ``new`` now holds the earlier bundle
        old = new
    else:
        old = Path(tempfile.mkdtemp(prefix=_prefix(out, "old"), dir=out.parent))
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
    handle, staging = tempfile.mkstemp(prefix=_prefix(out, "tmp"), suffix=".zip", dir=out.parent)
    os.close(handle)
    open_permissions(staging)
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
