"""Reports over bench results: load and validate, merge devices, render Markdown and HTML.

- :func:`load_runs` / :func:`load_bench` read ``edgenn bench --json`` files (schema bench-v1).
- :func:`render_html` / :func:`render_markdown` turn runs into a report; ``extra_sections`` (a list
  of :class:`Section` holding :class:`Table`, :class:`Text`, :class:`Image` (PNG bytes) and
  :class:`Svg` blocks) are appended after the built-in ones, so the demo adds its own parts.
- :func:`summary` is the merged comparison as plain JSON (``edgenn report --json``).
"""

from __future__ import annotations

from datetime import datetime, timezone

from edge_runtime.report import html, markdown
from edge_runtime.report.blocks import Block, Image, Section, Svg, Table, Text
from edge_runtime.report.compare import merge, name
from edge_runtime.report.load import bench_schema, load_bench, load_runs, validate_bench
from edge_runtime.report.sections import METHOD, builtin_sections

__all__ = ["Block", "Image", "Section", "Svg", "Table", "Text", "bench_schema", "load_bench", "load_runs",
           "merge", "render_html", "render_markdown", "sections_for", "summary", "validate_bench"]

DEFAULT_TITLE = "edgenn benchmark report"


def sections_for(runs: list[dict], extra_sections: list[Section] | tuple = ()) -> list[Section]:
    """The built-in sections for ``runs`` (none when there are no runs) followed by the extra ones."""
    builtin = builtin_sections(merge(runs)) if runs else []
    return [*builtin, *extra_sections]


def render_html(runs: list[dict], title: str = DEFAULT_TITLE, extra_sections: list[Section] | tuple = (),
                sources: list[str] | tuple = ()) -> str:
    """A self-contained HTML report (inline SVG and images, no network) comparing ``runs``."""
    return html.page(title, sections_for(runs, extra_sections), list(sources), METHOD)


def render_markdown(runs: list[dict], title: str = DEFAULT_TITLE, extra_sections: list[Section] | tuple = (),
                    sources: list[str] | tuple = ()) -> str:
    """The same report in Markdown: tables and text, charts and images named but not embedded."""
    return markdown.document(title, sections_for(runs, extra_sections), list(sources), METHOD)


def summary(runs: list[dict]) -> dict:
    """The merged comparison as JSON-ready data: rows per device and the verdicts."""
    merged = merge(runs)
    strip = ("result",)
    return {
        "kind": "edgenn-report", "schema_version": 1,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "devices": merged["devices"], "warnings": merged["warnings"],
        "rows": {d: [{k: v for k, v in r.items() if k not in strip} for r in rows]
                 for d, rows in merged["rows"].items()},
        "verdicts": {d: {"fastest": name(v["fastest"]), "recommended": name(v["recommended"]), "rule": v["rule"],
                         "slower_than_fp32": [name(r) for r in v["slower_than_fp32"]]}
                     for d, v in merged["verdicts"].items()},
    }
