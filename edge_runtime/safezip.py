"""The one zip reader for files other people made: bundle zips, ``.keras`` models, ``samples.npz``.

Before anything is extracted the directory is checked: at most ``MAX_ENTRIES`` entries, each a
relative POSIX path inside the target (no ``..``, no absolute path, no symlink, no device file),
no name twice (a second ``manifest.json`` would silently win), the declared sizes within the
budget and every large entry's compression ratio within ``MAX_RATIO``. Extraction then streams
each entry and counts the bytes it really produced, so a header that lies about its size stops
at the budget instead of filling the disk.
"""

from __future__ import annotations

import lzma
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from edge_runtime.errors import BundleError

#: total bytes an archive may expand to (models and arrays of a small net are a few MB)
MAX_TOTAL_BYTES = 1 << 30
#: expanded / compressed size above which a large entry is taken for a bomb (deflate tops out
#: near 1032:1; real model weights and images compress 1-10:1, a zero-filled .npy can reach 1000)
MAX_RATIO = 200
#: the ratio is checked only for entries larger than this (tiny JSON compresses well and is harmless)
RATIO_FLOOR_BYTES = 1 << 20
#: a bundle holds a manifest, a few models and a few arrays
MAX_ENTRIES = 10_000
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Limits:
    """What an archive may expand to; the defaults are the documented bundle limits."""

    total_bytes: int = MAX_TOTAL_BYTES
    ratio: float = MAX_RATIO
    ratio_floor: int = RATIO_FLOOR_BYTES
    entries: int = MAX_ENTRIES


def checked_members(archive: str | Path, zf: zipfile.ZipFile, limits: Limits = Limits()) -> list[zipfile.ZipInfo]:
    """The archive's entries after every directory-level check; BundleError naming the first problem."""
    members = zf.infolist()
    if len(members) > limits.entries:
        raise BundleError(f"{archive}: {len(members)} entries. Expected at most {limits.entries}")
    seen: set[str] = set()
    total = 0
    for info in members:
        problem = member_problem(info)
        key = info.filename.rstrip("/").lower()
        if problem is None and key in seen:
            problem = "a name that occurs twice (which copy is meant?)"
        if problem is None and info.file_size > limits.ratio_floor and \
                info.file_size > limits.ratio * max(info.compress_size, 1):
            problem = (f"a compression ratio of {info.file_size / max(info.compress_size, 1):.0f}:1 "
                       f"(at most {limits.ratio:g}:1 for entries over {limits.ratio_floor} bytes)")
        if problem:
            raise BundleError(f"{archive}: refusing entry {info.filename!r} ({problem})")
        seen.add(key)
        total += info.file_size
    if total > limits.total_bytes:
        raise BundleError(f"{archive}: would expand to {total} bytes. Expected at most {limits.total_bytes}")
    return members


def member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why an entry cannot be extracted inside a target directory, or None."""
    name = info.filename
    pure = PurePosixPath(name)
    mode = info.external_attr >> 16
    if not name or "\\" in name or "\x00" in name or pure.is_absolute() or (pure.parts and ":" in pure.parts[0]):
        return "an absolute, empty or non-POSIX path"
    if ".." in pure.parts:
        return "a '..' component"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "a device, FIFO or socket"
    return None


def open_zip(archive: str | Path, limits: Limits = Limits()) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open and check ``archive``; the caller closes the returned ZipFile."""
    try:
        zf = zipfile.ZipFile(archive)
    except FileNotFoundError as exc:
        raise BundleError(f"{archive}: no such file") from exc
    except _CORRUPT as exc:
        raise BundleError(f"{archive}: not a readable zip file ({exc})") from exc
    try:
        return zf, checked_members(archive, zf, limits)
    except BaseException:
        zf.close()
        raise


def check_zip(archive: str | Path, limits: Limits = Limits()) -> list[str]:
    """The entry names of ``archive`` after the checks (for readers that then open it themselves)."""
    zf, members = open_zip(archive, limits)
    with zf:
        return [m.filename for m in members]


def extract(archive: str | Path, target: str | Path, limits: Limits = Limits()) -> None:
    """Extract ``archive`` into the existing directory ``target``, streaming within ``limits``."""
    target = Path(target).resolve()
    zf, members = open_zip(archive, limits)
    written = 0
    with zf:
        for info in members:
            dest = (target / info.filename).resolve()
            if not dest.is_relative_to(target):
                raise BundleError(f"{archive}: refusing entry {info.filename!r} (a path outside the target)")
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            written += _copy_member(archive, zf, info, dest, limits.total_bytes - written)


def read_member(archive: str | Path, name: str, max_bytes: int, limits: Limits = Limits()) -> bytes:
    """The bytes of one entry, refusing more than ``max_bytes`` even if the header says less."""
    zf, _ = open_zip(archive, limits)
    with zf:
        try:
            info = zf.getinfo(name)
        except KeyError as exc:
            raise BundleError(f"{archive}: no entry {name!r}") from exc
        if info.file_size > max_bytes:
            raise BundleError(f"{archive}: entry {name!r} holds {info.file_size} bytes. Expected at most {max_bytes}")
        src = _read(archive, info, lambda: zf.open(info))
        with src:
            data = _read(archive, info, lambda: src.read(max_bytes + 1))
    if len(data) > max_bytes:
        raise BundleError(f"{archive}: entry {name!r} expands beyond {max_bytes} bytes")
    return data


def _copy_member(archive, zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, budget: int) -> int:
    """Stream one entry to ``dest`` (a normal ``open``: the user's umask applies); bytes written."""
    written = 0
    src = _read(archive, info, lambda: zf.open(info))
    try:
        with src, open(dest, "xb") as out:
            while chunk := _read(archive, info, lambda: src.read(_CHUNK)):
                written += len(chunk)
                if written > info.file_size or written > budget:
                    raise BundleError(f"{archive}: entry {info.filename!r} expands beyond its declared "
                                      f"{info.file_size} bytes or the archive's budget; refusing it")
                out.write(chunk)
    except FileExistsError as exc:
        raise BundleError(f"{archive}: refusing entry {info.filename!r} (a name that occurs twice)") from exc
    except OSError as exc:
        if exc.errno is not None and exc.errno in (28, 122):  # ENOSPC, EDQUOT
            dest.unlink(missing_ok=True)
            raise BundleError(f"{archive}: no space left to extract {info.filename!r} ({exc.strerror})") from exc
        raise
    return written


#: what zipfile and its decompressors raise on a corrupt entry (a bad offset seeks to EINVAL; RuntimeError
#: covers zipfile's refusals of unsupported compression or encryption, raised as its subclass NotImplementedError)
_CORRUPT = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, ValueError, RuntimeError, OSError)


def _read(archive, info: zipfile.ZipInfo, action):
    """``action()`` (opening or reading an entry), its corruption errors as one BundleError line."""
    try:
        return action()
    except _CORRUPT as exc:
        raise BundleError(f"{archive}: entry {info.filename!r} is corrupt ({type(exc).__name__}: "
                          f"{str(exc)[:120]})") from exc
