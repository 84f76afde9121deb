"""Power and thermal probes over a sysfs root that tests replace with a recorded fake tree.

Public API (the bench codes against it):

- :func:`snapshot` -> ``{"temperatures_c", "cpu_freq_khz", "governor", "throttled"}`` (the
  SNAPSHOT of ``docs/architecture.md``); :class:`Snapshotter` re-reads the same sensors over a
  run so a sensor that vanishes reads as null instead of disappearing from the record.
- :func:`energy_meter` -> ``(meter, "")`` or ``(None, reason)``: the first sensor found among
  :data:`METERS` (a board's total input first, then CPU package counters, then generic hwmon).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edge_runtime.probes.command import Runner, default_runner
from edge_runtime.probes.cpufreq import CpuFreq
from edge_runtime.probes.hwmon import find_hwmon
from edge_runtime.probes.ina3221 import find_ina3221, read_rails
from edge_runtime.probes.meter import Meter
from edge_runtime.probes.pmic import find_pmic
from edge_runtime.probes.rapl import find_rapl
from edge_runtime.probes.thermal import ThermalZones, hottest
from edge_runtime.probes.throttled import read_throttled

__all__ = ["METERS", "Meter", "Snapshotter", "energy_meter", "hottest", "read_rails", "snapshot"]

#: name -> finder(root, run) -> (meter | None, reason); tried in this order
METERS: dict[str, Callable[[Path | str, Runner | None], tuple[Meter | None, str]]] = {
    "ina3221": lambda root, run: find_ina3221(root),
    "pi5-pmic": find_pmic,
    "rapl": lambda root, run: find_rapl(root),
    "hwmon": lambda root, run: find_hwmon(root),
}


class Snapshotter:
    """The thermal zones, CPU clocks and throttling flags found at creation, read on demand."""

    def __init__(self, root: str | Path = "/", run: Runner | None = None):
        self.root = root
        self.run = default_runner(root, run)
        self.thermal = ThermalZones(root)
        self.cpufreq = CpuFreq(root)

    def snapshot(self) -> dict:
        """One SNAPSHOT: temperatures in C, clocks in kHz, governor, decoded throttling flags."""
        return {
            "temperatures_c": self.thermal.read(),
            "cpu_freq_khz": self.cpufreq.frequencies_khz(),
            "governor": self.cpufreq.governor(),
            "throttled": read_throttled(self.root, self.run) if self.run else None,
        }


def snapshot(root: str | Path = "/", run: Runner | None = None) -> dict:
    """A SNAPSHOT of the machine (or of the fake tree at ``root``) now."""
    return Snapshotter(root, run).snapshot()


def energy_meter(root: str | Path = "/", run: Runner | None = None) -> tuple[Meter | None, str]:
    """The first energy or power sensor found, or None and every finder's reason joined."""
    reasons = []
    for name, find in METERS.items():
        meter, reason = find(root, run)
        if meter is not None:
            return meter, ""
        reasons.append(reason or f"no {name}")
    return None, "; ".join(reasons)
