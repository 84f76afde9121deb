"""Loading bench files with clear errors, and the ``edgenn report`` command end to end."""

import json

import pytest

from edge_runtime.errors import DataError
from edge_runtime.report import load_bench, load_runs
from pipelines.cli import main
from tests.edge_runtime.report.examples import pi5_run, x86_run


def _write(path, doc):
    path.write_text(json.dumps(doc))
    return path


def test_load_names_the_file_and_the_problem(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_bench(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataError, match="bad.json"):
        load_bench(tmp_path / "bad.json")
    doc = x86_run()
    del doc["results"][2]["latency_us"]["end_to_end"]["p99"]
    with pytest.raises(DataError, match=r"results\[2\]\.latency_us\.end_to_end: missing required field 'p99'"):
        load_bench(_write(tmp_path / "broken.json", doc))
    with pytest.raises(DataError, match="at least one"):
        load_runs([])


def test_report_command_writes_html_markdown_and_json(tmp_path, capsys):
    a, b = _write(tmp_path / "x86.json", x86_run()), _write(tmp_path / "pi5.json", pi5_run())
    out = tmp_path / "out" / "report.html"
    code = main(["report", str(a), str(b), "--out", str(out), "--markdown", str(tmp_path / "r.md"),
                 "--json", str(tmp_path / "r.json")])
    assert code == 0
    assert "7 results from 2 run(s) on 2 device(s)" in capsys.readouterr().out
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "x86.json" in html
    assert "## Results on Raspberry Pi 5 Model B Rev 1.0 (pi5)" in (tmp_path / "r.md").read_text()
    summary = json.loads((tmp_path / "r.json").read_text())
    assert summary["verdicts"]["Intel(R) Xeon(R) Processor (ci-vm)"]["slower_than_fp32"] == [
        "onnx-dynamic (onnxruntime, 1 thr)", "onnx-int8 (onnxruntime, 1 thr)"]
    assert list(tmp_path.glob("**/*.tmp")) == []


def test_a_bad_input_is_one_line_and_nothing_is_written(tmp_path, capsys):
    good = _write(tmp_path / "x86.json", x86_run())
    bad = _write(tmp_path / "other.json", {"kind": "edgenn-evaluate"})
    out = tmp_path / "report.html"
    assert main(["report", str(good), str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("edgenn report: error:") and "other.json" in err and "\n" not in err
    assert not out.exists()


def test_the_command_warns_when_bundles_of_different_datasets_are_merged(tmp_path, capsys):
    digits, mnist = x86_run(), x86_run()
    digits["bundle"] |= {"name": "digits-cnn", "dataset": "digits"}
    mnist["bundle"] |= {"name": "mnist-cnn", "dataset": "mnist-5k"}
    a, b = _write(tmp_path / "a.json", digits), _write(tmp_path / "b.json", mnist)
    assert main(["report", str(a), str(b), "--out", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json")]) == 0
    assert "warning: These results come from bundles of different tasks or datasets" in capsys.readouterr().out
    summary = json.loads((tmp_path / "r.json").read_text())
    assert len(summary["verdicts"]) == 2 and summary["warnings"]
