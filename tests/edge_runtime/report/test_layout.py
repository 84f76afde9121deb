"""A page readable at a glance: names say their bundle, charts keep labels and markers apart,
tables fit or scroll, and what every row shares is said once."""

import re
import xml.etree.ElementTree as ET

from edge_runtime.report import merge, render_html
from edge_runtime.report.charts import latency_chart, tradeoff_chart
from edge_runtime.report.compare import name
from edge_runtime.report.sections import power_section
from edge_runtime.report.svg import text_width
from tests.edge_runtime.report.examples import X86, bench_doc, result, x86_run

DEVICE = "Intel(R) Xeon(R) Processor (ci-vm)"


def _two_bundles():
    return [bench_doc(X86, [result("tflite-fp32", 25.0), result("tflite-int8", 13.0)], bundle="cnn"),
            bench_doc(X86, [result("tflite-fp32", 9.0), result("tflite-int8", 11.0)], bundle="mlp")]


def test_names_carry_the_bundle_when_several_bundles_are_merged():
    rows = merge(_two_bundles())["rows"][DEVICE]
    assert sorted(r["name"] for r in rows) == ["cnn/tflite-fp32 (litert, 1 thr)", "cnn/tflite-int8 (litert, 1 thr)",
                                               "mlp/tflite-fp32 (litert, 1 thr)", "mlp/tflite-int8 (litert, 1 thr)"]
    assert all(name(r) == r["name"] for r in rows)


def test_one_bundle_names_omit_it_and_an_id_already_prefixed_is_not_prefixed_twice():
    assert {r["name"] for r in merge([x86_run()])["rows"][DEVICE]} >= {"tflite-int8 (litert, 1 thr)"}
    runs = _two_bundles()
    runs[0]["results"][0]["model_id"] = "cnn/tflite-fp32"
    assert "cnn/tflite-fp32 (litert, 1 thr)" in {r["name"] for r in merge(runs)["rows"][DEVICE]}


def _floats(svg, tag, attr):
    return [float(m) for m in re.findall(rf'<{tag} [^>]*?{attr}="([-0-9.]+)"', svg)]


def test_latency_chart_sizes_its_label_column_and_keeps_markers_out_of_it():
    run = x86_run()
    run["results"][0]["model_id"] = "tflite-" + "very-long-variant-name-" * 3 + "int8"
    run["results"][0]["latency_us"]["inference"]["p50"] = 0.5  # far left of every end-to-end figure
    rows = sorted(merge([run])["rows"][DEVICE], key=lambda r: r["p50_us"])
    svg = latency_chart(rows, "t")
    ET.fromstring(svg)  # noqa: S314 - our own output; well-formed
    label_w = max(text_width(r["name"]) for r in rows)
    plot_left = min(float(x) for x in re.findall(r'<line x1="([-0-9.]+)" y1="[0-9.]+" x2="[-0-9.]+" y2="[0-9.]+" '
                                                 r'stroke="#333"', svg))
    assert plot_left >= label_w
    assert min(_floats(svg, "circle", "cx")) >= plot_left  # the inference ring too


def test_tradeoff_chart_names_the_front_and_gives_every_point_a_tooltip():
    runs = [bench_doc(X86, [result(f"tflite-v{i}-int8", 50.0 + i, accuracy=0.98, size=60_000 + 100 * i)
                            for i in range(10)] + [result("tflite-fp32", 20.0, accuracy=0.97, size=200_000)])]
    rows = merge(runs)["rows"][DEVICE]
    svg = tradeoff_chart(rows, "t")
    tree = ET.fromstring(svg)  # noqa: S314 - our own output; well-formed
    circles = list(tree.iter("circle"))
    tooltips = [c.findtext("title") for c in circles if c.findtext("title")]
    assert len(tooltips) == len(rows) and all(" on " + DEVICE in t for t in tooltips)
    labels = {t.text for t in tree.iter("text") if t.get("font-size") == "11" and "/" not in (t.text or "")
              and t.text and t.text.lstrip("\u2605 ").startswith("tflite-")}
    front = {r["model_id"] for r in rows if r["pareto"] or r["recommended"]}
    assert {label.lstrip("\u2605 ") for label in labels} == front and len(front) < len(rows)


def test_tables_scroll_sideways_instead_of_being_clipped():
    text = render_html([x86_run()])
    assert text.count('<div class="scroll"><table>') == text.count("<table>") > 0
    assert ".scroll{overflow-x:auto" in text


def test_power_table_says_what_every_row_shares_once():
    section = power_section(merge([x86_run()]))
    note, table = section.blocks[0], section.blocks[1]
    assert note.text.startswith(f"For every row: Device: {DEVICE}; Estimate basis: unknown CPU, 5 W/core; "
                                "Estimate source: edgenn assumption")
    assert "Device" not in table.columns and "Estimate source" not in table.columns and "Model" in table.columns
