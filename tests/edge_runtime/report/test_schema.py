"""The bench-v1 JSON Schema: examples and this package's own outputs pass, broken documents fail,
and the project's small validator agrees with the reference ``jsonschema`` package."""

import copy

import pytest

from edge_runtime.device import device_facts
from edge_runtime.energy import cpu_time_estimate, estimate
from edge_runtime.jsonschema_lite import validate
from edge_runtime.probes import snapshot
from edge_runtime.report import bench_schema, validate_bench
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.probes.conftest import FIXTURES
from tests.edge_runtime.report.examples import pi5_run, x86_run

jsonschema = oracle("jsonschema")


def _reference_errors(doc):
    return list(jsonschema.Draft202012Validator(bench_schema()).iter_errors(doc))


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(bench_schema())


@pytest.mark.parametrize("make", [x86_run, pi5_run])
def test_example_runs_are_valid_for_both_validators(make):
    doc = make()
    assert validate_bench(doc) == [] and _reference_errors(doc) == []


def _set(doc, path, value):
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value


BROKEN = {
    "missing p50": (("results", 0, "latency_us", "end_to_end", "p50"), KeyError),
    "unknown stats field": (("results", 0, "latency_us", "inference", "p42"), 1.0),
    "cores as text": (("device", "cores"), "2"),
    "negative latency": (("results", 0, "latency_us", "preprocess", "p99"), -1.0),
    "estimate not labelled": (("results", 0, "power", "estimate", "label"), "measured"),
    "no thermal after": (("results", 0, "thermal", "after"), KeyError),
    "bad format": (("results", 0, "format"), "pt"),
    "threads zero": (("results", 0, "threads"), 0),
    "timeline point without time": (("results", 1, "timeline", 0, "t_s"), KeyError),
    "VM as text": (("device", "virtual_machine"), "yes"),
    "empty results": (("results",), []),
    "created not ISO": (("created",), "yesterday"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_documents_are_rejected_by_both_validators(case):
    doc = copy.deepcopy(pi5_run())
    _set(doc, *BROKEN[case])
    assert validate(doc, bench_schema()), case
    assert _reference_errors(doc), case


def test_another_kind_or_version_is_named():
    doc = x86_run()
    doc["schema_version"] = 2
    assert "another edgenn version" in validate_bench(doc)[0]
    assert "edgenn bench --json" in validate_bench({"kind": "something"})[0]


def test_this_packages_outputs_fit_the_schema_parts_they_fill():
    """device_facts, snapshot and estimate produce exactly what the bench JSON must hold."""
    doc = pi5_run()
    doc["device"] = device_facts()
    result = doc["results"][0]
    result["thermal"]["before"] = snapshot(FIXTURES / "rpi5", run=lambda argv: "throttled=0x50005")
    result["thermal"]["after"] = snapshot(FIXTURES / "jetson_orin")
    result["power"]["lower_bound"] = estimate(1_000_000, 100_000, "int8")
    result["power"]["estimate"] = cpu_time_estimate(123.4, device_facts(FIXTURES / "rpi5", run=lambda argv: None))
    assert validate_bench(doc) == [] and _reference_errors(doc) == []
