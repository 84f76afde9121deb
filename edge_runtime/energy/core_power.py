"""The headline energy estimate: CPU time per inference x the board's active power per CPU core.

A model's energy on a CPU is the time the cores spend on it times the extra power a busy core
draws. The CPU time is measured by the bench (process CPU time over the timed loop divided by the
inferences: preprocessing, inference and output decoding, every thread); the power per core comes
from :data:`BOARDS`, published measurements of the boards the runtime recognises (its
``/proc/device-tree/model``), or from :data:`FALLBACK` for an unknown CPU. Idle power is not
charged to the model: the board draws it with or without inferences.

The arithmetic count of MACs and bytes (:func:`edge_runtime.energy.estimate`) misses instruction,
control, cache and leakage energy and the preprocessing, so it is kept only as a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge_runtime.errors import ConfigError

MODEL = "cpu-time x core power"


@dataclass(frozen=True)
class CorePower:
    """Active power of one busy core on a board, with how it was derived and where it was published."""

    board: str
    matches: tuple[str, ...]  # lower-case substrings of /proc/device-tree/model
    watts_per_core: float
    basis: str
    source: str
    kind: str  # "measured" (board at the wall, load minus idle), "budget" (upper bound) or "assumed"


#: Boards the runtime recognises, most specific first ("orin nano" before "nano").
BOARDS: tuple[CorePower, ...] = (
    CorePower("Raspberry Pi 5", ("raspberry pi 5", "raspberry pi 500", "compute module 5"), (9.8 - 3.3) / 4,
              "(9.8 W with stress-ng on all 4 Cortex-A76 cores - 3.3 W idle) / 4 cores, 4 GB board at 2.4 GHz",
              "J. Geerling, Raspberry Pi 5 2 GB vs 4 GB power measurements, Aug 2024 "
              "(github.com/geerlingguy/pi-overvolt/issues/4; CNX Software, 2024-08-27)", "measured"),
    CorePower("Raspberry Pi 4", ("raspberry pi 4", "raspberry pi 400", "compute module 4"), (6.41 - 2.1) / 4,
              "(6.41 W with stress-ng on all 4 Cortex-A72 cores plus glxgears - 2.1 W idle) / 4 cores, "
              "bench-top supply, firmware of Nov 2019 (includes some GPU load: an upper estimate)",
              'G. Halfacree, "Thermal testing Raspberry Pi 4", The MagPi 88 / raspberrypi.com blog, Nov 2019',
              "measured"),
    CorePower("Jetson AGX Orin", ("agx orin",), 60.0 / 12,
              "MAXN power budget 60 W / 12 Cortex-A78AE cores: a budget shared with GPU and memory, an upper bound",
              "NVIDIA Jetson AGX Orin module data sheet, power modes (nvpmodel)", "budget"),
    CorePower("Jetson Orin NX", ("orin nx",), 25.0 / 8,
              "25 W power mode budget / 8 Cortex-A78AE cores: a budget shared with GPU and memory, an upper bound",
              "NVIDIA Jetson Orin NX series data sheet, power modes (nvpmodel)", "budget"),
    CorePower("Jetson Orin Nano", ("orin nano",), 15.0 / 6,
              "15 W power mode budget / 6 Cortex-A78AE cores: a budget shared with GPU and memory, an upper bound",
              "NVIDIA Jetson Orin Nano series data sheet, power modes (nvpmodel)", "budget"),
    CorePower("Jetson Nano", ("jetson nano", "jetson-nano"), 10.0 / 4,
              "MAXN 10 W power budget / 4 Cortex-A57 cores: a budget shared with GPU and memory, an upper bound",
              "NVIDIA L4T Development Guide, Power Management for Jetson Nano (nvpmodel MAXN 10 W, 4 CPUs online)",
              "budget"),
)

#: Unknown boards, by CPU architecture: stated assumptions, not measurements.
FALLBACK: dict[str, CorePower] = {
    "arm": CorePower("unknown ARM CPU", (), BOARDS[0].watts_per_core,
                     "assumed: the Raspberry Pi 5's Cortex-A76 figure, the highest measured ARM figure in this table",
                     "edgenn assumption (see the Raspberry Pi 5 entry)", "assumed"),
    "other": CorePower("unknown CPU", (), 5.0,
                       "assumed: a desktop or server x86 core under full load draws about 3-10 W (a 65 W "
                       "8-core desktop part: about 8 W per core at its TDP); 5 W is a round middle, not a measurement",
                       "edgenn assumption", "assumed"),
}


def core_power(device: dict) -> CorePower:
    """The table entry for a bench ``device`` (its ``board``), else the fallback for its architecture."""
    board = (device.get("board") or "").lower()
    for entry in BOARDS:
        if board and any(m in board for m in entry.matches):
            return entry
    arch = (device.get("arch") or "").lower()
    return FALLBACK["arm" if arch.startswith(("aarch64", "arm")) else "other"]


def cpu_time_estimate(cpu_us_per_inference: float, device: dict) -> dict:
    """Energy per inference in microjoules (us x W = uJ), labelled with its model, basis and source."""
    if isinstance(cpu_us_per_inference, bool) or not isinstance(cpu_us_per_inference, (int, float)) \
            or not cpu_us_per_inference >= 0:
        raise ConfigError(f"Expected CPU time per inference >= 0 us. Received: cpu_us={cpu_us_per_inference!r}")
    entry = core_power(device)
    return {
        "energy_uj_per_inference": round(cpu_us_per_inference * entry.watts_per_core, 3),
        "label": "estimate",
        "model": MODEL,
        "cpu_time_us_per_inference": cpu_us_per_inference,
        "watts_per_core": round(entry.watts_per_core, 4),
        "board": entry.board,
        "power_kind": entry.kind,
        "method": (f"CPU time per inference (end to end: preprocessing, inference and output decoding, all "
                   f"threads) x {entry.watts_per_core:.3g} W active power per core ({entry.board}: {entry.basis})"),
        "source": entry.source,
    }
