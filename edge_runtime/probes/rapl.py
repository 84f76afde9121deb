"""Linux powercap RAPL (Intel, recent AMD): ``/sys/class/powercap/intel-rapl:*/energy_uj``.

Which zones are summed: the platform zone ``psys`` alone when present (it covers the whole
SoC); else every top-level ``package-N`` zone plus ``dram`` subzones (DRAM is outside the
package domain). ``core``/``uncore`` subzones are part of their package and are never added.
Counters wrap at ``max_energy_range_uj``. Since Linux 5.10 ``energy_uj`` is readable by root
only (CVE-2020-8694, "PLATYPUS").
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from edge_runtime.probes.meter import CounterMeter
from edge_runtime.probes.sysfs import numbered, read_number, read_text, under

POWERCAP_DIR = "/sys/class/powercap"
_TOP = re.compile(r"^intel-rapl:\d+$")
_SUB = re.compile(r"^intel-rapl:\d+:\d+$")


def _zones(root: str | Path) -> list[tuple[str, Path]]:
    """(name, zone dir) of the zones whose energies add up to the total, per the module rule."""
    zones = numbered(under(root, POWERCAP_DIR), "intel-rapl:*")
    top = [(read_text(z / "name") or z.name, z) for z in zones if _TOP.match(z.name)]
    psys = [(n, z) for n, z in top if n == "psys"]
    if psys:
        return psys[:1]
    dram = [(read_text(z / "name") or z.name, z) for z in zones if _SUB.match(z.name)]
    return [(n, z) for n, z in top if n.startswith("package")] + [(n, z) for n, z in dram if n == "dram"]


def find_rapl(root: str | Path = "/") -> tuple[CounterMeter | None, str]:
    """A meter over the RAPL zones under ``root``, or None and why not."""
    zones = _zones(root)
    if not zones:
        return None, f"no RAPL zones in {POWERCAP_DIR}"
    counters = {}
    for name, zone in zones:
        energy = zone / "energy_uj"
        try:
            energy.read_bytes()
        except PermissionError:
            return None, (f"RAPL {energy} is readable by root only (Linux >= 5.10, CVE-2020-8694): "
                          "run as root or make it readable")
        except OSError:
            return None, f"RAPL zone {zone.name} has no readable energy_uj"
        wrap = read_number(zone / "max_energy_range_uj")
        counters[f"{zone.name}/{name}"] = (partial(read_number, energy), wrap)
    return CounterMeter("rapl:" + "+".join(n for n, _ in zones), counters), ""
