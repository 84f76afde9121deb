"""Raspberry Pi firmware throttling flags: ``vcgencmd get_throttled`` -> ``throttled=0x50005``.

Bits 0-3 are the current state, bits 16-19 say the same condition has occurred since boot
(Raspberry Pi documentation, "vcgencmd get_throttled").
"""

from __future__ import annotations

import re
from pathlib import Path

from edge_runtime.probes.command import Runner, default_runner

#: bit number -> flag name, as documented for ``get_throttled``
BITS: dict[int, str] = {
    0: "under_voltage",
    1: "arm_freq_capped",
    2: "throttled",
    3: "soft_temp_limit",
    16: "under_voltage_occurred",
    17: "arm_freq_capped_occurred",
    18: "throttled_occurred",
    19: "soft_temp_limit_occurred",
}

_VALUE = re.compile(r"throttled=(0x[0-9a-fA-F]+|\d+)")


def decode(value: int) -> dict:
    """Every documented flag of ``value`` as a boolean, plus ``raw`` (hex) and ``any_now``."""
    flags = {name: bool(value >> bit & 1) for bit, name in BITS.items()}
    return {"raw": hex(value), **flags, "any_now": bool(value & 0xF)}


def parse(text: str | None) -> int | None:
    """The integer in ``throttled=0x...`` output, or None when the text has none."""
    match = _VALUE.search(text or "")
    return int(match.group(1), 0) if match else None


def read_throttled(root: str | Path = "/", run: Runner | None = None) -> dict | None:
    """Decoded flags from ``vcgencmd get_throttled``; None when vcgencmd is absent or says nothing."""
    runner = default_runner(root, run)
    if runner is None:
        return None
    value = parse(runner(["vcgencmd", "get_throttled"]))
    return None if value is None else decode(value)
