"""Measured energy per inference, in the shape of MLPerf Tiny's energy mode.

Each window runs the workload for ``seconds`` (MLPerf Tiny asks for at least 10 s) right after an
idle period of the same length; energy per inference = (active energy - idle power x active time)
/ inferences. The result is the median over the windows that had every reading, so one disturbed
window (a sensor read that went missing, a background job) does not set the figure.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable

from edge_runtime.errors import ConfigError
from edge_runtime.probes.meter import Meter

MLPERF_TINY_MIN_SECONDS = 10.0
MLPERF_TINY_WINDOWS = 5


class _Recording:
    """Joules and seconds over one interval, polling the meter in a thread.

    Power meters are integrated with the trapezoid rule; energy counters are polled so a wrapping
    counter is read at least every ``interval_s``. Any missing reading spoils the interval.
    """

    def __init__(self, meter: Meter, interval_s: float, clock: Callable[[], float]):
        self.meter, self.interval_s, self.clock = meter, interval_s, clock
        self.missing = 0
        self._samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _read(self) -> None:
        value = self.meter.read_watts() if self.meter.kind == "power" else self.meter.read_joules()
        now = self.clock()
        if value is None:
            self.missing += 1
        else:
            self._samples.append((now, value))

    def _poll(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._read()

    def __enter__(self) -> _Recording:
        self.start = self.clock()
        self._read()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._read()
        # the span the readings cover, so energy and time describe the same interval
        ends = self._samples[-1][0] - self._samples[0][0] if len(self._samples) > 1 else 0.0
        self.seconds = ends or self.clock() - self.start

    def joules(self) -> float | None:
        """Energy over the interval, or None when a reading went missing."""
        if self.missing or len(self._samples) < 2:
            return None
        if self.meter.kind != "power":
            return self._samples[-1][1] - self._samples[0][1]
        pairs = zip(self._samples, self._samples[1:], strict=False)
        return sum((t1 - t0) * (w0 + w1) / 2 for (t0, w0), (t1, w1) in pairs)


def _run_for(workload: Callable[[], object], seconds: float, clock: Callable[[], float]) -> int:
    """Call ``workload`` until ``seconds`` have passed; inferences done (an int return is a batch size)."""
    count, end = 0, clock() + seconds
    while clock() < end:
        done = workload()
        count += done if isinstance(done, int) and not isinstance(done, bool) and done > 0 else 1
    return count


def measure(workload: Callable[[], object], meter: Meter, windows: int = MLPERF_TINY_WINDOWS,
            seconds: float = MLPERF_TINY_MIN_SECONDS, idle: bool = True, interval_s: float = 0.05,
            clock: Callable[[], float] = time.perf_counter) -> dict:
    """Energy per inference of ``workload`` (one inference per call) on ``meter``: median of windows.

    Takes about ``windows x seconds`` (twice that with the idle baseline). Returns the per-window
    figures, the median ``energy_uj_per_inference`` (None when no window had all its readings)
    and the method.
    """
    if isinstance(windows, bool) or not isinstance(windows, int) or windows < 1:
        raise ConfigError(f"Expected windows >= 1. Received: windows={windows!r}")
    if not seconds > 0 or not interval_s > 0:
        raise ConfigError(f"Expected seconds > 0 and interval_s > 0. Received: seconds={seconds!r}, interval_s={interval_s!r}")
    records = []
    for _ in range(windows):
        record: dict = {"idle_j": None, "idle_s": None, "idle_w": 0.0, "missing_readings": 0}
        if idle:
            with _Recording(meter, interval_s, clock) as rest:
                time.sleep(seconds)
            record.update(idle_j=rest.joules(), idle_s=rest.seconds, missing_readings=rest.missing)
            record["idle_w"] = None if record["idle_j"] is None else record["idle_j"] / rest.seconds
        with _Recording(meter, interval_s, clock) as active:
            inferences = _run_for(workload, seconds, clock)
        record.update(active_j=active.joules(), active_s=active.seconds, inferences=inferences,
                      missing_readings=record["missing_readings"] + active.missing)
        valid = record["active_j"] is not None and record["idle_w"] is not None
        record["active_w"] = record["active_j"] / active.seconds if valid else None
        record["energy_uj_per_inference"] = (
            (record["active_j"] - record["idle_w"] * active.seconds) / inferences * 1e6 if valid else None)
        record["valid"] = valid
        records.append(record)
    good = [r for r in records if r["valid"]]

    def median(key: str) -> float | None:
        return statistics.median(r[key] for r in good) if good else None

    result = {
        "source": meter.source,
        "label": "measured",
        "energy_uj_per_inference": median("energy_uj_per_inference"),
        "active_power_w": median("active_w"),
        "idle_power_w": median("idle_w") if idle else None,
        "idle_subtracted": idle,
        "window_s": seconds,
        "valid_windows": len(good),
        "windows": records,
        "meets_mlperf_tiny_minimum": seconds >= MLPERF_TINY_MIN_SECONDS and windows >= MLPERF_TINY_WINDOWS,
        "method": (f"median over {windows} windows of {seconds:g} s: (active energy - idle power x active time)"
                   f" / inferences{'' if idle else ' (no idle baseline subtracted)'}; "
                   f"{'trapezoid integration of power sampled' if meter.kind == 'power' else 'energy counter polled'}"
                   f" every {interval_s:g} s (MLPerf Tiny energy-mode shape)"),
    }
    if not good:
        result["unavailable_reason"] = f"{meter.source}: a reading went missing in every window"
    return result
