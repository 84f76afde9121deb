"""The self-contained HTML page: inline CSS and SVG, PNGs as data URIs, no script, no network."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

from edge_runtime import __version__
from edge_runtime.report.blocks import Image, Section, Svg, Table, Text
from edge_runtime.report.svg import esc

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#111}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.scroll{overflow-x:auto;max-width:100%;margin:.6rem 0 1rem}
table{border-collapse:collapse;font-size:.78rem}
th,td{border:1px solid #d4d4d4;padding:.2rem .35rem;text-align:left;white-space:nowrap}
th{background:#f3f3f3;white-space:normal;vertical-align:bottom}
td:last-child{white-space:normal;min-width:6em}tr.em td{font-weight:bold;background:#f4f9ff}tbody tr:nth-child(even){background:#fafafa}
caption{caption-side:bottom;text-align:left;color:#555;font-size:.8rem;padding-top:.3rem}
figure{margin:1rem 0;overflow-x:auto}figcaption{color:#555;font-size:.85rem}img{max-width:100%}
.meta{color:#555;font-size:.9rem}nav ul{columns:2;font-size:.9rem}
"""


def _table(table: Table) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in table.columns)
    body = "".join(
        ('<tr class="em">' if i in table.emphasis else "<tr>") + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
        for i, row in enumerate(table.rows))
    caption = f"<caption>{esc(table.caption)}</caption>" if table.caption else ""
    # the wrapper scrolls sideways when a table is wider than the page, instead of clipping it
    return f'<div class="scroll"><table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _figure(inner: str, caption: str) -> str:
    return f"<figure>{inner}" + (f"<figcaption>{esc(caption)}</figcaption>" if caption else "") + "</figure>"


#: block type -> HTML renderer (a registry, so a new block type is one entry)
RENDERERS = {
    Table: _table,
    Text: lambda b: f"<p>{esc(b.text)}</p>",
    Svg: lambda b: _figure(b.markup, b.caption),
    Image: lambda b: _figure(f'<img alt="{esc(b.alt)}" src="data:{esc(b.mime)};base64,'
                             f'{base64.b64encode(bytes(b.data)).decode("ascii")}">', b.caption),
}


def render_section(section: Section) -> str:
    """One ``<section>`` with its heading, intro and blocks."""
    parts = [f'<section id="{esc(section.anchor)}"><h2>{esc(section.title)}</h2>']
    if section.intro:
        parts.append(f"<p>{esc(section.intro)}</p>")
    parts += [RENDERERS[type(block)](block) for block in section.blocks]
    return "".join(parts) + "</section>"


def page(title: str, sections: list[Section], sources: list[str], footer: str) -> str:
    """The whole HTML document."""
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    nav = "".join(f'<li><a href="#{esc(s.anchor)}">{esc(s.title)}</a></li>' for s in sections)
    meta = f"Generated {esc(created)} by edgenn {esc(__version__)}"
    if sources:
        meta += " from " + ", ".join(esc(s) for s in sources)
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><p class=\"meta\">{meta}</p><nav><ul>{nav}</ul></nav>"
            + "".join(render_section(s) for s in sections)
            + f'<footer class="meta"><p>{esc(footer)}</p></footer></body></html>\n')
