"""The report renders what the real bench writes, unchanged (the contract of docs/architecture.md)."""

import pytest

from edge_runtime.report import merge, render_html, render_markdown, validate_bench
from tests.edge_runtime.probes.conftest import FIXTURES
from tests.edge_runtime.report.test_html import Page

pytestmark = pytest.mark.slow  # builds (once per session) and benches the tiny test bundle


@pytest.fixture(scope="module")
def runs():
    from edge_runtime.bench import BenchSettings, run_bench
    from edge_runtime.bundle import open_bundle
    from tests.edge_runtime.bundle_factory import tiny_bundle

    bundle = open_bundle(tiny_bundle().path)
    quick = run_bench(bundle, ["tflite-fp32", "tflite-int8", "onnx-fp32"], None, BenchSettings(runs=200, warmup=10))
    sustained = run_bench(bundle, ["tflite-int8"], None,
                          BenchSettings(duration_s=1.0, window_s=0.2, warmup=10, probe_root=str(FIXTURES / "x86_kvm")))
    return [quick, sustained]


def test_real_bench_results_validate_and_render_every_part(runs):
    assert [validate_bench(r) for r in runs] == [[], []]
    page = Page(render_html(runs, sources=["quick.json", "sustained.json"]))
    # the sustained run read the recorded x86 tree, device facts included: a second device.
    # Tables: devices, results per device (2), power and thermal, and a "slower than fp32" table on each
    # device where timing made int8 the slower one; charts: latency per device (2) and the sustained
    # timeline (the test bundle records no accuracy: the trade-off chart says so instead)
    slower = sum(bool(v["slower_than_fp32"]) for v in merge(runs)["verdicts"].values())
    assert page.tables == 4 + slower
    assert len(page.svgs) == 3
    assert "Gold 6338" in page.svgs[1]
    assert "hottest zone" in page.svgs[2]  # the fake tree's temperatures reach the timeline's second axis
    md = render_markdown(runs)
    assert "No classification accuracy in these results" in md
    for model_id in ("tflite-fp32", "tflite-int8", "onnx-fp32"):
        assert f"| {model_id} |" in md or f"| **{model_id}** |" in md
