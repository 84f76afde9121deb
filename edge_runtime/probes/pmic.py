"""Raspberry Pi 5 PMIC rails from ``vcgencmd pmic_read_adc``: power = sum of current x voltage.

Each rail prints as ``VDD_CORE_A current(7)=0.634A`` and ``VDD_CORE_V volt(15)=0.880V``; rails
with both are multiplied and summed. The PMIC sees the board's regulated rails, not the 5 V
input: converter losses and USB peripherals are outside the sum (``source`` says so). A Raspberry
Pi 4 or older has no current sensors at all (``pmic_read_adc`` exists on the Pi 5 only).
"""

from __future__ import annotations

import re
from pathlib import Path

from edge_runtime.probes.command import Runner, default_runner
from edge_runtime.probes.meter import Meter
from edge_runtime.probes.sysfs import read_text, under

_LINE = re.compile(r"^\s*(?P<rail>\S+)_(?P<unit>[AV])\s+(?:current|volt)\(\d+\)=(?P<value>[-+0-9.eE]+)[AV]\s*$")
COMMAND = ["vcgencmd", "pmic_read_adc"]


def parse_pmic(text: str | None) -> dict[str, dict[str, float]]:
    """Rail -> {"current_a": ..., "voltage_v": ...} (either may be absent) from the command output."""
    rails: dict[str, dict[str, float]] = {}
    for line in (text or "").splitlines():
        match = _LINE.match(line)
        if match:
            key = "current_a" if match["unit"] == "A" else "voltage_v"
            rails.setdefault(match["rail"], {})[key] = float(match["value"])
    return rails


def rail_watts(rails: dict[str, dict[str, float]]) -> dict[str, float]:
    """Watts per rail that has both a current and a voltage reading."""
    return {name: r["current_a"] * r["voltage_v"] for name, r in rails.items()
            if "current_a" in r and "voltage_v" in r}


class PmicMeter(Meter):
    """Instantaneous watts: the sum over the Pi 5 PMIC rails, read through ``vcgencmd``."""

    kind = "power"

    def __init__(self, run: Runner):
        super().__init__("pi5-pmic:sum of rails (excludes 5 V input losses and USB devices)")
        self._run = run

    def read_watts(self) -> float | None:
        watts = rail_watts(parse_pmic(self._run(COMMAND)))
        return sum(watts.values()) if watts else None


def board_model(root: str | Path = "/") -> str | None:
    """``/proc/device-tree/model`` ("Raspberry Pi 5 Model B Rev 1.0"), None on boards without one."""
    return read_text(under(root, "/proc/device-tree/model")) or None


def find_pmic(root: str | Path = "/", run: Runner | None = None) -> tuple[PmicMeter | None, str]:
    """A meter over the Pi 5 PMIC, or None and why not (a Pi 4 is named as having no sensor)."""
    model = board_model(root) or ""
    if model.startswith("Raspberry Pi") and not model.startswith("Raspberry Pi 5"):
        return None, f"{model} has no current sensors (vcgencmd pmic_read_adc exists on the Raspberry Pi 5 only)"
    runner = default_runner(root, run)
    if runner is None:
        return None, "no vcgencmd (Raspberry Pi 5 PMIC)"
    output = runner(COMMAND)
    if output is None:
        return None, "no vcgencmd (Raspberry Pi 5 PMIC)"
    if not rail_watts(parse_pmic(output)):
        return None, f"vcgencmd pmic_read_adc gave no current and voltage pairs ({output[:60]!r})"
    return PmicMeter(runner), ""
