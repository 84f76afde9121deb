"""The reference of everything configurable, generated from the registries and dataclasses.

Preprocessing ops (``edge_runtime.preprocess`` registry: parameters and defaults from each op's
signature, the description from its docstring), model builders (``models.registry``: each
params dataclass) and the training config's keys (``pipelines.config``). ``edgenn ops`` and
``edgenn config --keys`` print parts of it; ``docs/reference.md`` is :func:`markdown`, and a test
fails when the file is stale. Regenerate it with ``python -m pipelines.reference > docs/reference.md``.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing

from edge_runtime.fields import field_docs, format_default

#: the config sections in the order a config file lists them
SECTIONS = ("data", "preprocess", "model", "optimizer", "train")


@dataclasses.dataclass(frozen=True)
class Key:
    """One configurable value: its dotted name, type, default and what it means."""

    name: str
    type: str
    default: str
    doc: str


def _type_name(hint) -> str:
    text = hint.__name__ if isinstance(hint, type) else str(hint)
    return text.replace("typing.", "")


def _dataclass_keys(cls, prefix: str) -> list[Key]:
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    keys = []
    for f in dataclasses.fields(cls):
        if f.name == "source":  # where a config came from, not a key
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if dataclasses.is_dataclass(default):
            continue
        keys.append(Key(f"{prefix}{f.name}", _type_name(hints[f.name]), _show(default), docs.get(f.name, "")))
    return keys


def _show(value) -> str:
    return repr(value) if isinstance(value, (str, dict)) or (isinstance(value, list) and value) else format_default(value)


def config_keys() -> list[Key]:
    """Every key of a training config, by section (``[model]``'s depend on the builder: see :func:`builder_keys`)."""
    from pipelines.config import Config

    keys = [k for k in _dataclass_keys(Config, "") if k.name not in ("model",)]
    sections = {f.name: f.default_factory() for f in dataclasses.fields(Config) if f.name in SECTIONS}
    for name in SECTIONS:
        if name == "model":
            keys.append(Key("model.builder", "str", "'mlp'", "the model family: " + ", ".join(builder_names())
                            + "; its keys are listed under each builder"))
            continue
        keys += _dataclass_keys(type(sections[name]), f"{name}.")
    return keys


def builder_names() -> list[str]:
    from models.registry import builders

    return list(builders())


def builder_keys() -> dict[str, tuple[str, list[Key]]]:
    """Builder name -> (its description, the ``model.*`` keys of its params dataclass)."""
    from models.registry import builders

    return {name: (_first_paragraph(b.doc) or _first_paragraph(b.params.__doc__ or ""),
                   _dataclass_keys(b.params, "model."))
            for name, b in builders().items()}


def ops() -> list[dict]:
    """Every preprocessing op: name, parameters with defaults, properties and description."""
    from edge_runtime.preprocess.registry import OPS

    rows = []
    for name, op in OPS.items():
        properties = [p for p in ("compilable", "differentiable", "keeps_grid") if getattr(op, p, False)]
        rows.append({"op": name, "params": {k: _show(v) for k, v in op.defaults.items()},
                     "fitted": list(op.state), "properties": properties,
                     "doc": " ".join(inspect.cleandoc(op.fn.__doc__ or "").split())})
    return rows


def _first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def ops_text(name: str | None = None) -> str:
    """``edgenn ops``: one block per op (or the one named)."""
    from edge_runtime.preprocess.registry import get_op

    rows = ops() if name is None else [r for r in ops() if r["op"] == get_op(name).name]
    blocks = []
    for row in rows:
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items() if k not in row["fitted"]) or "no parameters"
        extra = []
        if row["fitted"]:
            extra.append(f"learns {', '.join(row['fitted'])} when fitted")
        if row["properties"]:
            extra.append(", ".join(row["properties"]))
        blocks.append(f"{row['op']}({params})" + (f"  [{'; '.join(extra)}]" if extra else "")
                      + f"\n    {row['doc']}")
    return "\n".join(blocks)


def keys_text() -> str:
    """``edgenn config --keys``: every config key with type, default and meaning, then each builder's."""
    lines = [_key_line(k) for k in config_keys()]
    for name, (doc, keys) in builder_keys().items():
        lines += ["", f"[model] builder = {name!r}: {doc}"] + [_key_line(k) for k in keys]
    return "\n".join(lines)


def _key_line(key: Key) -> str:
    return f"{key.name} ({key.type}, default {key.default})" + (f": {key.doc}" if key.doc else "")


def markdown() -> str:
    """docs/reference.md."""
    out = ["# edgenn reference", "",
           "Generated from the registries and config dataclasses by `python -m pipelines.reference > "
           "docs/reference.md`; `tests/test_reference.py` fails when this file is stale. The same text "
           "is printed by `edgenn config --keys` and `edgenn ops`.", "",
           "## Config keys (`edgenn train CONFIG`)", "",
           "A relative path in a config file is relative to that file; one given with `--set` is relative "
           "to the working directory.", "",
           "| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    out += [_row(k) for k in config_keys()]
    out += ["", "## Model builders (`[model]`)", ""]
    for name, (doc, keys) in builder_keys().items():
        out += [f"### `builder = \"{name}\"`", "", doc, "", "| key | type | default | meaning |",
                "| --- | --- | --- | --- |", *[_row(k) for k in keys], ""]
    out += ["## Preprocessing ops (`[preprocess] steps` or a JSON spec file)", "",
            "Each step is `{op = \"name\", param = value, ...}`. Fitted parameters are learned by "
            "`fit` on the training split and stored in the bundle.", ""]
    for row in ops():
        params = ", ".join(f"`{k}={v}`" for k, v in row["params"].items() if k not in row["fitted"])
        out += [f"### `{row['op']}`", "", f"Parameters: {params or 'none'}."]
        if row["fitted"]:
            out.append(f"Fitted: {', '.join(row['fitted'])}.")
        if row["properties"]:
            out.append(f"Properties: {', '.join(row['properties'])}.")
        out += ["", row["doc"], ""]
    return "\n".join(out).rstrip() + "\n"


def _row(key: Key) -> str:
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    return f"| `{key.name}` | {cell(key.type)} | `{cell(key.default)}` | {cell(key.doc)} |"


if __name__ == "__main__":
    sys.stdout.write(markdown())
