"""Cached stages for long multi-step jobs (the demo): run each step once, skip it when nothing changed.

A :class:`Stage` names the JSON-able inputs it depends on and the stages it comes after. Its *key*
is a sha256 over its name, its inputs and the keys of the stages before it, so changing a setting
re-runs that stage and everything downstream, and two configurations never mix. A finished stage
writes a done-marker ``.stages/<name>.json`` holding its key and its small JSON result; a stage that
was interrupted has no marker, so a re-run removes its partial outputs and runs it again.

The workspace itself (an output directory) is claimed with an identity file, so a directory that
holds something else is refused instead of being overwritten.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_runtime import atomic
from edge_runtime.errors import UserError

MARKER_DIR = ".stages"
IDENTITY_FILE = "edgenn-workspace.json"


class WorkspaceError(UserError):
    """An output directory that holds something else, or is not a directory."""


@dataclass(frozen=True)
class Stage:
    """One step: ``run(ctx)`` writes the ``outputs`` (paths relative to the workspace) and returns a
    small JSON-able result that later stages read through ``ctx.results``.

    A ``resumable`` stage keeps its partial outputs when it is re-run (it resumes them itself and
    must refuse to mix two configurations, as ``edgenn train`` does); others start from nothing.
    """

    name: str
    title: str
    run: Callable[[StageContext], Any]
    inputs: dict = field(default_factory=dict)
    after: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    resumable: bool = False


@dataclass
class StageContext:
    """What a running stage sees: the workspace, the results of finished stages, a logger."""

    root: Path
    results: dict[str, Any]
    log: Callable[[str], None]
    stage: Stage

    def path(self, relative: str) -> Path:
        return self.root / relative


def stage_key(stage: Stage, upstream_keys: dict[str, str]) -> str:
    """sha256 of the stage's name, inputs and the keys of the stages it comes after."""
    payload = {"name": stage.name, "inputs": stage.inputs,
               "after": {name: upstream_keys[name] for name in stage.after}}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def claim_workspace(root: str | Path, kind: str, *, overwrite: bool = False) -> Path:
    """Create or re-open the workspace ``root`` for a job of ``kind``.

    An empty or missing directory is claimed; one claimed earlier by the same kind of job is reused
    (its finished stages stay valid); anything else is refused unless ``overwrite``, which empties it.
    ``overwrite`` on our own workspace starts afresh too.
    """
    from pipelines.outdir import claim_directory

    root = Path(root)
    identity = root / IDENTITY_FILE
    claim_directory(root, ours=lambda _: _read_identity(identity).get("kind") == kind, overwrite=overwrite,
                    empty_foreign=True, error=WorkspaceError,
                    foreign=(f"Expected an empty directory or one written by `edgenn {kind}`. "
                             f"Received: out={str(root)!r} (holds other files; pass --overwrite to replace them)"))
    if not identity.exists():
        atomic.write_json(identity, {"kind": kind, "schema_version": 1})
    return root


def run_stages(root: str | Path, stages: list[Stage], *, log: Callable[[str], None] = print,
               clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Run ``stages`` in order inside the claimed workspace ``root``, skipping finished ones.

    Markers of stages that are not in this plan (left by another configuration) are removed with
    their outputs first. Returns ``{stage name: result}``.
    """
    root = Path(root)
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ValueError(f"stage names must be unique: {names}")
    _forget_stages_not_in(root, set(names))
    keys: dict[str, str] = {}
    results: dict[str, Any] = {}
    started = clock()
    for index, stage in enumerate(stages, 1):
        unknown = [n for n in stage.after if n not in keys]
        if unknown:
            raise ValueError(f"stage {stage.name!r} comes after {unknown}, which do not run before it")
        keys[stage.name] = key = stage_key(stage, keys)
        banner = f"[{index}/{len(stages)}] {stage.title}"
        marker = _marker(root, stage.name)
        done = _read_identity(marker)
        if done.get("key") == key:
            results[stage.name] = done.get("result")
            log(f"{banner}: reused (finished earlier in {done.get('seconds', 0):.1f} s)")
            continue
        marker.unlink(missing_ok=True)
        if not stage.resumable:
            _remove_outputs(root, stage.outputs)
        log(f"{banner} ... (elapsed {_clock_text(clock() - started)})")
        t0 = clock()
        result = stage.run(StageContext(root, results, log, stage))
        seconds = clock() - t0
        atomic.write_json(marker, {"stage": stage.name, "key": key, "inputs": stage.inputs,
                                   "outputs": list(stage.outputs), "seconds": round(seconds, 2), "result": result}, default=str)
        results[stage.name] = result
        log(f"{banner}: done in {seconds:.1f} s (elapsed {_clock_text(clock() - started)})")
    return results


def stage_seconds(root: str | Path, names: list[str]) -> dict[str, float]:
    """The recorded wall time of each finished stage (for the report's timing table)."""
    out = {}
    for name in names:
        done = _read_identity(_marker(Path(root), name))
        if "seconds" in done:
            out[name] = float(done["seconds"])
    return out


def _forget_stages_not_in(root: Path, keep: set[str]) -> None:
    folder = root / MARKER_DIR
    if not folder.is_dir():
        return
    for marker in sorted(folder.glob("*.json")):
        if marker.stem in keep:
            continue
        done = _read_identity(marker)
        marker.unlink(missing_ok=True)
        _remove_outputs(root, tuple(done.get("outputs", ())))


def _remove_outputs(root: Path, outputs: tuple[str, ...]) -> None:
    for relative in outputs:
        target = (root / relative).resolve()
        if root.resolve() not in target.parents:  # never outside the workspace
            raise ValueError(f"stage output {relative!r} escapes the workspace {root}")
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def _marker(root: Path, name: str) -> Path:
    return root / MARKER_DIR / f"{name}.json"


def _read_identity(path: Path) -> dict:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}




def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"
