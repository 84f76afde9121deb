"""The benchmark: cold start, per-stage latency, CPU time, memory, thermal state and energy of a bundle.

One result per (model, backend, threads). Stages, timed with ``time.perf_counter_ns`` in one
loop: ``preprocess`` = the bundle's pipeline plus the cast/quantization to the model's input
dtype; ``inference`` = the engine alone (set inputs, invoke, get outputs); ``end_to_end`` = both
plus dequantizing the outputs. Cold start: ``import`` (the engine module's first import),
``load`` (sha256 check, model check, engine creation), ``first_inference`` (the first
end-to-end call). ``--duration`` runs a sustained test that records latency and temperature per
window and flags throttling. The JSON shape is ``docs/architecture.md``'s bench result.
"""

from __future__ import annotations

import math
import resource
import sys
import time
from datetime import datetime, timezone

import numpy as np

from edge_runtime.backends import backend_for, runtime_versions
from edge_runtime.bench_settings import BenchSettings
from edge_runtime.errors import ConfigError
from edge_runtime.manifest import in_model_ops
from edge_runtime.stats import Recorder

SCHEMA_VERSION = 1
BLOCK = 4096  # samples per block handed to the recorders
#: a sustained run is flagged when the last window's median is this much slower than the first's
DRIFT_LIMIT = 0.20
#: ... or when a CPU clock falls this far below its first reading
CLOCK_DROP_LIMIT = 0.10


def sample_input(bundle, session, batch: int, seed: int = 0) -> np.ndarray:
    """A deterministic random raw input: the manifest's raw sample, or model features for a bare model."""
    rng = np.random.default_rng(seed)
    spec = bundle.input_spec
    if spec is not None:
        shape = (batch, *spec["shape"])
        if spec["dtype"] == "uint8":
            return rng.integers(0, 256, size=shape, dtype=np.uint8)
        return rng.standard_normal(shape).astype(np.float32)
    shape = (batch, *[1 if s < 0 else s for s in session.inputs[0].shape[1:]])
    return rng.random(shape, dtype=np.float32)


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux: ``VmHWM`` of /proc/self/status, the high-water mark of this process image;
    ``ru_maxrss`` is not used there because it carries over a larger parent's peak through
    fork + exec. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 2)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20) if sys.platform == "darwin" else peak / 1024, 2)


class Probes:
    """Thermal snapshots and the energy meter, from ``edge_runtime.probes`` when it is installed."""

    def __init__(self, root: str = "/"):
        try:
            from edge_runtime.probes import Snapshotter, energy_meter
        except ImportError:  # the probes package is optional for a bare runtime
            self.snapshotter, self.meter, self.reason = None, None, "edge_runtime.probes is not available"
            return
        self.snapshotter = Snapshotter(root)
        self.meter, self.reason = energy_meter(root)

    def snapshot(self) -> dict:
        if self.snapshotter is None:
            return {"temperatures_c": {}, "cpu_freq_khz": {}, "governor": None, "throttled": None}
        return self.snapshotter.snapshot()


def timed_loop(session, x, count: int | None, until_ns: int | None, recorders, on_block=None,
               block_ns: int | None = None) -> int:
    """Run the three stages ``count`` times (or until ``until_ns``); returns the number of runs.

    Samples go to ``recorders`` in blocks of at most BLOCK runs, or ``block_ns`` of time when given
    (sustained mode: a slow model still reports once per timeline window).
    """
    pc = time.perf_counter_ns
    pre, prep, run, fin = session.preprocess, session.prepare, session.engine.run, session.finish
    done = 0
    while True:
        size = BLOCK if count is None else min(BLOCK, count - done)
        if size <= 0:
            return done
        stop_at = until_ns
        if block_ns is not None:
            stop_at = min(until_ns or (1 << 62), pc() + block_ns)
        t_pre, t_inf, t_e2e = [], [], []
        for _ in range(size):
            t0 = pc()
            f = prep(pre(x))
            t1 = pc()
            out = run([f])
            t2 = pc()
            fin(out)
            t3 = pc()
            t_pre.append(t1 - t0)
            t_inf.append(t2 - t1)
            t_e2e.append(t3 - t0)
            if stop_at is not None and t3 >= stop_at:
                break
        for recorder, block in zip(recorders, (t_pre, t_inf, t_e2e), strict=True):
            recorder.add_many(np.asarray(block, dtype=np.int64))
        done += len(t_e2e)
        if on_block is not None:
            on_block(np.asarray(t_e2e, dtype=np.int64), np.asarray(t_inf, dtype=np.int64))
        if until_ns is not None and pc() >= until_ns:
            return done


class Timeline:
    """Sustained mode: per window, the median latencies, the hottest zone and the mean clock."""

    def __init__(self, probes: Probes, window_s: float):
        self.probes, self.window_ns = probes, int(window_s * 1e9)
        self.start = time.perf_counter_ns()
        self.points: list[dict] = []
        self._e2e: list[np.ndarray] = []
        self._inf: list[np.ndarray] = []
        self._last = self.start

    def on_block(self, e2e: np.ndarray, inf: np.ndarray) -> None:
        self._e2e.append(e2e)
        self._inf.append(inf)
        now = time.perf_counter_ns()
        if now - self._last >= self.window_ns:
            self.flush(now)

    def flush(self, now: int | None = None) -> None:
        if not self._e2e:
            return
        now = now or time.perf_counter_ns()
        e2e, inf = np.concatenate(self._e2e), np.concatenate(self._inf)
        snap = self.probes.snapshot()
        temps = [t for t in snap["temperatures_c"].values() if t is not None]
        clocks = [f for f in snap["cpu_freq_khz"].values() if f is not None]
        self.points.append({
            "t_s": round((now - self.start) / 1e9, 3), "n": int(e2e.size),
            "end_to_end_p50_us": round(float(np.median(e2e)) / 1e3, 3),
            "inference_p50_us": round(float(np.median(inf)) / 1e3, 3),
            "temperature_c": max(temps) if temps else None,
            "cpu_freq_khz": round(sum(clocks) / len(clocks)) if clocks else None,
            "throttled": _any_throttled(snap),
        })
        self._e2e, self._inf, self._last = [], [], now


def _any_throttled(snap: dict) -> bool | None:
    """The board's "throttled now" flag (Raspberry Pi get_throttled), None where there is none."""
    bits = snap.get("throttled")
    return None if not bits else bool(bits.get("any_now"))


def sustained_verdict(points: list[dict]) -> dict:
    """Flag throttling over a sustained run: reported by the board, a clock drop, or a latency drift."""
    reasons = []
    if any(p.get("throttled") for p in points):
        reasons.append("the board reported throttling")
    clocks = [p["cpu_freq_khz"] for p in points if p.get("cpu_freq_khz")]
    if len(clocks) >= 2 and min(clocks[1:]) < (1 - CLOCK_DROP_LIMIT) * clocks[0]:
        reasons.append(f"CPU clock fell from {clocks[0]} to {min(clocks[1:])} kHz")
    drift = None
    if len(points) >= 2:
        first, last = points[0]["end_to_end_p50_us"], points[-1]["end_to_end_p50_us"]
        drift = (last - first) / first if first else None
        if drift is not None and drift > DRIFT_LIMIT:
            reasons.append(f"end-to-end p50 rose {drift:.0%} from the first window to the last")
    return {"throttling_suspected": bool(reasons), "reasons": reasons,
            "latency_drift": None if drift is None else round(drift, 4), "windows": len(points)}


def power_fields(bundle, session, probes: Probes, settings: BenchSettings, x) -> dict:
    """Measured energy (opt-in, where a sensor exists) and always the labelled estimate."""
    measured, reason = None, probes.reason or "no energy sensor found"
    if probes.meter is not None:
        if settings.energy:
            from edge_runtime.energy import measure

            measured = measure(lambda: session.predict(x), probes.meter, windows=settings.energy_windows,
                               seconds=settings.energy_seconds)
            reason = measured.get("unavailable_reason")
        else:
            reason = (f"sensor {probes.meter.source} found; pass --energy to measure "
                      f"(takes about {2 * settings.energy_windows * settings.energy_seconds:g} s per result)")
    return {"measured": measured, "unavailable_reason": None if measured and not reason else reason,
            "estimate": energy_estimate(session)}


def energy_estimate(session) -> dict | None:
    """Horowitz-constant estimate from the manifest's MACs and the bytes the model moves."""
    analysis = session.model.get("analysis") or {}
    if "macs" not in analysis:
        return None
    try:
        from edge_runtime.energy import estimate
    except ImportError:
        return None
    io_bytes = sum(int(np.prod([max(s, 1) for s in t.shape])) * np.dtype(t.dtype).itemsize
                   for t in (*session.inputs, *session.outputs))
    try:
        return estimate(int(analysis["macs"]), int(session.model["size_bytes"]) + io_bytes,
                        session.model["precision"])
    except ConfigError:
        return None


def bench_one(bundle, model_id: str, backend: str | None, threads: int, settings: BenchSettings,
              probes: Probes, options: dict | None = None) -> dict:
    """One result dict (the ``results[]`` entry of the bench JSON)."""
    model = bundle.model(model_id, backend)
    chosen = backend_for(model["format"], backend)
    import_ns = chosen.import_time_ns()
    before = probes.snapshot()
    t0 = time.perf_counter_ns()
    session = bundle.session(model["id"], chosen.name, threads, **(options or {}))
    t1 = time.perf_counter_ns()
    x = sample_input(bundle, session, settings.batch)
    session.predict(x)
    t2 = time.perf_counter_ns()
    for _ in range(settings.warmup):
        session.predict(x)

    recorders = [Recorder(), Recorder(), Recorder()]
    timeline = Timeline(probes, settings.window_s) if settings.duration_s else None
    until = None if settings.duration_s is None else time.perf_counter_ns() + int(settings.duration_s * 1e9)
    cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
    count = timed_loop(session, x, None if until else settings.runs, until, recorders,
                       timeline.on_block if timeline else None,
                       block_ns=timeline.window_ns if timeline else None)
    cpu1, wall1 = time.process_time_ns(), time.perf_counter_ns()
    if timeline:
        timeline.flush()
    after = probes.snapshot()
    pre, inf, e2e = (r.summary() for r in recorders)
    analysis = model.get("analysis") or {}
    result = {
        "model_id": model["id"], "format": model["format"], "variant": model["variant"],
        "precision": model["precision"], "backend": chosen.name, "threads": threads,
        "size_bytes": model["size_bytes"], "params": analysis.get("params"), "macs": analysis.get("macs"),
        "preprocessing_ops": analysis.get("preprocessing_ops"),
        "in_model_ops": in_model_ops(model),
        "accuracy": (model.get("accuracy") or {}).get("value"),
        "cold_start_us": {"import": round(import_ns / 1e3, 1), "load": round((t1 - t0) / 1e3, 1),
                          "first_inference": round((t2 - t1) / 1e3, 1),
                          "total": round((import_ns + t2 - t0) / 1e3, 1)},
        "latency_us": {"preprocess": pre, "inference": inf, "end_to_end": e2e},
        "throughput_per_s": round(count * settings.batch / ((wall1 - wall0) / 1e9), 2),
        "cpu_time_us_per_inference": round((cpu1 - cpu0) / 1e3 / count, 3),
        "peak_rss_mb": peak_rss_mb(),
        "power": power_fields(bundle, session, probes, settings, x),
        "thermal": {"before": before, "after": after,
                    "throttled": _throttled(before, after, timeline)},
        "timeline": timeline.points if timeline else [],
        "engine": session.describe(),
    }
    if timeline:
        result["sustained"] = sustained_verdict(timeline.points)
    return result


def _throttled(before: dict, after: dict, timeline: Timeline | None) -> bool | None:
    """Throttled during the run: flagged now, newly flagged "since boot", or a sustained-run verdict."""
    flags = [_any_throttled(before), _any_throttled(after)]
    b, a = before.get("throttled") or {}, after.get("throttled") or {}
    if a:
        flags.append(any(bool(v) and not b.get(k) for k, v in a.items() if k.endswith("_occurred")))
    if timeline is not None:
        flags += [p["throttled"] for p in timeline.points]
        if sustained_verdict(timeline.points)["throttling_suspected"]:
            return True
    known = [f for f in flags if f is not None]
    return any(known) if known else None


def device_facts(root: str = "/") -> dict:
    """Device facts for the report (``edge_runtime.device``), or the basics if it is not installed."""
    try:
        from edge_runtime.device import device_facts as facts
    except ImportError:
        import os
        import platform
        import socket

        return {"hostname": socket.gethostname(), "cpu_model": platform.processor() or platform.machine(),
                "cores": os.cpu_count(), "arch": platform.machine(),
                "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
                "runtimes": runtime_versions(), "governor": None, "virtual_machine": None, "board": None}
    return facts(root)


def run_bench(bundle, model_ids: list[str | None], backend: str | None, settings: BenchSettings,
              options_for=None, progress=None) -> dict:
    """The whole bench JSON for ``model_ids`` x ``settings.threads`` on one backend choice.

    ``options_for(model_entry) -> dict`` gives engine options per model (they differ by format).
    """
    settings.check()
    probes = Probes(settings.probe_root)
    results = []
    for model_id in model_ids:
        options = options_for(bundle.model(model_id, backend)) if options_for else None
        for threads in settings.threads:
            result = bench_one(bundle, model_id, backend, threads, settings, probes, options)
            results.append(result)
            if progress is not None:
                progress(result)
    return {
        "schema_version": SCHEMA_VERSION, "kind": "edgenn-bench",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "device": device_facts(settings.probe_root),
        "bundle": {"name": bundle.name, "path": str(bundle.source),
                   "task": bundle.manifest.get("task"), "bare": bundle.bare, "notes": bundle.notes},
        "settings": {"runs": None if settings.duration_s else settings.runs, "warmup": settings.warmup,
                     "duration_s": settings.duration_s, "batch": settings.batch,
                     "threads": list(settings.threads), "backend": backend,
                     "stages": {"preprocess": "the pipeline steps the host still runs (after the model's "
                                              "in_model_ops) + cast/quantize to the model input",
                                "inference": "engine only: set inputs, invoke, get outputs",
                                "end_to_end": "preprocess + inference + dequantize outputs"}},
        "results": results,
    }


def fastest(results: list[dict]) -> dict | None:
    """The result with the lowest end-to-end p50 (reports name it rather than assume int8 wins)."""
    finite = [r for r in results if math.isfinite(r["latency_us"]["end_to_end"]["p50"])]
    return min(finite, key=lambda r: r["latency_us"]["end_to_end"]["p50"]) if finite else None
