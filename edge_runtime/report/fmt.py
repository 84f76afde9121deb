"""Formatting numbers for report tables: microseconds, bytes, counts, ratios."""

from __future__ import annotations

DASH = "\u2013"


def us(value: float | None) -> str:
    """Microseconds with resolution that matches their size: 3.21, 45.6, 1,234."""
    if value is None:
        return DASH
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 1000 else f"{value:,.0f}"


def size(num_bytes: int | None) -> str:
    """Bytes in B, kB or MB (powers of 1000)."""
    if num_bytes is None:
        return DASH
    for limit, unit in ((1e6, "MB"), (1e3, "kB")):
        if num_bytes >= limit:
            return f"{num_bytes / limit:.1f} {unit}"
    return f"{num_bytes} B"


def count(value: float | None) -> str:
    """A count such as MACs: 1.23M, 45.6k, 789."""
    if value is None:
        return DASH
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{unit}"
    return f"{value:g}"


def sig(value: float | None, digits: int = 3) -> str:
    """``digits`` significant figures, trailing zeros kept so a column lines up: 1.00, 0.998, 6.17."""
    return DASH if value is None else f"{value:#.{digits}g}".rstrip(".")


def fraction(value: float | None, digits: int = 4) -> str:
    """A 0-1 value such as accuracy, as is (not a percentage, so it reads like the JSON)."""
    return DASH if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value:.0%}"


def number(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    """A latency ratio to fp32: "2.10x slower" or "0.45x"."""
    if value is None:
        return DASH
    return f"{value:.2f}x slower" if value > 1 else f"{value:.2f}x"


def accuracy(value: float | None, samples: int | None, digits: int = 4) -> str:
    """An accuracy with the sample count it was measured on: "0.9800 (n=1,000)"; "(n unknown)" when not recorded."""
    if value is None:
        return DASH
    return f"{value:.{digits}f} (n={samples:,})" if samples else f"{value:.{digits}f} (n unknown)"
