"""Reading bench JSON files (schema ``bench-v1``) with one clear error naming the file."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from edge_runtime.errors import DataError
from edge_runtime.jsonschema_lite import validate

SCHEMA_VERSION = 1
#: no figure of a bench result comes near this (1e15 us is 31 years); larger ones break scales and logs
MAX_ABS_NUMBER = 1e15


@cache
def bench_schema() -> dict:
    """The JSON Schema of a bench result, ``edge_runtime/schemas/bench-v1.schema.json``."""
    text = resources.files("edge_runtime").joinpath("schemas", "bench-v1.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_bench(doc: Any) -> list[str]:
    """Every problem of a bench result document, empty when it is valid."""
    if not isinstance(doc, dict):
        return [f"$: expected a JSON object, received {type(doc).__name__}"]
    if doc.get("kind") != "edgenn-bench":
        return [f"$.kind: expected 'edgenn-bench' (a file written by `edgenn bench --json`), received {doc.get('kind')!r}"]
    if doc.get("schema_version") != SCHEMA_VERSION:
        return [f"$.schema_version: expected {SCHEMA_VERSION}, received {doc.get('schema_version')!r} "
                "(written by another edgenn version)"]
    return validate(doc, bench_schema())


def load_bench(path: str | Path) -> dict:
    """Read and validate one bench JSON; DataError naming the file and its first problems."""
    from edge_runtime.bundlefiles import MAX_JSON_BYTES, read_regular
    from edge_runtime.manifest import parse_json

    path = Path(path)
    if not path.exists():
        raise DataError(f"Expected a bench result JSON file. Received: path={str(path)!r} (no such file)")
    doc = parse_json(read_regular(path.resolve(), MAX_JSON_BYTES, DataError), path, DataError)
    errors = validate_bench(doc) or number_problems(doc)
    if errors:
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise DataError(f"{path}: not a valid edgenn bench result: " + "; ".join(errors[:5]) + more)
    return doc


def number_problems(doc: Any, where: str = "$") -> list[str]:
    """Numbers beyond :data:`MAX_ABS_NUMBER` (NaN and infinity are already refused by the parser)."""
    stack, problems = [(where, doc)], []
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}", v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(node))
        elif isinstance(node, (int, float)) and not isinstance(node, bool) and abs(node) > MAX_ABS_NUMBER:
            problems.append(f"{path}: {node!r} is beyond +-{MAX_ABS_NUMBER:g}")
    return sorted(problems)


def load_runs(paths: list[str | Path]) -> list[dict]:
    """Every file of ``paths`` loaded and validated, in order; stops at the first bad one."""
    if not paths:
        raise DataError("Expected at least one bench result JSON file. Received: none")
    return [load_bench(p) for p in paths]
