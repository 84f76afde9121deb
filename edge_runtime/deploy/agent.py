"""The device side of ``edgenn deploy``: a standard-library script the workstation runs over SSH.

It runs before edgenn is installed on the device, so it imports nothing but the standard library and
is sent whole as ``python3 -c SOURCE COMMAND ARGS`` (no file to copy first). Commands:

- ``probe DIR``: architecture, OS, Python, free disk at DIR, board, whether ``python3 -m venv`` works,
  whether DIR's venv exists and what DIR/installed.txt says; with a JSON list of paths relative to DIR on
  stdin, also ``hashes``: ``{path: sha256 or null}`` (one connection answers all the workstation asks).
- ``receive DIR``: reads files from stdin as ``{"path", "size", "sha256"}`` header lines each followed by
  the bytes; writes each to ``path.partial``, re-reads it from disk, and renames it into place only when
  its sha256 matches: a file on the device is either the verified new one or the old one, never half.
- ``guard -- CMD ...``: runs CMD in its own process group and ends that group when stdin closes, which
  is what happens when the SSH connection drops or the user presses Ctrl-C on the workstation.

Exit codes: 0 ok, 3 disk full, 4 verification failed, 5 bad request; ``guard`` returns CMD's code.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading

DISK_FULL, MISMATCH, BAD_REQUEST = 3, 4, 5
CHUNK = 1 << 20


class Mismatch(ValueError):
    """A file's bytes on the device differ from what the workstation sent."""


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\x00", "").strip()
    except OSError:
        return ""


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def probe(root: str, paths: list) -> dict:
    """What the workstation needs to know before copying anything, and the sha256 of ``paths`` here."""
    existing = os.path.abspath(root)
    while not os.path.isdir(existing):
        existing = os.path.dirname(existing)
    release = dict(line.split("=", 1) for line in _read("/etc/os-release").splitlines() if "=" in line)
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith(("model name", "Model"))), None)
    try:
        import ensurepip  # noqa: F401  (Debian's python3 without python3-venv lacks it: venv creation fails)

        venv = True
    except ImportError:
        venv = False
    return {"arch": platform.machine(), "os": release.get("PRETTY_NAME", platform.system()).strip('"'),
            "python": platform.python_version(), "free_bytes": shutil.disk_usage(existing).free,
            "board": _read("/proc/device-tree/model") or None, "cpu": cpu, "hostname": platform.node(),
            "venv": venv, "venv_exists": os.path.isfile(os.path.join(root, "venv", "bin", "python")),
            "installed": _read(os.path.join(root, "installed.txt")) or None, "hashes": hashes(root, paths)}


def _inside(root: str, relative: str) -> str:
    parts = relative.split("/")
    if relative.startswith("/") or ".." in parts or "" in parts or "\\" in relative:
        raise ValueError(f"not a relative path inside the remote directory: {relative!r}")
    return os.path.join(root, *parts)


def hashes(root: str, paths: list) -> dict:
    found = {}
    for relative in paths:
        path = _inside(root, relative)
        found[relative] = _sha256(path) if os.path.isfile(path) else None
    return found


def _write(stream, path: str, size: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        left = size
        while left:
            block = stream.read(min(CHUNK, left))
            if not block:
                raise EOFError(f"stream ended {left} bytes before the end of {path}")
            out.write(block)
            left -= len(block)
        out.flush()
        os.fsync(out.fileno())


def receive(root: str, stream) -> dict:
    """Write every file of the stream, verified on disk before it replaces the old one."""
    count = total = 0
    for header in iter(stream.readline, b""):
        entry = json.loads(header)
        path = _inside(root, entry["path"])
        partial = path + ".partial"
        try:
            _write(stream, partial, int(entry["size"]))
            actual = _sha256(partial)
            if actual != entry["sha256"]:
                raise Mismatch(f"sha256 mismatch for {entry['path']}: expected {entry['sha256']}, got {actual}")
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        count, total = count + 1, total + int(entry["size"])
    return {"files": count, "bytes": total}


def guard(argv: list) -> int:
    """Run ``argv`` in a new process group; end the group when stdin reaches EOF (the connection is gone)."""
    child = subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL)  # noqa: S603

    def stop(*_):
        for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, None)):
            try:
                os.killpg(child.pid, sig)
                child.wait(wait)
                return
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue

    def watch():
        while os.read(0, CHUNK):  # the raw fd: a buffered reader's lock would block interpreter exit
            pass
        if child.poll() is None:
            stop()

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda *_: stop())
    threading.Thread(target=watch, daemon=True).start()
    code = child.wait()
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell reports it


def main(argv: list) -> int:
    if argv[:1] == ["guard"] and argv[1:2] == ["--"]:
        return guard(argv[2:])
    if len(argv) != 2 or argv[0] not in ("probe", "receive"):
        print(f"usage: agent probe|receive DIR, or guard -- CMD; received {argv!r}", file=sys.stderr)
        return BAD_REQUEST
    command, root = argv
    try:
        if command == "probe":
            answer = probe(root, json.loads(sys.stdin.buffer.read() or b"[]"))
        else:
            answer = receive(root, sys.stdin.buffer)
    except OSError as exc:
        print(f"{exc.strerror or exc}: {exc.filename or root}", file=sys.stderr)
        return DISK_FULL if exc.errno in (28, 122) else BAD_REQUEST  # ENOSPC, EDQUOT
    except Mismatch as exc:
        print(str(exc), file=sys.stderr)
        return MISMATCH
    except (ValueError, EOFError) as exc:
        print(str(exc), file=sys.stderr)
        return BAD_REQUEST
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
