"""Fixed-width text tables for the commands' human-readable output (the JSON carries the numbers)."""

from __future__ import annotations


def format_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned fixed-width columns: a header line, a rule, one line per row."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return lines
