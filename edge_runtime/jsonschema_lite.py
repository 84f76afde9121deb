"""A small JSON Schema (draft 2020-12 subset) validator, so the device needs no extra package.

Supports what edgenn's own schemas use: type, enum, const, required, properties,
additionalProperties, items, minItems, minLength, pattern, minimum, maximum, anyOf and local
``$ref`` to ``#/$defs/...``. ``tests/edge_runtime/test_jsonschema_lite.py`` checks it against the
reference ``jsonschema`` package on valid and broken documents.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def validate(instance: Any, schema: dict, root: dict | None = None, path: str = "$") -> list[str]:
    """Return every violation of ``schema`` by ``instance`` as "path: message" strings."""
    root = schema if root is None else root
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"Expected a local '#/$defs/...' reference. Received: $ref={ref!r}")
        return validate(instance, root["$defs"][ref.rsplit("/", 1)[1]], root, path)
    errors: list[str] = []
    if "type" in schema:
        allowed = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](instance) for t in allowed):
            return [f"{path}: expected {' or '.join(allowed)}, received {type(instance).__name__} {_short(instance)}"]
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: expected {schema['const']!r}, received {_short(instance)}")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: expected one of {schema['enum']}, received {_short(instance)}")
    if "anyOf" in schema:
        results = [validate(instance, s, root, path) for s in schema["anyOf"]]
        if all(results):
            errors.append(f"{path}: matches none of the allowed forms ({'; '.join(r[0] for r in results)})")
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            errors.append(f"{path}: expected at least {schema['minLength']} characters, received {instance!r}")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            errors.append(f"{path}: expected to match {schema['pattern']!r}, received {instance!r}")
    if _TYPES["number"](instance):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{path}: expected >= {schema['minimum']}, received {instance}")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{path}: expected <= {schema['maximum']}, received {instance}")
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            errors.append(f"{path}: expected at least {schema['minItems']} items, received {len(instance)}")
        if "items" in schema:
            for i, item in enumerate(instance):
                errors += validate(item, schema["items"], root, f"{path}[{i}]")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{path}: missing required field {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in props:
                errors += validate(value, props[key], root, f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}: unknown field {key!r} (allowed: {', '.join(sorted(props))})")
            elif isinstance(extra, dict):
                errors += validate(value, extra, root, f"{path}.{key}")
    return errors


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
