"""Shared helpers for the training tests: tiny configs written as real TOML files."""

from __future__ import annotations

import pytest


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return repr(value)


def write_config(path, sections: dict) -> str:
    """Write ``sections`` ({"name": .., "train": {...}}) as a TOML file; return its path."""
    lines = [f"{k} = {toml_value(v)}" for k, v in sections.items() if not isinstance(v, dict)]
    for name, body in sections.items():
        if isinstance(body, dict):
            lines.append(f"[{name}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in body.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


TINY_DIGITS = {
    "name": "tiny",
    "seed": 0,
    "data": {"dataset": "digits"},
    "preprocess": {"steps": [{"op": "scale"}, {"op": "flatten"}]},
    "model": {"builder": "mlp", "hidden": [16]},
    "optimizer": {"name": "adam", "lr": 0.01},
    "train": {"epochs": 2, "batch_size": 128, "verbose": 0},
}


@pytest.fixture(autouse=True)
def _private_feature_cache(tmp_path_factory, monkeypatch):
    """Feature caches of the tests stay out of the user's ~/.cache."""
    monkeypatch.setenv("EDGENN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "feature-cache"))


@pytest.fixture
def tiny_config(tmp_path):
    def make(**changes):
        sections = {k: (dict(v) if isinstance(v, dict) else v) for k, v in TINY_DIGITS.items()}
        for key, value in changes.items():
            section, _, name = key.partition("__")
            if name:
                sections.setdefault(section, {})[name] = value
            else:
                sections[section] = value
        return write_config(tmp_path / "tiny.toml", sections)

    return make
