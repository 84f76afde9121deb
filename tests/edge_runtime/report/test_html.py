"""The HTML report parses, holds every table and chart, embeds its images and references no URL."""

import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from PIL import Image as PILImage

from edge_runtime.errors import ConfigError
from edge_runtime.report import Image, Section, Svg, Table, Text, render_html, render_markdown
from tests.edge_runtime.report.examples import pi5_run, x86_run


class Page(HTMLParser):
    """Collects tables, SVG documents, images, sections and every URL-bearing attribute."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.rows, self.svgs, self.images, self.sections, self.urls, self.tags = 0, 0, [], [], [], [], []
        self._svg_depth, self._svg = 0, []
        self.feed(text)

    def handle_starttag(self, tag, attrs, closed=False):
        attrs = dict(attrs)
        self.tags.append(tag)
        self.tables += tag == "table"
        self.rows += tag == "tr"
        if tag == "section":
            self.sections.append(attrs["id"])
        if tag == "img":
            self.images.append(attrs)
        for key in ("src", "href", "xlink:href", "action", "data"):
            if key in attrs:
                self.urls.append(attrs[key])
        if self._svg_depth and closed:
            self._svg.append(self.get_starttag_text())
        elif tag == "svg" or self._svg_depth:
            self._svg_depth += 1
            self._svg.append(self.get_starttag_text())

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        if self._svg_depth:
            self._svg.append(f"</{tag}>")
            self._svg_depth -= 1
            if self._svg_depth == 0:
                self.svgs.append("".join(self._svg))
                self._svg = []

    def handle_data(self, data):
        if self._svg_depth:
            self._svg.append(data.replace("&", "&amp;").replace("<", "&lt;"))


def _png() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("L", (4, 4), 128).save(buffer, format="PNG")
    return buffer.getvalue()


RAW_SVG = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n'
           '<svg viewBox="0 0 10 10"><rect width="5" height="5"/></svg>')


@pytest.fixture
def page():
    extra = Section("Robustness", [Text("FGSM on the float model."),
                                   Table(["eps", "accuracy"], [["0", "0.98"], ["0.1", "0.71"]], caption="transfer"),
                                   Image(_png(), alt="first-layer kernels", caption="kernels"),
                                   Svg(RAW_SVG, caption="accuracy vs eps")],
                    intro="The demo's own section.")
    return Page(render_html([x86_run(), pi5_run()], "Demo report", [extra], sources=["x86.json", "pi5.json"]))


def test_every_table_is_present(page):
    # devices (a row per fact), one result table per device (2), the x86 variants slower than fp32,
    # power and thermal, and the extra section's table
    assert page.tables == 6
    assert page.rows == (1 + 9) + (1 + 5) + (1 + 2) + (1 + 2) + (1 + 7) + (1 + 2)


def test_every_chart_is_inline_and_well_formed_svg(page):
    # latency per device (2), trade-off (1), one sustained timeline (1), and the extra raw SVG (1)
    assert len(page.svgs) == 5
    trees = [ET.fromstring(svg) for svg in page.svgs]  # noqa: S314 - our own output; proves it is well-formed XML
    titles = [tree.findtext("title") for tree in trees[:4]]
    assert titles[0].startswith("Latency distribution on Intel") and "Accuracy vs" in titles[2]


def test_images_are_embedded_and_nothing_is_fetched_from_a_network(page):
    assert len(page.images) == 1 and page.images[0]["src"].startswith("data:image/png;base64,")
    assert page.images[0]["alt"] == "first-layer kernels"
    external = [u for u in page.urls if not (u.startswith("#") or u.startswith("data:"))]
    assert external == []
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags


def test_sections_are_linked_from_the_contents(page):
    assert page.sections == ["devices", "results-on-intel-r-xeon-r-processor-ci-vm",
                             "results-on-raspberry-pi-5-model-b-rev-1-0-pi5", "accuracy-vs-latency-vs-size",
                             "latency-and-temperature-over-time", "power-and-thermal", "robustness"]
    assert {u[1:] for u in page.urls if u.startswith("#")} == set(page.sections)


def test_no_url_in_css_or_text_either():
    text = render_html([x86_run(), pi5_run()])
    assert not re.search(r"url\(|@import|https?://", text)


def test_text_from_results_is_escaped():
    run = x86_run()
    run["results"][0]["model_id"] = "tflite-<script>alert(1)</script>"
    text = render_html([run])
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_the_verdict_names_the_fastest_and_the_slower_quantized_models():
    text = render_html([x86_run()])
    assert "Fastest: tflite-int8 (litert, 1 thr)" in text
    assert "Quantized is not always faster: 2 variants were slower than their fp32 model on this device." in text
    # one table, slowest first: variant, backend and threads, precision, p50, fp32 p50, ratio
    assert ("<tr><td>onnx-dynamic</td><td>onnxruntime \u00d71</td><td>dynamic</td><td>190.0</td><td>30.0</td>"
            "<td>6.33x</td></tr><tr><td>onnx-int8</td><td>onnxruntime \u00d71</td><td>int8</td><td>61.0</td>"
            "<td>30.0</td><td>2.03x</td></tr>") in text


def test_markdown_has_the_same_tables_and_names_the_figures():
    md = render_markdown([x86_run(), pi5_run()], extra_sections=[Section("Extra", [Image(_png(), alt="kernels")])])
    assert sum(line.startswith("|---|") for line in md.splitlines()) == 5
    assert "| **tflite-int8** | **litert** |" in md
    assert "*(image in the HTML report: kernels)*" in md


def test_a_report_of_extra_sections_only_renders():
    parsed = Page(render_html([], "Only extras", [Section("Notes", [Text("nothing measured")])]))
    assert parsed.sections == ["notes"] and parsed.tables == 0


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Image(b"GIF89a....", alt="x"), "Expected PNG bytes"),
    (lambda: Svg("<div/>"), "Expected SVG markup"),
    (lambda: Table(["a", "b"], [["1"]]), "Expected 2 cells per row"),
])
def test_bad_extra_blocks_are_refused(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
