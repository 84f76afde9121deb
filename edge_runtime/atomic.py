"""Write files so a reader never sees half of one: temp file in the same folder, then rename.

Every output path a command takes (``--json``, ``--out``, ``--markdown``) is checked up front by
:func:`check_output_path`, and a write that still fails (a full disk) is one :class:`OutputError`
line naming the path; the file that was there before stays intact. A written file gets the
permissions a plain ``open()`` would give under the user's umask, not ``mkstemp``'s 0600.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edge_runtime.errors import OutputError

#: trees of kernel interfaces, never a place for a result file
VIRTUAL_ROOTS = ("/proc", "/sys", "/dev")
#: OS errors that describe the output location, not a bug: reported as one line
ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EISDIR,
                                errno.ENOTDIR, errno.ENAMETOOLONG, errno.EFBIG})


def current_umask() -> int:
    """The process umask (read by setting and restoring it: Python 3.11 has no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def open_permissions(path: str | Path, directory: bool = False) -> None:
    """Give ``path`` the mode a plain ``open()`` / ``mkdir()`` would (mkstemp/mkdtemp use 0600/0700)."""
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


def output_problem(path: str | Path, kind: str = "file") -> str | None:
    """Why ``path`` cannot receive an output of ``kind`` (file, dir, or any), or None when it can."""
    path = Path(path)
    resolved = path.resolve()
    for root in VIRTUAL_ROOTS:
        if resolved == Path(root) or resolved.is_relative_to(root):
            return f"it is under {root}, a virtual file system"
    if path.is_dir() and kind == "file":
        return "it is a directory"
    if path.exists() and not path.is_dir() and kind == "dir":
        return "it is an existing file"
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"its parent {str(ancestor)!r} is a file"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"{str(ancestor)!r} is not writable (a read-only file system, or no permission)"
    return None


def check_output_path(path: str | Path, kind: str = "file", flag: str = "path") -> None:
    """OutputError naming ``path`` and the reason it cannot be written (see :func:`output_problem`)."""
    problem = output_problem(path, kind)
    if problem:
        raise OutputError(f"Expected a writable {'directory' if kind == 'dir' else 'file'} path. "
                          f"Received: {flag}={str(path)!r} ({problem})")


@contextmanager
def output_errors(path: str | Path):
    """Turn an OSError of the environment (full disk, read-only mount...) into one OutputError line."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            raise
        raise OutputError(f"cannot write {path}: {exc.strerror}; an earlier file there is unchanged") from exc


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; an earlier file stays intact if anything fails."""
    path = Path(path)
    with output_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            open_permissions(tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def write_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Let ``write(tmp_path)`` produce the file (``fig.savefig``, ``np.savez``...), then rename it.

    The temporary name keeps ``path``'s suffix, since some writers choose the format by it.
    """
    path = Path(path)
    with output_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
        try:
            write(tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Atomic UTF-8 text write."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | Path, obj: Any, *, default=None) -> Path:
    """Atomic JSON write (indented, trailing newline); numpy scalars and arrays become numbers/lists."""
    return write_text(path, json.dumps(obj, indent=2, default=default or json_default) + "\n")


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback for numpy values and paths."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
