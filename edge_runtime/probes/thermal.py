"""Thermal zones: ``/sys/class/thermal/thermal_zone*/{type,temp}`` (temp in millidegrees C).

Zones are discovered once; every later :meth:`ThermalZones.read` reports each of them, with
None for a zone whose file went missing, so a vanished sensor shows up instead of disappearing.
"""

from __future__ import annotations

from pathlib import Path

from edge_runtime.probes.sysfs import numbered, read_number, read_text, under

THERMAL_DIR = "/sys/class/thermal"


class ThermalZones:
    """The thermal zones under ``root``, keyed by their type ("cpu-thermal", "x86_pkg_temp")."""

    def __init__(self, root: str | Path = "/"):
        self.zones: dict[str, Path] = {}
        for zone in numbered(under(root, THERMAL_DIR), "thermal_zone*"):
            kind = read_text(zone / "type") or zone.name
            name = kind if kind not in self.zones else f"{kind}:{zone.name}"
            self.zones[name] = zone / "temp"

    def read(self) -> dict[str, float | None]:
        """Degrees Celsius per zone; None where the reading is missing."""
        out: dict[str, float | None] = {}
        for name, path in self.zones.items():
            milli = read_number(path)
            out[name] = None if milli is None else round(milli / 1000.0, 3)
        return out


def hottest(temperatures: dict[str, float | None]) -> float | None:
    """The highest present reading, the one throttling responds to; None without any."""
    present = [t for t in temperatures.values() if t is not None]
    return max(present) if present else None


#: trip types at which the kernel starts cooling the CPU by slowing it (critical/shutdown ones are later)
THROTTLE_TRIPS = ("passive", "hot")


def throttle_trip_c(root: str | Path = "/") -> float | None:
    """The lowest ``passive``/``hot`` trip point over all zones in degrees C (where the kernel throttles), or None."""
    trips = []
    for zone in numbered(under(root, THERMAL_DIR), "thermal_zone*"):
        for kind_file in zone.glob("trip_point_*_type"):
            if read_text(kind_file) in THROTTLE_TRIPS:
                milli = read_number(zone / kind_file.name.replace("_type", "_temp"))
                if milli is not None and milli > 0:
                    trips.append(milli / 1000.0)
    return min(trips) if trips else None
