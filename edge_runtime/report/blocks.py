"""What a report is made of: sections holding tables, text, PNG images and raw SVG.

The built-in sections and the demo's extra ones use the same blocks, so one list renders to
HTML (everything inline) and to Markdown (tables and text; figures named, not embedded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from edge_runtime.errors import ConfigError

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PROLOG = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)


@dataclass
class Table:
    """Rows of already formatted cells; rows listed in ``emphasis`` are shown in bold."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    emphasis: set[int] = field(default_factory=set)

    def __post_init__(self):
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ConfigError(f"Expected {len(self.columns)} cells per row ({self.columns}). "
                                  f"Received: row {i} with {len(row)} cells")


@dataclass
class Text:
    """A paragraph of plain text (escaped on output)."""

    text: str


@dataclass
class Image:
    """A PNG image (the bytes), embedded in HTML as a data URI."""

    data: bytes
    alt: str
    caption: str = ""
    mime: str = "image/png"

    def __post_init__(self):
        if self.mime == "image/png" and not bytes(self.data[:8]) == _PNG_MAGIC:
            raise ConfigError(f"Expected PNG bytes for image {self.alt!r}. Received: data starting {bytes(self.data[:8])!r}")


@dataclass
class Svg:
    """A ready ``<svg>`` element (an XML prolog or DOCTYPE, as matplotlib writes, is dropped)."""

    markup: str
    caption: str = ""

    def __post_init__(self):
        self.markup = _PROLOG.sub("", self.markup, count=1)
        if not self.markup.lstrip().lower().startswith("<svg"):
            raise ConfigError(f"Expected SVG markup starting with <svg. Received: {self.markup[:40]!r}")


Block = Table | Text | Image | Svg


@dataclass
class Section:
    """A titled part of the report: an optional intro and its blocks, in order."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    intro: str = ""

    @property
    def anchor(self) -> str:
        """The id used for links from the table of contents."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"
