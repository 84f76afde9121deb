"""The benchmark: cold start, per-stage latency, CPU time, memory, thermal state and energy of a bundle.

One result per (model, backend, threads). Stages, timed with ``time.perf_counter_ns`` in one
loop: ``preprocess`` = the bundle's pipeline plus the cast/quantization to the model's input
dtype; ``inference`` = the engine alone (set inputs, invoke, get outputs); ``end_to_end`` = both
plus dequantizing the outputs. Cold start (:mod:`edge_runtime.coldstart`): every row in a fresh
child process, ``import`` + ``load`` + ``first_inference``. Energy: the headline estimate is CPU
time per inference x the board's active power per core (:mod:`edge_runtime.energy.core_power`),
measured energy beside it where a sensor exists, the MAC/bytes figure as a lower bound.
``--duration`` runs a sustained test that records latency and temperature per window; it calls
throttling only with evidence (board flags, a clock drop, a trip-point temperature) and otherwise
reports the latency drift between the first and last complete windows.
"""

from __future__ import annotations

import math
import resource
import subprocess
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
#: latency drift (last complete window's median vs the first's) worth a line of its own
DRIFT_LIMIT = 0.20
#: throttling evidence: the mean CPU clock falls this far below its first complete window's
CLOCK_DROP_LIMIT = 0.10
#: a window shorter than this share of ``window_s`` (the run's tail) is recorded but never judged
COMPLETE_SHARE = 0.95


#: the largest batch bench allocates (elements of batch x sample; 1 GiB as float32)
MAX_BATCH_ELEMENTS = 1 << 28


def sample_input(bundle, session, batch: int, seed: int = 0) -> np.ndarray:
    """A deterministic random raw input: the manifest's raw sample, or model features for a bare model."""
    rng = np.random.default_rng(seed)
    spec = bundle.input_spec
    sample = spec["shape"] if spec is not None else [1 if d < 0 else d for d in session.inputs[0].shape[1:]]
    if batch * math.prod(sample) > MAX_BATCH_ELEMENTS:
        raise ConfigError(f"Expected --batch x sample size <= {MAX_BATCH_ELEMENTS} elements (checked before "
                          f"allocating). Received: batch={batch} of samples {list(sample)}")
    shape = (batch, *sample)
    if spec is None:
        return rng.random(shape, dtype=np.float32)
    if spec["dtype"] == "uint8":
        return rng.integers(0, 256, size=shape, dtype=np.uint8)
    return rng.standard_normal(shape).astype(np.float32)


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
            self.trip_c = None
            return
        from edge_runtime.probes.thermal import throttle_trip_c

        self.snapshotter = Snapshotter(root)
        self.meter, self.reason = energy_meter(root)
        self.trip_c = throttle_trip_c(root)

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
    """Sustained mode: per window, the median latencies, the hottest zone and the mean clock.

    ``on_window(point, p50_so_far_us)`` is called after each window (the CLI prints a line).
    The last window is usually cut short by the end of the run: it is kept with ``complete``
    false and never judged.
    """

    def __init__(self, probes: Probes, window_s: float, on_window=None, so_far=None):
        self.probes, self.window_ns = probes, int(window_s * 1e9)
        self.on_window, self.so_far = on_window, so_far
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
        span = now - self._last
        point = {
            "t_s": round((now - self.start) / 1e9, 3), "n": int(e2e.size),
            "window_s": round(span / 1e9, 3), "complete": span >= COMPLETE_SHARE * self.window_ns,
            "end_to_end_p50_us": round(float(np.median(e2e)) / 1e3, 3),
            "inference_p50_us": round(float(np.median(inf)) / 1e3, 3),
            "temperature_c": max(temps) if temps else None,
            "cpu_freq_khz": round(sum(clocks) / len(clocks)) if clocks else None,
            "throttled": _any_throttled(snap),
        }
        self.points.append(point)
        self._e2e, self._inf, self._last = [], [], now
        if self.on_window is not None:
            self.on_window(point, self.so_far() if self.so_far else None)


def _any_throttled(snap: dict) -> bool | None:
    """The board's "throttled now" flag (Raspberry Pi get_throttled), None where there is none."""
    bits = snap.get("throttled")
    return None if not bits else bool(bits.get("any_now"))


def sustained_verdict(points: list[dict], trip_c: float | None = None) -> dict:
    """Throttling only with evidence, judged on complete windows; otherwise the latency drift, as a number.

    Evidence: the board's throttling flag, the mean clock falling more than CLOCK_DROP_LIMIT below the
    first complete window's, or the hottest zone reaching ``trip_c`` (the kernel's passive trip point).
    A slower latency alone is "latency drift" (a VM neighbour, a background job or the cache can cause it).
    Points without ``complete`` (older files) count as complete.
    """
    judged = [p for p in points if p.get("complete", True)]
    evidence = []
    flagged = sum(1 for p in judged if p.get("throttled"))
    if flagged:
        evidence.append(f"the board reported throttling in {flagged} of {len(judged)} windows")
    clocks = [p["cpu_freq_khz"] for p in judged if p.get("cpu_freq_khz")]
    if len(clocks) >= 2 and min(clocks[1:]) < (1 - CLOCK_DROP_LIMIT) * clocks[0]:
        evidence.append(f"CPU clock fell from {clocks[0]} to {min(clocks[1:])} kHz")
    temps = [p["temperature_c"] for p in judged if p.get("temperature_c") is not None]
    if trip_c is not None and temps and max(temps) >= trip_c:
        evidence.append(f"temperature reached {max(temps):g} C, the {trip_c:g} C trip point")
    drift = None
    if len(judged) >= 2 and judged[0]["end_to_end_p50_us"]:
        first, last = judged[0]["end_to_end_p50_us"], judged[-1]["end_to_end_p50_us"]
        drift = round((last - first) / first, 4)
    summary = ("throttling: " + "; ".join(evidence)) if evidence else "no throttling evidence"
    if drift is not None:
        summary += (f"; latency drift {drift:+.0%} (end-to-end p50, first to last complete window"
                    f"{', over ' + format(DRIFT_LIMIT, '.0%') if abs(drift) > DRIFT_LIMIT else ''})")
    return {"throttling_suspected": bool(evidence), "reasons": evidence, "evidence": evidence,
            "latency_drift": drift, "windows": len(points), "complete_windows": len(judged),
            "trip_point_c": trip_c, "summary": summary}


def power_fields(bundle, session, probes: Probes, settings: BenchSettings, x, cpu_us: float,
                 device: dict) -> dict:
    """Measured energy (opt-in, where a sensor exists) beside the headline estimate (CPU time x power per
    core) and the MAC/bytes lower bound, each labelled."""
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
    try:
        from edge_runtime.energy.core_power import cpu_time_estimate
    except ImportError:
        estimate = None
    else:
        estimate = cpu_time_estimate(cpu_us, device)
    return {"measured": measured, "unavailable_reason": None if measured and not reason else reason,
            "estimate": estimate, "lower_bound": energy_lower_bound(session)}


def energy_lower_bound(session) -> dict | None:
    """Horowitz-constant arithmetic from the manifest's MACs and the bytes the model moves: a lower bound."""
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


def cold_start(bundle, model: dict, backend: str, threads: int, batch: int, options: dict | None,
               in_process: dict) -> dict:
    """The row's cold start from a fresh child (:mod:`edge_runtime.coldstart`); the in-process figures,
    labelled, only if the child fails."""
    from edge_runtime import coldstart

    path = bundle.source if bundle.bare else bundle.path
    try:
        return coldstart.measure_in_child(str(path), model["id"], model["format"], backend, threads, options, batch)
    except (RuntimeError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return in_process | {"method": f"in the bench process (the cold-start child failed: {exc}); "
                                       "not comparable with other rows"}


def bench_one(bundle, model_id: str, backend: str | None, threads: int, settings: BenchSettings,
              probes: Probes, options: dict | None = None, device: dict | None = None, on_window=None) -> dict:
    """One result dict (the ``results[]`` entry of the bench JSON).

    ``device``: the facts the energy estimate looks its board up in (default: read from the probe root);
    ``on_window(model_id, point, p50_so_far_us)``: called after each sustained-mode window.
    """
    device = device if device is not None else device_facts(settings.probe_root)
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
    timeline = None
    if settings.duration_s:
        report = None if on_window is None else (lambda point, so_far: on_window(model["id"], point, so_far))
        timeline = Timeline(probes, settings.window_s, report,
                            lambda: round(float(np.median(recorders[2].kept())) / 1e3, 3))
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
    cpu_us = round((cpu1 - cpu0) / 1e3 / count, 3)
    in_process = {"import": round(import_ns / 1e3, 1), "load": round((t1 - t0) / 1e3, 1),
                  "first_inference": round((t2 - t1) / 1e3, 1), "total": round((import_ns + t2 - t0) / 1e3, 1)}
    result = {
        "model_id": model["id"], "format": model["format"], "variant": model["variant"],
        "precision": model["precision"], "backend": chosen.name, "threads": threads,
        "size_bytes": model["size_bytes"], "params": analysis.get("params"), "macs": analysis.get("macs"),
        "preprocessing_ops": analysis.get("preprocessing_ops"),
        "in_model_ops": in_model_ops(model),
        "accuracy": (model.get("accuracy") or {}).get("value"),
        "accuracy_samples": (model.get("accuracy") or {}).get("samples"),
        "accuracy_split": (model.get("accuracy") or {}).get("split"),
        "cold_start_us": cold_start(bundle, model, chosen.name, threads, settings.batch, options, in_process),
        "latency_us": {"preprocess": pre, "inference": inf, "end_to_end": e2e},
        "throughput_per_s": round(count * settings.batch / ((wall1 - wall0) / 1e9), 2),
        "cpu_time_us_per_inference": cpu_us,
        "peak_rss_mb": peak_rss_mb(),
        "power": power_fields(bundle, session, probes, settings, x, cpu_us, device),
        "thermal": {"before": before, "after": after,
                    "throttled": _throttled(before, after, timeline, probes.trip_c)},
        "timeline": timeline.points if timeline else [],
        "engine": session.describe(),
    }
    if timeline:
        result["sustained"] = sustained_verdict(timeline.points, probes.trip_c)
    return result


def _throttled(before: dict, after: dict, timeline: Timeline | None, trip_c: float | None = None) -> bool | None:
    """Throttled during the run: flagged now, newly flagged "since boot", or a sustained-run verdict."""
    flags = [_any_throttled(before), _any_throttled(after)]
    b, a = before.get("throttled") or {}, after.get("throttled") or {}
    if a:
        flags.append(any(bool(v) and not b.get(k) for k, v in a.items() if k.endswith("_occurred")))
    if timeline is not None:
        flags += [p["throttled"] for p in timeline.points if p.get("complete", True)]
        if sustained_verdict(timeline.points, trip_c)["throttling_suspected"]:
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
              options_for=None, progress=None, on_window=None) -> dict:
    """The whole bench JSON for ``model_ids`` x ``settings.threads`` on one backend choice.

    ``options_for(model_entry) -> dict`` gives engine options per model (they differ by format).
    """
    settings.check()
    probes = Probes(settings.probe_root)
    device = device_facts(settings.probe_root)
    results = []
    for model_id in model_ids:
        options = options_for(bundle.model(model_id, backend)) if options_for else None
        for threads in settings.threads:
            result = bench_one(bundle, model_id, backend, threads, settings, probes, options, device, on_window)
            results.append(result)
            if progress is not None:
                progress(result)
    return {
        "schema_version": SCHEMA_VERSION, "kind": "edgenn-bench",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "device": device,
        "bundle": {"name": bundle.name, "path": str(bundle.source),
                   "task": bundle.manifest.get("task"), "dataset": bundle_dataset(bundle.manifest),
                   "bare": bundle.bare, "notes": bundle.notes},
        "settings": {"runs": None if settings.duration_s else settings.runs, "warmup": settings.warmup,
                     "duration_s": settings.duration_s, "batch": settings.batch,
                     "threads": list(settings.threads), "backend": backend,
                     "stages": {"preprocess": "the pipeline steps the host still runs (after the model's "
                                              "in_model_ops) + cast/quantize to the model input",
                                "inference": "engine only: set inputs, invoke, get outputs",
                                "end_to_end": "preprocess + inference + dequantize outputs"},
                     "cold_start": _cold_start_method()},
        "results": results,
    }


def bundle_dataset(manifest: dict) -> str | None:
    """The dataset the bundle's model was trained and scored on (the manifest's training record), or None."""
    dataset = (manifest.get("training") or {}).get("dataset") or {}
    return dataset.get("name") if isinstance(dataset, dict) else None


def _cold_start_method() -> str:
    from edge_runtime.coldstart import METHOD

    return METHOD


def fastest(results: list[dict]) -> dict | None:
    """The result with the lowest end-to-end p50 (reports name it rather than assume int8 wins)."""
    finite = [r for r in results if math.isfinite(r["latency_us"]["end_to_end"]["p50"])]
    return min(finite, key=lambda r: r["latency_us"]["end_to_end"]["p50"]) if finite else None
