"""Generic hwmon power and energy inputs: ``energy*_input`` (uJ, cumulative), ``power*_input`` (uW).

Devices handled by a dedicated reader (ina3221) are skipped. Energy counters are preferred to
power readings (no sampling error). Which channels: those labelled as a whole socket, package or
total when any are (never adding per-core channels to them), else the first channel alone: adding
unrelated channels could count the same power twice.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from edge_runtime.probes.meter import CounterMeter, Meter
from edge_runtime.probes.sysfs import numbered, read_number, read_text, under

HWMON_DIR = "/sys/class/hwmon"
SKIP_DEVICES = {"ina3221"}
_WHOLE = re.compile(r"socket|package|pkg|total", re.IGNORECASE)


def _channels(dev: Path, prefix: str) -> list[tuple[str, Path]]:
    """(label, input file) of the chosen channels of ``dev`` for ``prefix`` ("energy" or "power")."""
    inputs = numbered(dev, f"{prefix}[0-9]*_input")
    if not inputs:
        inputs = numbered(dev, f"{prefix}[0-9]*_average") if prefix == "power" else []
    labelled = [(read_text(dev / (f.name.rsplit("_", 1)[0] + "_label")) or f.name, f) for f in inputs]
    whole = [(label, f) for label, f in labelled if _WHOLE.search(label)]
    return whole or labelled[:1]


class HwmonPowerMeter(Meter):
    """Instantaneous watts from hwmon ``power*_input`` channels (microwatts)."""

    kind = "power"

    def __init__(self, source: str, files: list[Path]):
        super().__init__(source)
        self._files = files

    def read_watts(self) -> float | None:
        values = [read_number(f) for f in self._files]
        return None if any(v is None for v in values) else sum(values) / 1e6


def find_hwmon(root: str | Path = "/") -> tuple[Meter | None, str]:
    """A meter on the first hwmon device with energy (else power) inputs, or None and why not."""
    devices = [d for d in numbered(under(root, HWMON_DIR), "hwmon*") if read_text(d / "name") not in SKIP_DEVICES]
    for prefix in ("energy", "power"):
        for dev in devices:
            channels = _channels(dev, prefix)
            if not channels:
                continue
            source = f"hwmon:{read_text(dev / 'name') or dev.name}:" + "+".join(label for label, _ in channels)
            if prefix == "energy":
                return CounterMeter(source, {f.name: (partial(read_number, f), None) for _, f in channels}), ""
            return HwmonPowerMeter(source, [f for _, f in channels]), ""
    return None, "no hwmon power*_input or energy*_input"
