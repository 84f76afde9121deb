"""Broken and hostile inputs the review found as tracebacks: each is one line on stderr and exit 2.

Bench JSON with NaN/inf/1e308, JSON nested 100,000 deep, a binary config, seed 2**70, a random-bytes
samples.npz, a run.json that is a list, ``bench --window 0``, and HTML in names for the Markdown report.
"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from pipelines.cli import main
from tests.edge_runtime.report.examples import copy_of, x86_run


def one_line_exit_2(capsys, argv: list[str], *expected: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


@pytest.mark.parametrize("raw, why", [
    ("NaN", "NaN is not a JSON number"),
    ("-Infinity", "-Infinity is not a JSON number"),
    ("1e400", "1e400 overflows a float"),
    ("1e308", "1e+308 is beyond +-1e+15"),
])
def test_report_on_non_finite_or_huge_numbers(tmp_path, capsys, raw, why):
    text = re.sub(r'"p50": [0-9.e+-]+', f'"p50": {raw}', json.dumps(x86_run()), count=1)
    (tmp_path / "b.json").write_text(text)
    one_line_exit_2(capsys, ["report", str(tmp_path / "b.json"), "--out", str(tmp_path / "r.html")], "b.json", why)
    assert not (tmp_path / "r.html").exists()


def test_deeply_nested_json_in_a_bench_file_and_a_manifest(tmp_path, capsys):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    one_line_exit_2(capsys, ["report", str(tmp_path / "deep.json"), "--out", str(tmp_path / "r.html")],
                    "deep.json: not valid JSON (nested too deeply)")
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "manifest.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    one_line_exit_2(capsys, ["inspect", str(tmp_path / "bundle")], "manifest.json: not valid JSON (nested too deeply)")


def test_a_binary_config_file_and_a_huge_seed(tmp_path, capsys):
    (tmp_path / "binary.toml").write_bytes(os.urandom(64) + b"\xff\xfe")
    one_line_exit_2(capsys, ["train", str(tmp_path / "binary.toml")], "binary.toml: not a text file")
    (tmp_path / "seed.toml").write_text('name = "s"\nseed = 1180591620717411303424\n[data]\ndataset = "digits"\n')
    one_line_exit_2(capsys, ["train", str(tmp_path / "seed.toml")], "expected seed in [0, 2**32)")


def _run_dir(tmp_path):
    from edge_runtime.preprocess import Pipeline
    from models.rundir import save_run
    from tests.models.test_rundir import INPUT, samples

    class NoModel:  # save_run's model only needs save(); the model is not what these tests break
        def save(self, path):
            path.write_bytes(b"PK\x05\x06" + bytes(18))

    return save_run(tmp_path / "run", model=NoModel(), pipeline=Pipeline.from_spec([]), config={},
                    task="classification", labels=["a", "b", "c"], input_spec=INPUT, samples=samples())


def test_a_random_bytes_samples_npz_and_a_run_json_list(tmp_path, capsys):
    run_dir = _run_dir(tmp_path)
    (run_dir / "samples.npz").write_bytes(np.random.default_rng(0).bytes(4096))
    one_line_exit_2(capsys, ["export", str(run_dir), "--out", str(tmp_path / "b")],
                    "samples.npz: not a readable samples archive")
    (run_dir / "run.json").write_text("[1, 2, 3]")
    one_line_exit_2(capsys, ["export", str(run_dir), "--out", str(tmp_path / "b")],
                    "run.json: expected a JSON object. Received: a JSON list")


@pytest.mark.parametrize("window", ["0", "-1", "nan", "0.01"])
def test_bench_refuses_a_window_below_a_tenth_of_a_second(tmp_path, capsys, window):
    from tests.edge_runtime.bundle_factory import tiny_bundle

    one_line_exit_2(capsys, ["bench", str(tiny_bundle().path), "--duration", "1", "--window", window],
                    "Expected a timeline window of at least 0.1 s")


def test_the_markdown_report_escapes_html_from_model_and_device_names(tmp_path, capsys):
    doc = copy_of(x86_run())
    doc["device"]["hostname"] = "<script>alert(1)</script>"
    doc["results"][0]["model_id"] = '<img src=x onerror="alert(2)">'
    (tmp_path / "b.json").write_text(json.dumps(doc))
    assert main(["report", str(tmp_path / "b.json"), "--out", str(tmp_path / "r.html"),
                 "--markdown", str(tmp_path / "r.md")]) == 0
    markdown = (tmp_path / "r.md").read_text()
    assert "<script" not in markdown and "<img" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown and "&lt;img src=x onerror=" in markdown


def test_a_fifo_named_like_a_bench_file_is_refused_without_blocking(tmp_path, capsys):
    import threading

    os.mkfifo(tmp_path / "bench.json")
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(
        main(["report", str(tmp_path / "bench.json"), "--out", str(tmp_path / "r.html")])), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():
        with open(tmp_path / "bench.json", "wb"):
            pass
        pytest.fail("report blocked reading a FIFO")
    err = capsys.readouterr().err
    assert outcome == [2] and "bench.json: not a regular file" in err and err.count("\n") == 1


def test_bench_refuses_a_batch_it_cannot_allocate(capsys):
    from tests.edge_runtime.bundle_factory import tiny_bundle

    one_line_exit_2(capsys, ["bench", str(tiny_bundle().path), "--batch", "100000000", "--runs", "1"],
                    "Expected --batch x sample size <= 268435456 elements", "batch=100000000")
