"""Config dataclasses document their fields once: the CLI flags' defaults and help come from them."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields

import pytest

from edge_runtime.bench_settings import BenchSettings
from edge_runtime.fields import add_flag, field_default, field_docs, values
from export.config import ExportConfig
from pipelines.cli import build_parser


@dataclass
class Example:
    """A dataclass in both comment styles the code base uses."""

    #: above the field,
    #: on two lines
    above: int = 3
    beside: float = 0.5  # on the same line, "with # inside quotes" kept
    #: both
    both: bool = True  # and more
    plain: str = "x"
    items: tuple[int, ...] = field(default_factory=lambda: (1, 2))


def test_field_docs_reads_comments_above_and_beside_each_field():
    assert field_docs(Example) == {
        "above": "above the field, on two lines",
        "beside": 'on the same line, "with # inside quotes" kept',
        "both": "both and more",
        "plain": "",
        "items": "",
    }


def test_add_flag_takes_default_and_help_from_the_field():
    parser = argparse.ArgumentParser()
    add_flag(parser, Example, "above", type=int)
    add_flag(parser, Example, "both")
    add_flag(parser, Example, "items", type=lambda s: tuple(int(v) for v in s.split(",")))
    actions = {a.dest: a for a in parser._actions}
    assert actions["above"].option_strings == ["--above"] and actions["above"].default == 3
    assert actions["above"].help == "above the field, on two lines (default: 3)"
    assert actions["both"].option_strings == ["--no-both"] and "on by default" in actions["both"].help
    assert actions["items"].help == "default: 1,2"
    args = parser.parse_args(["--above", "7", "--no-both"])
    assert values(args, Example) == {"above": 7, "both": False, "items": (1, 2)}
    assert field_default(Example, "items") == (1, 2)


def _subcommand(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


@pytest.mark.parametrize(("command", "cls", "argv"), [
    ("bench", BenchSettings, ["bundle"]),
    ("export", ExportConfig, ["run"]),
])
def test_unset_flags_give_the_dataclass_defaults(command, cls, argv):
    # --variants keeps its own help: None means "every default variant", which the field comment words for code
    args = _subcommand(command).parse_args(argv)
    given = values(args, cls)
    assert len(given) >= 6  # the flags really map to fields
    defaults = {f.name: getattr(cls(), f.name) for f in fields(cls)}
    assert given == {name: defaults[name] for name in given}
    helps = {a.dest: a.help for a in _subcommand(command)._actions}
    for name, text in field_docs(cls).items():
        if name in given and text and not isinstance(defaults[name], bool) and name != "variants":
            assert helps[name].startswith(text.replace("``", "")[:30]), name
