"""Reading sysfs/procfs files below a replaceable root, so tests run on a recorded fake tree.

Every reader in :mod:`edge_runtime.probes` resolves its paths with :func:`under` and reads with
:func:`read_text` / :func:`read_number`, which return ``None`` for a file that is missing,
unreadable or vanished mid-run: a missing reading, never an exception.
"""

from __future__ import annotations

import re
from pathlib import Path


def under(root: str | Path, relative: str) -> Path:
    """``root/relative`` with ``relative`` written as an absolute system path ("/sys/...")."""
    return Path(root) / relative.lstrip("/")


def read_text(path: Path) -> str | None:
    """The stripped text of ``path`` (NULs removed, as in /proc/device-tree), or None if unreadable."""
    try:
        return path.read_bytes().decode("utf-8", "replace").replace("\x00", "").strip()
    except OSError:  # missing, removed mid-run, permission, EIO from a sensor driver
        return None


def read_number(path: Path) -> float | None:
    """The number in ``path`` (sysfs integers such as millidegrees or microjoules), or None."""
    text = read_text(path)
    if not text:
        return None
    try:
        return float(text.split()[0])
    except ValueError:
        return None


def numbered(directory: Path, pattern: str) -> list[Path]:
    """Entries of ``directory`` matching a glob ``pattern``, in natural order (cpu2 before cpu10)."""
    try:
        entries = list(directory.glob(pattern))
    except OSError:
        return []
    return sorted(entries, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])
