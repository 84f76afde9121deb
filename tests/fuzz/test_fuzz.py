"""Fuzzing in the suite: each target runs under atheris for a bounded time, then its kept inputs replay.

A finding (an exception other than UserError, or a crashed process) fails the test and names the
input libFuzzer wrote; keep it as a regression input by copying it into ``tests/fuzz/crashers/<target>/``.
The seconds per target sum to 135 s (about 2.7 minutes with start-up) (``EDGENN_FUZZ_SCALE=10`` runs ten times longer);
executions per target are appended to ``test-artifacts/fuzz-stats.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.bundle import CORPUS, CRASHERS

ROOT = Path(__file__).resolve().parents[2]
#: seconds of fuzzing per target in `make test` (model targets pay a probe process per input)
SECONDS = {"manifest": 20, "zip": 20, "tflite": 30, "onnx": 30, "image": 15, "report": 20}
STATS = ROOT / "test-artifacts" / "fuzz-stats.jsonl"


def kept_inputs(name: str) -> list[Path]:
    return sorted(p for folder in (CORPUS / name, CRASHERS / name) if folder.is_dir()
                  for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SECONDS))
def test_fuzz_target_finds_nothing_in_its_time_bound(name, tmp_path):
    pytest.importorskip("atheris", reason="atheris wheels exist for x86_64 CPython only")
    seconds = int(SECONDS[name] * float(os.environ.get("EDGENN_FUZZ_SCALE", "1")))
    found, new = tmp_path / "found", tmp_path / "new"
    found.mkdir()
    new.mkdir()
    corpora = [str(new)] + [str(folder / name) for folder in (CORPUS, CRASHERS) if (folder / name).is_dir()]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache"), "TMPDIR": str(tmp_path)}
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tests.fuzz.harness", name, f"-max_total_time={seconds}", "-timeout=60",
         "-rss_limit_mb=3072", "-print_final_stats=1", f"-artifact_prefix={found}/", *corpora],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 300, check=False)
    runs = re.search(r"stat::number_of_executed_units: (\d+)", proc.stderr)
    _record(name, seconds, int(runs.group(1)) if runs else None, proc.returncode, sorted(p.name for p in found.iterdir()))
    findings = sorted(found.iterdir())
    assert proc.returncode == 0 and not findings, (
        f"fuzz target {name!r} found {[p.name for p in findings]} in {found} (copy them into "
        f"tests/fuzz/crashers/{name}/):\n" + proc.stderr[-3000:])
    assert runs and int(runs.group(1)) > 0, proc.stderr[-2000:]


@pytest.mark.parametrize("name", sorted(SECONDS))
def test_kept_corpus_and_crashers_replay_without_a_finding(name, tmp_path, monkeypatch):
    """Every seed and every input a fuzzer once failed on, through the same target, in this process."""
    pytest.importorskip("atheris", reason="atheris wheels exist for x86_64 CPython only")
    from tests.fuzz.targets import TARGETS

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    inputs = kept_inputs(name)
    assert inputs, f"no seed corpus in tests/fuzz/corpus/{name}"
    for path in inputs:
        TARGETS[name](path.read_bytes())


def _record(name: str, seconds: int, runs: int | None, code: int, findings: list[str]) -> None:
    STATS.parent.mkdir(exist_ok=True)
    line = {"target": name, "seconds": seconds, "executions": runs, "exit_code": code, "findings": findings,
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    with STATS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")
