"""Small inline-SVG building blocks: scales with readable ticks, axes, and escaped elements.

The edge install has no matplotlib, so report charts are drawn here as plain SVG strings that an
HTML page embeds directly (no files, no network, no script).
"""

from __future__ import annotations

import html
import math

#: Okabe-Ito colours, distinguishable with the common colour-vision deficiencies
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"


def esc(text: object) -> str:
    """Text made safe for SVG/HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def number(value: float) -> str:
    """A compact tick label: 1200 -> "1.2k", 0.5 -> "0.5", 25000000 -> "25M"."""
    magnitude = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


#: advance widths in em of a typical sans-serif (Arial/DejaVu-like), by character class
_NARROW, _WIDE = set("ijlI.,:;'|!()[]{}/ ftr-"), set("mwMW@%\u2605")


def text_width(text: str, size: float = 12.0) -> float:
    """An estimate (generous: DejaVu Sans, a common fallback, is wide) of ``text``'s rendered width in pixels at font ``size``.

    SVG has no layout pass without a browser, so label columns and label boxes are sized from this.
    """
    em = sum(0.32 if c in _NARROW else 0.88 if c in _WIDE else 0.68 if c.isupper() else 0.57 for c in text)
    return em * size * 1.12


def el(tag: str, text: str | None = None, **attrs: object) -> str:
    """One element; ``stroke_width=2`` becomes ``stroke-width="2"``, None attributes are dropped."""
    parts = " ".join(f'{k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None)
    opening = f"<{tag} {parts}" if parts else f"<{tag}"
    return f"{opening}/>" if text is None else f"{opening}>{esc(text)}</{tag}>"


def titled(tag: str, tip: str, **attrs: object) -> str:
    """An element holding a ``<title>``: browsers show ``tip`` as its tooltip, screen readers read it."""
    return el(tag, **attrs)[:-2] + ">" + el("title", tip) + f"</{tag}>"


def nice_step(span: float, count: int) -> float:
    """A 1-2-5 step giving about ``count`` intervals over ``span``."""
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


class Scale:
    """Maps data values in [lo, hi] to pixels in [start, end], linearly or on log10."""

    def __init__(self, lo: float, hi: float, start: float, end: float, log: bool = False):
        if log:
            lo, hi = max(lo, 1e-12), max(hi, 1e-12)
        if hi <= lo:  # one value: give it some room
            lo, hi = (lo / 2, lo * 2) if log else (lo - (abs(lo) or 1) * 0.5, hi + (abs(hi) or 1) * 0.5)
        self.lo, self.hi, self.start, self.end, self.log = lo, hi, start, end, log

    @classmethod
    def padded(cls, values: list[float], start: float, end: float, log: bool = False, pad: float = 0.05) -> Scale:
        """A scale over ``values`` with ``pad`` of the span (or a factor on log) added each side."""
        lo, hi = min(values), max(values)
        if log:
            factor = (hi / lo) ** pad if lo > 0 and hi > lo else 1.5
            return cls(lo / factor, hi * factor, start, end, log=True)
        span = (hi - lo) or abs(hi) or 1.0
        return cls(lo - span * pad, hi + span * pad, start, end)

    def _t(self, v: float) -> float:
        return math.log10(max(v, 1e-12)) if self.log else v

    def __call__(self, value: float) -> float:
        lo, hi = self._t(self.lo), self._t(self.hi)
        return self.start + (self._t(value) - lo) / (hi - lo) * (self.end - self.start)

    def ticks(self, count: int = 5) -> list[float]:
        """Readable tick values inside the range: 1-2-5 steps, or decades (with 2 and 5) on log."""
        if self.log:
            first, last = math.floor(math.log10(self.lo)), math.ceil(math.log10(self.hi))
            mults = (1, 2, 5) if last - first <= 3 else (1,)
            values = [m * 10.0 ** e for e in range(first, last + 1) for m in mults]
            return [v for v in values if self.lo <= v <= self.hi]
        step = nice_step(self.hi - self.lo, count)
        first = math.ceil(self.lo / step) * step
        return [round(first + i * step, 12) for i in range(int((self.hi - first) / step + 1e-9) + 1)]


def should_log(values: list[float], ratio: float = 20.0) -> bool:
    """Use a log axis when positive values span more than ``ratio``x (a slow variant hides the rest)."""
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) and bool(positive) and max(positive) / min(positive) > ratio


def document(width: int, height: int, title: str, body: list[str]) -> str:
    """An ``<svg>`` element for inline use, with a ``<title>`` for screen readers and tooltips."""
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{esc(title)}" style="{FONT};font-size:12px">' + el("title", title)
            + "".join(body) + "</svg>")


def x_axis(scale: Scale, y: float, top: float, label: str, grid: bool = True) -> list[str]:
    """Ticks, tick labels and an optional grid for a horizontal axis at pixel row ``y``."""
    out = [el("line", x1=scale.start, y1=y, x2=scale.end, y2=y, stroke="#333")]
    for tick in scale.ticks():
        px = round(scale(tick), 2)
        if grid:
            out.append(el("line", x1=px, y1=top, x2=px, y2=y, stroke="#e4e4e4"))
        out.append(el("text", number(tick), x=px, y=y + 15, text_anchor="middle", fill="#333"))
    out.append(el("text", label, x=(scale.start + scale.end) / 2, y=y + 33, text_anchor="middle", fill="#111"))
    return out


def y_axis(scale: Scale, x: float, left: float, right: float, label: str, side: str = "left",
           colour: str = "#333", grid: bool = True) -> list[str]:
    """Ticks, labels and an optional grid for a vertical axis at pixel column ``x``."""
    out = [el("line", x1=x, y1=scale.start, x2=x, y2=scale.end, stroke=colour)]
    offset, anchor = (-6, "end") if side == "left" else (6, "start")
    for tick in scale.ticks():
        py = round(scale(tick), 2)
        if grid:
            out.append(el("line", x1=left, y1=py, x2=right, y2=py, stroke="#e4e4e4"))
        out.append(el("text", number(tick), x=x + offset, y=py + 4, text_anchor=anchor, fill=colour))
    mid = (scale.start + scale.end) / 2
    lx = x - 48 if side == "left" else x + 50
    out.append(el("text", label, x=lx, y=mid, text_anchor="middle", fill=colour,
                  transform=f"rotate(-90 {lx} {mid})"))
    return out
