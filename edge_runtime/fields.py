"""Config dataclasses as the one source of their documentation and of the CLI flags that set them.

A field is documented by the ``#:`` comment lines above it and/or the ``#`` comment on its line
(both styles are in use). :func:`field_docs` reads them from the source, :func:`add_flag` turns a
field into an argparse flag whose default and help come from the dataclass, and the reference
(``edgenn config --keys``, docs/reference.md) is generated from the same reading, so a default
or its reason is written once.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import io
import re
import textwrap
import tokenize
from functools import cache
from typing import Any

_FIELD = re.compile(r"^(\w+)\s*:")


@cache
def field_docs(cls: type) -> dict[str, str]:
    """Field name -> its comment text (``#:`` lines above, then the comment on the same line)."""
    source = textwrap.dedent(inspect.getsource(cls))
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string
    names = {f.name for f in dataclasses.fields(cls)}
    docs: dict[str, str] = {}
    pending: list[str] = []
    for number, line in enumerate(source.splitlines(), 1):
        if not line.startswith("    ") or line.startswith("     "):  # only the class body's own lines
            continue
        body = line.strip()
        if body.startswith("#:"):
            pending.append(body[2:].strip())
            continue
        match = _FIELD.match(body)
        if match and match.group(1) in names:
            trailing = comments.get(number, "")
            if trailing and not body.startswith("#"):
                pending.append(trailing.lstrip("#").strip())
            docs[match.group(1)] = " ".join(pending)
        pending = []
    return docs


def field_default(cls: type, name: str) -> Any:
    """The dataclass's default for ``name`` (a fresh one when it comes from a factory)."""
    found = {f.name: f for f in dataclasses.fields(cls)}[name]
    if found.default is not dataclasses.MISSING:
        return found.default
    if found.default_factory is not dataclasses.MISSING:
        return found.default_factory()
    raise KeyError(f"{cls.__name__}.{name} has no default")


def format_default(value: Any) -> str:
    """A default as a user would type it: tuples as comma lists, None as 'none'."""
    if value is None:
        return "none"
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


def add_flag(parser, cls: type, name: str, *flags: str, help: str | None = None, **kwargs) -> argparse.Action:
    """An argparse flag for field ``name`` of ``cls``: default and help come from the dataclass.

    A boolean field becomes ``--name`` (default False) or ``--no-name`` (default True).
    """
    default = field_default(cls, name)
    text = help if help is not None else field_docs(cls).get(name, "")
    if isinstance(default, bool):
        kwargs.setdefault("action", "store_false" if default else "store_true")
        text = f"turn off (on by default): {text}" if default else text
        flags = flags or (f"--{'no-' if default else ''}{name.replace('_', '-')}",)
    else:
        flags = flags or (f"--{name.replace('_', '-')}",)
        text = f"{text} (default: {format_default(default)})" if text else f"default: {format_default(default)}"
    text = text.replace("``", "").replace("%", "%%")
    return parser.add_argument(*flags, dest=name, default=default, help=text, **kwargs)


def values(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    """The parsed values of every field of ``cls`` that has a flag, for ``cls(**values(args, cls))``."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
