"""The device-side schema validator agrees with the reference `jsonschema` package."""

import copy
import json

import pytest

from edge_runtime.jsonschema_lite import validate
from edge_runtime.manifest import load_schema
from tests.edge_runtime.oracles import oracle

jsonschema = oracle("jsonschema")

SCHEMA = {
    "type": "object",
    "required": ["a", "b"],
    "additionalProperties": False,
    "properties": {
        "a": {"type": "integer", "minimum": 1},
        "b": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/item"}},
        "c": {"enum": ["x", "y"]},
        "d": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": "^[a-z]+$"}]},
    },
    "$defs": {"item": {"type": "object", "required": ["v"], "properties": {"v": {"type": ["number", "null"]}}}},
}

CASES = [
    {"a": 1, "b": [{"v": 1.5}], "c": "x", "d": None},
    {"a": 1, "b": [{"v": None}], "d": "abc"},
    {"a": 0, "b": [{"v": 1}]},
    {"a": 1.5, "b": [{"v": 1}]},
    {"a": True, "b": [{"v": 1}]},
    {"a": 1, "b": []},
    {"a": 1, "b": [{}]},
    {"a": 1, "b": [{"v": "s"}]},
    {"a": 1, "b": [{"v": 1}], "c": "z"},
    {"a": 1, "b": [{"v": 1}], "d": "ABC"},
    {"a": 1, "b": [{"v": 1}], "e": 1},
    {"b": [{"v": 1}]},
    [],
]


@pytest.mark.parametrize("doc", CASES, ids=range(len(CASES)))
def test_lite_validator_accepts_and_rejects_exactly_like_jsonschema(doc):
    reference_ok = jsonschema.Draft202012Validator(SCHEMA).is_valid(doc)
    assert (validate(doc, SCHEMA) == []) is reference_ok


def test_errors_name_the_path_and_the_received_value():
    errors = validate({"a": 0, "b": [{"v": "s"}]}, SCHEMA)
    assert any(e.startswith("$.a: expected >= 1, received 0") for e in errors)
    assert any(e.startswith("$.b[0].v: expected number or null") for e in errors)


def test_shipped_manifest_schema_is_a_valid_draft_2020_12_schema():
    schema = load_schema("manifest-v1")
    jsonschema.Draft202012Validator.check_schema(schema)
    json.dumps(copy.deepcopy(schema))
