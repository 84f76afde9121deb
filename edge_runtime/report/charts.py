"""The report's three charts as inline SVG: latency distribution, a timeline, accuracy vs latency vs size.

Each takes the comparison rows of :mod:`edge_runtime.report.compare` (or timeline points) and
returns an ``<svg>`` string, or None when there is nothing to draw.
"""

from __future__ import annotations

import math

from edge_runtime.report import fmt
from edge_runtime.report.compare import model_label, name
from edge_runtime.report.svg import (
    PALETTE,
    Scale,
    document,
    el,
    number,
    should_log,
    text_width,
    titled,
    x_axis,
    y_axis,
)

PLOT_W = 560  # the latency chart's plot width, px; its label column is as wide as its longest label


def latency_chart(rows: list[dict], title: str) -> str | None:
    """Per row, the end-to-end latency percentiles: line min-max, box p50-p90, ticks p95/p99, p50 with CI."""
    if not rows:
        return None
    labels = [("\u2605 " if row["recommended"] else "") + name(row) for row in rows]
    label_w = math.ceil(max(text_width(t) for t in labels)) + 16
    row_h, top = 28, 30
    width = label_w + PLOT_W + 70
    height = top + row_h * len(rows) + 70
    stats = [r["result"]["latency_us"]["end_to_end"] for r in rows]
    inference = [r["result"]["latency_us"]["inference"]["p50"] for r in rows]
    # every marker (the inference ring and the CI too) lies inside the axis range, never over the labels
    values = [s[k] for s in stats for k in ("min", "max")] + [s["p50_ci95"][0] for s in stats] + inference
    x = Scale.padded(values, label_w + 6, label_w + PLOT_W, log=should_log(values))
    bottom = top + row_h * len(rows)
    body = [el("text", title, x=10, y=18, font_weight="bold")]
    body += x_axis(x, bottom, top, "end-to-end latency, microseconds" + (" (log scale)" if x.log else ""))
    for i, (row, s, inf, label) in enumerate(zip(rows, stats, inference, labels, strict=True)):
        cy = top + row_h * i + row_h / 2
        colour = PALETTE[i % len(PALETTE)]
        body.append(el("text", label, x=label_w - 8, y=cy + 4, text_anchor="end",
                       font_weight="bold" if row["recommended"] else None))
        body.append(el("line", x1=x(s["min"]), y1=cy, x2=x(s["max"]), y2=cy, stroke="#888"))
        body.append(el("rect", x=x(s["p50"]), y=cy - 7, width=max(x(s["p90"]) - x(s["p50"]), 1), height=14,
                       fill=colour, fill_opacity=0.35, stroke=colour))
        for key in ("p95", "p99"):
            body.append(el("line", x1=x(s[key]), y1=cy - 6, x2=x(s[key]), y2=cy + 6, stroke=colour, stroke_width=2))
        lo, hi = s["p50_ci95"][0], s["p50_ci95"][-1]
        body.append(el("line", x1=x(lo), y1=cy - 9, x2=x(hi), y2=cy - 9, stroke="#111", stroke_width=2))
        body.append(el("circle", cx=x(s["p50"]), cy=cy, r=4, fill="#111"))
        body.append(el("circle", cx=x(inf), cy=cy, r=4, fill="none", stroke="#111"))
        body.append(el("text", number(s["p50"]), x=width - 64, y=cy + 4, fill="#333"))
    body.append(el("text", "line: min to max \u00b7 box: p50 to p90 \u00b7 ticks: p95, p99 \u00b7 "
                   "dot: end-to-end p50 with its 95% CI above \u00b7 ring: inference p50 \u00b7 \u2605 recommended",
                   x=10, y=height - 8, fill="#555", font_size=11))
    return document(width, height, title, body)


def timeline_chart(points: list[dict], title: str) -> str | None:
    """Latency p50 per window over time (left axis) and the hottest temperature (right axis)."""
    points = [p for p in points if p.get("end_to_end_p50_us") is not None]
    if len(points) < 2:
        return None
    width, height, left, right, top, bottom = 820, 320, 70, 750, 30, 260
    t = Scale.padded([p["t_s"] for p in points], left, right, pad=0.02)
    lat_values = [p["end_to_end_p50_us"] for p in points] + [p["inference_p50_us"] for p in points
                                                            if p.get("inference_p50_us") is not None]
    y = Scale.padded(lat_values, bottom, top)
    body = [el("text", title, x=10, y=18, font_weight="bold")]
    body += x_axis(t, bottom, top, "time since the timed loop started, s")
    body += y_axis(y, left, left, right, "p50 latency, \u00b5s", colour=PALETTE[0])
    for key, dash in (("end_to_end_p50_us", None), ("inference_p50_us", "5 3")):
        series = [(p["t_s"], p[key]) for p in points if p.get(key) is not None]
        if len(series) > 1:
            path = " ".join(f"{t(a):.2f},{y(b):.2f}" for a, b in series)
            body.append(el("polyline", points=path, fill="none", stroke=PALETTE[0], stroke_width=2,
                           stroke_dasharray=dash))
    temps = [(p["t_s"], p["temperature_c"]) for p in points if p.get("temperature_c") is not None]
    if temps:
        y2 = Scale.padded([c for _, c in temps], bottom, top)
        body += y_axis(y2, right, left, right, "hottest zone, \u00b0C", side="right", colour=PALETTE[3], grid=False)
        path = " ".join(f"{t(a):.2f},{y2(c):.2f}" for a, c in temps)
        body.append(el("polyline", points=path, fill="none", stroke=PALETTE[3], stroke_width=2))
        legend = "solid blue: end-to-end p50 \u00b7 dashed: inference p50 \u00b7 red: temperature"
    else:
        legend = "solid: end-to-end p50 \u00b7 dashed: inference p50 \u00b7 no temperature sensor"
    for p in points:
        if p.get("throttled"):
            body.append(el("path", d=f"M{t(p['t_s']):.2f},{top + 2} l-5,-9 h10 z", fill=PALETTE[3]))
    if any(p.get("throttled") for p in points):
        legend += " \u00b7 \u25bc throttled"
    body.append(el("text", legend, x=10, y=height - 8, fill="#555", font_size=11))
    return document(width, height, title, body)


def _front_steps(rows: list[dict]) -> list[dict]:
    """Rows on the accuracy-latency front, fastest first: each is more accurate than every faster one."""
    best, steps = -math.inf, []
    for row in sorted(rows, key=lambda r: (r["p50_us"], -r["score"])):
        if row["score"] > best:
            steps.append(row)
            best = row["score"]
    return steps


def _overlaps(rect: tuple, others: list[tuple]) -> bool:
    return any(rect[0] < o[2] and o[0] < rect[2] and rect[1] < o[3] and o[1] < rect[3] for o in others)


def _place_label(text: str, cx: float, cy: float, r: float, placed: list, box: tuple) -> tuple[float, float, bool]:
    """Where ``text`` (left-aligned, baseline y) goes near a point: beside it if clear, else further out
    on rings of 8 directions; True when it moved away and needs a leader line. Its box joins ``placed``."""
    width, height = text_width(text, 11), 13.0
    left, right, top, bottom = box
    candidates = [(cx + r + 3, cy + 4), (cx - r - 3 - width, cy + 4), (cx - width / 2, cy - r - 4),
                  (cx - width / 2, cy + r + 13)]
    for ring in (1, 2, 3, 4, 5, 6):
        d = r + 10 + 16 * ring
        for dx, dy in ((1, -1), (1, 1), (-1, -1), (-1, 1), (0, -1), (0, 1), (1, 0), (-1, 0)):
            lx = cx + dx * d - (width if dx < 0 else width / 2 if dx == 0 else 0)
            candidates.append((lx, cy + dy * d + 4))
    for i, (lx, ly) in enumerate(candidates):
        rect = (lx - 1, ly - height + 3, lx + width + 1, ly + 3)
        inside = rect[0] >= left + 2 and rect[2] <= right and rect[1] >= top and rect[3] <= bottom - 2
        if inside and not _overlaps(rect, placed):
            placed.append(rect)
            return lx, ly, i >= 4
    return candidates[0][0], candidates[0][1], False


def _point_label(row: dict, with_threads: bool) -> str:
    return ("\u2605 " if row["recommended"] else "") + model_label(row) + (f" \u00d7{row['threads']}" if with_threads else "")


def _tooltip(row: dict) -> str:
    return (f"{name(row)} on {row['device']}: accuracy {row['score']:.4f} (n={row.get('accuracy_samples') or 'unknown'}), end-to-end p50 {row['p50_us']:.1f} \u00b5s, "
            f"{fmt.size(row['size_bytes'])}" + (" \u00b7 Pareto front" if row["pareto"] else "")
            + (" \u00b7 recommended" if row["recommended"] else ""))


def tradeoff_chart(rows: list[dict], title: str) -> str | None:
    """Accuracy vs end-to-end p50, point area ~ model size; Pareto rows ringed and named, per-device front
    dashed; every point names itself in a tooltip (its SVG ``<title>``)."""
    rows = [r for r in rows if r["score"] is not None]
    if not rows:
        return None
    width, height, left, right, top, bottom = 900, 500, 70, 880, 30, 390
    lat = [r["p50_us"] for r in rows]
    x = Scale.padded(lat, left, right, log=should_log(lat, 10.0), pad=0.08)
    y = Scale.padded([r["score"] for r in rows], bottom, top, pad=0.12)
    devices = list(dict.fromkeys(r["device"] for r in rows))
    key = "device" if len(devices) > 1 else "format"
    groups = list(dict.fromkeys(r[key] for r in rows))
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    biggest = max(r["size_bytes"] for r in rows) or 1
    with_threads = len({r["threads"] for r in rows}) > 1
    body = [el("text", title, x=10, y=18, font_weight="bold")]
    body += x_axis(x, bottom, top, "end-to-end p50 latency, \u00b5s" + (" (log scale)" if x.log else ""))
    body += y_axis(y, left, left, right, "accuracy")
    for device in devices:
        steps = _front_steps([r for r in rows if r["device"] == device])
        if len(steps) > 1:
            path = [f"{x(steps[0]['p50_us']):.2f},{y(steps[0]['score']):.2f}"]
            for prev, cur in zip(steps, steps[1:], strict=False):
                path += [f"{x(cur['p50_us']):.2f},{y(prev['score']):.2f}", f"{x(cur['p50_us']):.2f},{y(cur['score']):.2f}"]
            body.append(el("polyline", points=" ".join(path), fill="none", stroke="#444", stroke_dasharray="4 3"))

    def radius(row: dict) -> float:
        return 4 + 14 * math.sqrt(row["size_bytes"] / biggest)

    # every point is an obstacle for every label; only the Pareto front and the recommended row are named
    placed = [(x(r["p50_us"]) - radius(r), y(r["score"]) - radius(r), x(r["p50_us"]) + radius(r),
               y(r["score"]) + radius(r)) for r in rows]
    labels = []
    for row in sorted(rows, key=lambda r: -r["size_bytes"]):  # small points drawn last, on top
        cx, cy, r = x(row["p50_us"]), y(row["score"]), radius(row)
        body.append(titled("circle", _tooltip(row), cx=f"{cx:.2f}", cy=f"{cy:.2f}", r=f"{r:.2f}",
                           fill=colour[row[key]], fill_opacity=0.55, stroke="#111" if row["pareto"] else "none",
                           stroke_width=2 if row["pareto"] else None))
    named = sorted((r for r in rows if r["pareto"] or r["recommended"]),
                   key=lambda r: (not r["recommended"], r["p50_us"]))  # the recommended one gets the best spot
    for row in named:
        cx, cy, r = x(row["p50_us"]), y(row["score"]), radius(row)
        text = _point_label(row, with_threads)
        lx, ly, moved = _place_label(text, cx, cy, r, placed, (left, right, top, bottom))
        if moved:
            tx = min(max(cx, lx), lx + text_width(text, 11))
            labels.append(el("line", x1=f"{cx:.2f}", y1=f"{cy:.2f}", x2=f"{tx:.2f}", y2=f"{ly - 4:.2f}",
                             stroke="#999", stroke_width=0.8))
        labels.append(el("text", text, x=f"{lx:.2f}", y=f"{ly:.2f}", font_size=11,
                         font_weight="bold" if row["recommended"] else None))
    body += labels
    for i, group in enumerate(groups):
        gy = height - 58 + (i // 3) * 14
        gx = 10 + (i % 3) * 290
        body.append(el("circle", cx=gx + 5, cy=gy - 4, r=5, fill=colour[group], fill_opacity=0.55))
        body.append(el("text", str(group)[:44], x=gx + 14, y=gy, font_size=11))
    body.append(el("text", "area \u221d model size \u00b7 dark ring: Pareto front (accuracy, latency, size), named \u00b7 "
                   "dashed: accuracy-latency front per device \u00b7 \u2605 recommended",
                   x=10, y=height - 20, fill="#555", font_size=11))
    body.append(el("text", "every point names itself in a tooltip (hover it)", x=10, y=height - 6, fill="#555",
                   font_size=11))
    return document(width, height, title, body)
