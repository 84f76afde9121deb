"""The Markdown version of the report: the same sections, tables and text; figures named only.

Every text that came from a bench file (model, device and bundle names) is HTML-escaped like the
HTML report, since Markdown renderers pass raw HTML (``<script>``, ``<img onerror>``) through.
"""

from __future__ import annotations

import html

from edge_runtime.report.blocks import Image, Section, Svg, Table, Text


def _text(text: str) -> str:
    """Text with its HTML special characters as entities (rendered as the characters themselves)."""
    return html.escape(str(text), quote=False)


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> str:
    lines = ["| " + " | ".join(_cell(c) for c in table.columns) + " |",
             "|" + "|".join("---" for _ in table.columns) + "|"]
    for i, row in enumerate(table.rows):
        cells = [f"**{_cell(c)}**" if i in table.emphasis and c else _cell(c) for c in row]
        lines.append("| " + " | ".join(cells) + " |")
    if table.caption:
        lines += ["", f"*{_text(table.caption)}*"]
    return "\n".join(lines)


def _figure(kind: str, caption: str, alt: str = "") -> str:
    what = caption or alt
    return f"*({kind} in the HTML report{': ' + _text(what) if what else ''})*"


#: block type -> Markdown renderer
RENDERERS = {
    Table: _table,
    Text: lambda b: _text(b.text),
    Svg: lambda b: _figure("chart", b.caption),
    Image: lambda b: _figure("image", b.caption, b.alt),
}


def render_section(section: Section) -> str:
    parts = [f"## {_text(section.title)}"]
    if section.intro:
        parts.append(_text(section.intro))
    parts += [RENDERERS[type(block)](block) for block in section.blocks]
    return "\n\n".join(parts)


def document(title: str, sections: list[Section], sources: list[str], footer: str) -> str:
    head = [f"# {_text(title)}"]
    if sources:
        head.append("From " + ", ".join(f"`{s.replace('`', chr(39))}`" for s in sources) + ".")
    return "\n\n".join(head + [render_section(s) for s in sections] + [_text(footer)]) + "\n"
