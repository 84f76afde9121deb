"""Check a model file before an engine sees it, so a corrupt file is an error, never a crash.

Three levels, cheapest first: a header check (size, the TFLite ``TFL3`` file identifier and root
offset, a protobuf tag for ONNX); the ``onnx`` structural checker when that package is installed
(it is not part of the edge extra); and a probe load plus one inference in a child process, which
survives whatever the engine does with a malformed file. A matching sha256 proves only that the
file is what the manifest's author wrote (a tampered bundle carries a matching hash), so every model,
bare or in a bundle, gets the probe; its verdict is cached per (sha256, backend, engine version) in
the user's cache directory (``$XDG_CACHE_HOME/edgenn/modelcheck``), so each model pays it once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from edge_runtime.errors import BundleError

FORMATS = {".tflite": "tflite", ".onnx": "onnx"}
PROBE_TIMEOUT_S = 120


def detect_format(path: str | Path) -> str:
    """``tflite`` or ``onnx`` from the suffix; BundleError naming the path otherwise."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise BundleError(f"Expected a bundle directory, a .zip, a .tflite or an .onnx file. Received: path={str(path)!r}")
    return fmt


def header_problem(data: bytes, fmt: str) -> str | None:
    """Why the first bytes cannot be a model of ``fmt``, or None when they can."""
    if not data:
        return "the file is empty"
    if fmt == "tflite":
        if len(data) < 16:
            return f"{len(data)} bytes is too short for a TFLite flatbuffer"
        if data[4:8] != b"TFL3":
            return f"no TFLite file identifier (expected b'TFL3' at byte 4, found {data[4:8]!r})"
        return None
    tag = data[0]
    if tag >> 3 == 0 or tag & 7 not in (0, 1, 2, 5):
        return f"the first byte 0x{tag:02x} is not a protobuf field tag"
    return None


def check_header(path: str | Path, fmt: str) -> None:
    """Raise BundleError when ``path`` fails the header check for ``fmt``."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    problem = header_problem(head, fmt)
    size = Path(path).stat().st_size
    if problem is None and fmt == "tflite" and int.from_bytes(head[:4], "little") >= size:
        problem = f"flatbuffer root offset lies beyond the file's {size} bytes (truncated?)"
    if problem:
        raise BundleError(f"{path}: not a valid {fmt} model: {problem}")


def check_onnx_structure(path: str | Path) -> bool:
    """Run ``onnx.checker`` when ``onnx`` is installed; False when it is not (nothing was checked)."""
    try:
        import onnx  # noqa: PLC0415  (optional, lazily: not part of the edge extra)
    except ImportError:
        return False
    try:
        onnx.checker.check_model(str(path))
    except Exception as exc:  # onnx raises ValidationError, DecodeError, UnicodeDecodeError
        raise BundleError(f"{path}: not a valid onnx model: {str(exc).strip().splitlines()[0][:300]}") from exc
    return True


_PROBE = """
import json, sys
import numpy as np
from edge_runtime.backends import get_backend
engine = get_backend(sys.argv[2]).load(sys.argv[1], 1)
arrays = [np.zeros([1 if s < 0 else s for s in t.shape], dtype=t.dtype) for t in engine.inputs]
engine.run(arrays)
print(json.dumps({"ok": True}))
"""


def probe_load(path: str | Path, backend: str) -> None:
    """Load ``path`` and run one inference in a child process; BundleError if the child fails or dies."""
    try:
        proc = subprocess.run([sys.executable, "-c", _PROBE, str(path), backend], capture_output=True,  # noqa: S603
                              text=True, timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BundleError(f"{path}: a probe load did not finish in {PROBE_TIMEOUT_S} s") from exc
    if proc.returncode < 0:
        name = signal.Signals(-proc.returncode).name
        raise BundleError(f"{path}: loading this model crashed a probe process ({name}); refusing to load it")
    if proc.returncode != 0 or '"ok": true' not in proc.stdout:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {proc.returncode}"
        raise BundleError(f"{path}: a probe load failed: {reason[:300]}")
    json.loads(proc.stdout.strip().splitlines()[-1])


def cache_dir() -> Path:
    """Where probe verdicts are kept: ``$XDG_CACHE_HOME/edgenn/modelcheck`` (default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgenn" / "modelcheck"


def _verdict_path(digest: str, backend: str) -> Path:
    from edge_runtime.backends import get_backend

    version = get_backend(backend).version() or "unknown"
    return cache_dir() / f"{digest}-{backend}-{version}.json"


def cached_probe(path: str | Path, backend: str, digest: str) -> None:
    """:func:`probe_load` once per (sha256, backend, engine version); a failure is cached and re-raised too."""
    from edge_runtime import atomic

    record = _verdict_path(digest, backend)
    try:
        verdict = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        verdict = None
    if not isinstance(verdict, dict) or not isinstance(verdict.get("ok"), bool):
        try:
            probe_load(path, backend)
            verdict = {"ok": True}
        except BundleError as exc:
            verdict = {"ok": False, "reason": str(exc).removeprefix(f"{path}: ")}
        try:
            atomic.write_json(record, verdict)
        except OSError:
            pass  # a read-only cache costs a probe per run, never a refusal
    if not verdict["ok"]:
        raise BundleError(f"{path}: {verdict.get('reason', 'a probe load failed')}")


def check_model_file(path: str | Path, fmt: str, backend: str, probe: bool, digest: str | None = None) -> None:
    """Header check, the onnx checker when available, and (``probe``) a child-process load.

    With the file's ``digest`` (sha256) the probe's verdict is cached; without it the probe always runs.
    """
    check_header(path, fmt)
    if fmt == "onnx" and probe:
        check_onnx_structure(path)
    if probe and digest:
        cached_probe(path, backend, digest)
    elif probe:
        probe_load(path, backend)
