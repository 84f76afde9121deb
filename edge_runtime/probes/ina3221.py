"""Jetson INA3221 power monitors: the board's total input rail, never that rail plus its parts.

Two sysfs forms exist. JetPack 5/6 (upstream hwmon driver): ``/sys/class/hwmon/hwmon*/`` with
``name`` = ina3221, ``in{N}_label``, ``in{N}_input`` (bus mV) and ``curr{N}_input`` (mA).
JetPack 4 (NVIDIA's iio driver): ``/sys/bus/i2c/drivers/ina3221x/*/iio:device*/`` with
``rail_name_{N}`` and ``in_power{N}_input`` (mW). The sub-rails (CPU/GPU/SOC) are fed from the
input rail, so adding them to it would count their power twice: the meter reads the total rail
alone (labels in :data:`TOTAL_RAILS`, first match wins) and :func:`read_rails` shows the parts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from edge_runtime.probes.meter import Meter
from edge_runtime.probes.sysfs import numbered, read_number, read_text, under

HWMON_DIR = "/sys/class/hwmon"
IIO_DRIVER_DIR = "/sys/bus/i2c/drivers/ina3221x"

#: labels of a whole-board input rail, in order of preference (Orin/Xavier NX/Nano/AGX Orin)
TOTAL_RAILS = ("VDD_IN", "POM_5V_IN", "5V_IN", "VIN_SYS_5V0", "VIN")


def _hwmon_power(volt: Path, curr: Path) -> float | None:
    mv, ma = read_number(volt), read_number(curr)
    return None if mv is None or ma is None else mv * ma / 1e6


def _iio_power(power: Path) -> float | None:
    mw = read_number(power)
    return None if mw is None else mw / 1e3


def discover_rails(root: str | Path = "/") -> dict[str, Callable[[], float | None]]:
    """Every labelled INA3221 rail under ``root``: label -> reader of watts (None when missing)."""
    rails: dict[str, Callable[[], float | None]] = {}
    for dev in numbered(under(root, HWMON_DIR), "hwmon*"):
        if read_text(dev / "name") != "ina3221":
            continue
        for label_file in numbered(dev, "in*_label"):
            n = label_file.name[2:-len("_label")]
            label = read_text(label_file)
            if label and label.upper() != "NC" and (dev / f"curr{n}_input").exists():
                rails.setdefault(label, partial(_hwmon_power, dev / f"in{n}_input", dev / f"curr{n}_input"))
    for dev in numbered(under(root, IIO_DRIVER_DIR), "*/iio:device*"):
        for name_file in numbered(dev, "rail_name_*"):
            n = name_file.name.rsplit("_", 1)[1]
            label = read_text(name_file)
            if label:
                rails.setdefault(label, partial(_iio_power, dev / f"in_power{n}_input"))
    return rails


def read_rails(root: str | Path = "/") -> dict[str, float | None]:
    """Watts on every INA3221 rail (for a report's breakdown; do not sum them)."""
    return {label: read() for label, read in discover_rails(root).items()}


class RailMeter(Meter):
    """Instantaneous watts of one INA3221 rail."""

    kind = "power"

    def __init__(self, label: str, read: Callable[[], float | None]):
        super().__init__(f"ina3221:{label}")
        self._read = read

    def read_watts(self) -> float | None:
        return self._read()


def find_ina3221(root: str | Path = "/") -> tuple[RailMeter | None, str]:
    """A meter on the board's total input rail, or None and why not."""
    rails = discover_rails(root)
    if not rails:
        return None, "no INA3221 rails (hwmon name 'ina3221' or ina3221x iio)"
    for label in TOTAL_RAILS:
        if label in rails:
            return RailMeter(label, rails[label]), ""
    return None, (f"INA3221 rails {sorted(rails)} include no total input rail {list(TOTAL_RAILS)}; "
                  "summing sub-rails would miss or double-count power")
