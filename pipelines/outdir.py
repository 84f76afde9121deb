"""Claiming a training output directory: new, resume the same run, or refuse to mix two runs.

``train-state.json`` records the fingerprint of the resolved config (sha256). Re-running the same
config in the same directory resumes it (or reports it finished); a different config, or a
directory of other files, is refused unless ``--overwrite`` (which empties a run directory only).
A run that never finished an epoch (it failed on a bad dataset or op right after claiming) holds
nothing worth keeping, so another config may restart it in place.

Whoever claims a directory holds its lock (``fcntl.flock`` on the sibling ``.NAME.lock``) until the
process ends, normally or not (the kernel releases it), so a second ``edgenn train`` into the same
``--out`` is refused instead of interleaving ``history.csv`` with the first.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from edge_runtime import atomic
from edge_runtime.errors import UserError

STATE_FILE = "train-state.json"
#: config keys that do not change what is trained (so changing them still resumes)
NEUTRAL_KEYS = {("train", "verbose"), ("train", "strategy")}


class OutDirError(UserError):
    """The output directory holds something that must not be mixed with this run."""


def fingerprint(config: dict) -> str:
    """sha256 of the config without the keys that do not change the result."""
    data = json.loads(json.dumps(config, default=str))
    for section, key in NEUTRAL_KEYS:
        data.get(section, {}).pop(key, None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def read_state(out: Path) -> dict:
    try:
        data = json.loads((out / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("kind") == "edgenn-train" else {}


def write_state(out: Path, config: dict, status: str, **extra) -> None:
    data = {"kind": "edgenn-train", "fingerprint": fingerprint(config), "status": status, **extra}
    atomic.write_json(out / STATE_FILE, data)


#: locks this process holds, by resolved directory (a second claim in one process reuses its lock)
_HELD: dict[Path, int] = {}


def lock(out: Path) -> None:
    """Hold ``out``'s lock until this process ends; OutDirError when another process holds it."""
    import fcntl

    key = out.resolve()
    if key in _HELD:
        return
    key.parent.mkdir(parents=True, exist_ok=True)
    lock_file = key.parent / f".{key.name}.lock"
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise OutDirError(f"Expected {str(out)!r} to be free. Received: another edgenn process (pid {holder}) "
                          "is training into it; wait for it or choose another --out") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _HELD[key] = fd


def epochs_finished(out: Path) -> int:
    """Rows of ``history.csv`` (one per finished epoch; 0 when there is none or it is unreadable)."""
    try:
        with (out / "history.csv").open(newline="", encoding="utf-8") as handle:
            return sum(1 for _ in csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return 0


def claim(out: str | Path, config: dict, *, overwrite: bool = False) -> str:
    """Prepare ``out`` for ``config``: returns "new", "resume" or "complete"."""
    out = Path(out)
    if out.exists() and not out.is_dir():  # before the lock, which creates the parent directory
        raise OutDirError(f"Expected an output directory. Received: out={str(out)!r} (an existing file)")
    lock(out)
    ours = claim_directory(
        out, ours=lambda root: bool(read_state(root)) or (root / "run.json").is_file(), overwrite=overwrite,
        empty_foreign=False, error=OutDirError,
        foreign=(f"Expected an empty directory or a run directory of `edgenn train`. "
                 f"Received: out={str(out)!r} holds other files; choose another --out"))
    if not ours:
        write_state(out, config, "running")
        return "new"
    state = read_state(out)
    unfinished = state.get("status") != "complete" and not (out / "run.json").is_file() and not epochs_finished(out)
    if unfinished and state.get("fingerprint") != fingerprint(config):
        empty_directory(out)
        write_state(out, config, "running")
        return "new"
    if state.get("fingerprint") != fingerprint(config):
        raise OutDirError(
            f"Expected {str(out)!r} to hold this config's run (re-running resumes it). "
            "Received: a run of a different config; pass --overwrite to replace it or choose another --out"
        )
    return "complete" if state.get("status") == "complete" and (out / "run.json").is_file() else "resume"


def claim_directory(root: Path, *, ours: Callable[[Path], bool], overwrite: bool, empty_foreign: bool,
                    error: type[UserError], foreign: str) -> bool:
    """Make ``root`` an output directory; True when it already holds our own work, which is kept.

    A missing or empty directory is created; one that ``ours`` recognises is kept, or emptied with
    ``overwrite``; anything else raises ``error(foreign)``, unless ``overwrite`` and ``empty_foreign``
    (the demo's "--overwrite: empty DIR first"; a training run never empties what is not a run).
    """
    if root.exists() and not root.is_dir():
        raise error(f"Expected an output directory. Received: out={str(root)!r} (an existing file)")
    if not root.is_dir() or not any(root.iterdir()):
        root.mkdir(parents=True, exist_ok=True)
        return False
    mine = ours(root)
    if not mine and not (overwrite and empty_foreign):
        raise error(foreign)
    if overwrite:
        empty_directory(root)
        return False
    return True


def empty_directory(root: Path) -> None:
    """Delete everything inside ``root`` (links themselves, never what they point to)."""
    for child in root.iterdir():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
