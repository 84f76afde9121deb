"""What every energy meter offers, so :func:`edge_runtime.energy.measure` treats them alike.

A meter is either cumulative (``kind == "energy"``: :meth:`read_joules` since the meter was
made, wrap-arounds handled) or instantaneous (``kind == "power"``: :meth:`read_watts`, which the
caller integrates by sampling). A reading whose sensor file vanished is None, never an error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Meter:
    """Base for meters: ``source`` names the sensor and what it covers."""

    kind = "energy"

    def __init__(self, source: str):
        self.source = source

    def read_joules(self) -> float | None:  # pragma: no cover - overridden by energy meters
        raise NotImplementedError(f"{self.source} is a {self.kind} meter: use read_watts()")

    def read_watts(self) -> float | None:  # pragma: no cover - overridden by power meters
        raise NotImplementedError(f"{self.source} is a {self.kind} meter: use read_joules()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"


class CounterMeter(Meter):
    """Cumulative joules from one or more wrapping counters (RAPL ``energy_uj``, hwmon ``energy*_input``).

    ``counters`` maps a name to ``(read_raw, wrap)``: ``read_raw()`` returns microjoules or None,
    ``wrap`` is the value at which the counter restarts from 0 (None: treat a decrease as a reset).
    Read it at least once per wrap period (RAPL: ``max_energy_range_uj`` / peak power, about a
    minute on a desktop); :func:`edge_runtime.energy.measure` polls it while measuring.
    """

    def __init__(self, source: str, counters: dict[str, tuple[Callable[[], float | None], float | None]]):
        super().__init__(source)
        self._counters = counters
        self._last: dict[str, float | None] = {name: read() for name, (read, _) in counters.items()}
        self._total_uj = 0.0
        self._lock = threading.Lock()

    def read_joules(self) -> float | None:
        with self._lock:
            missing = False
            for name, (read, wrap) in self._counters.items():
                raw, last = read(), self._last[name]
                if raw is None:
                    missing = True
                    continue
                if last is not None:
                    delta = raw - last
                    if delta < 0:  # the counter wrapped (or was reset)
                        delta = raw + wrap - last if wrap else raw
                    self._total_uj += delta
                else:
                    missing = True  # no baseline for this counter: this interval is lost
                self._last[name] = raw
            return None if missing else self._total_uj / 1e6
