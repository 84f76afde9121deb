"""A model whose hash matches can still be hostile: it is proven loadable in a child process first.

The tampered TFLite file below (a FULLY_CONNECTED weights index of -1, its sha256 updated in the
manifest) makes LiteRT die with SIGSEGV when loaded in-process; the commands run here in their own
process, so a regression shows as a negative return code instead of a crashed test session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edge_runtime.bundle import open_bundle
from edge_runtime.errors import BundleError
from edge_runtime.modelcheck import cache_dir
from tests.edge_runtime.bundle_factory import copy_bundle, tiny_bundle
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.tamper import fully_connected_weights_to, replace_file

ROOT = Path(__file__).resolve().parents[2]
#: how the probe reports the tampered model: LiteRT reads the -1 index out of bounds and usually dies with
#: SIGSEGV, but depending on what that memory holds it may instead fail FULLY_CONNECTED's prepare step;
#: either way the calling process survives and names the file
HOSTILE = (r"fp32\.tflite: (loading this model crashed a probe process \(SIGSEGV\)"
           r"|a probe load failed: Node number \d+ \(FULLY_CONNECTED\) failed to prepare)")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def segfaulting_bundle(tmp_path_factory):
    bundle_dir = copy_bundle(tmp_path_factory.mktemp("segv"))
    data = (bundle_dir / "models" / "fp32.tflite").read_bytes()
    replace_file(bundle_dir, "models/fp32.tflite", fully_connected_weights_to(data, -1))
    return bundle_dir


def edgenn(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True,  # noqa: S603
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=300,
                          check=False)


def test_the_tampered_model_really_crashes_an_engine_that_loads_it_unchecked(segfaulting_bundle):
    """The reference: without the probe, the engine dies (so the next tests can fail)."""
    script = ("import sys; from edge_runtime.backends import get_backend; "
              "get_backend('litert').load(sys.argv[1], 1).run([__import__('numpy').zeros((1, 28, 28, 1), "
              "'float32')])")
    proc = subprocess.run([sys.executable, "-c", script, str(segfaulting_bundle / "models" / "fp32.tflite")],  # noqa: S603
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=False)
    assert proc.returncode < 0 or proc.returncode not in (0, 2)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["predict", "bench"])
def test_predict_and_bench_survive_and_name_the_file(segfaulting_bundle, tmp_path, command):
    from PIL import Image

    image = tmp_path / "digit.png"
    Image.fromarray(tiny_bundle().x_raw[0, :, :, 0]).save(image)
    args = [str(segfaulting_bundle), str(image)] if command == "predict" else [str(segfaulting_bundle), "--runs", "5"]
    proc = edgenn(command, *args, "--variant", "tflite-fp32", env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1
    assert re.search(HOSTILE, proc.stderr), proc.stderr


def test_the_verdict_is_cached_per_sha256_so_the_probe_runs_once(segfaulting_bundle):
    bundle = open_bundle(segfaulting_bundle)
    with pytest.raises(BundleError, match=HOSTILE):
        bundle.session("tflite-fp32")
    sha = bundle.model("tflite-fp32")["sha256"]
    verdicts = sorted(p.name for p in cache_dir().iterdir())
    assert len(verdicts) == 1 and verdicts[0].startswith(f"{sha}-litert-")
    assert json.loads((cache_dir() / verdicts[0]).read_text())["ok"] is False
    written = (cache_dir() / verdicts[0]).stat().st_mtime_ns
    with pytest.raises(BundleError, match=HOSTILE):
        open_bundle(segfaulting_bundle).session("tflite-fp32")
    assert (cache_dir() / verdicts[0]).stat().st_mtime_ns == written  # read, not probed and rewritten
    open_bundle(segfaulting_bundle).session("tflite-int8")  # the untouched models of the bundle still load
    assert len(list(cache_dir().iterdir())) == 2


def test_an_onnx_model_whose_graph_is_broken_is_refused_with_its_name(tmp_path):
    onnx = oracle("onnx")

    bundle_dir = copy_bundle(tmp_path)
    model = onnx.load(bundle_dir / "models" / "fp32.onnx")
    model.graph.node[-1].input[0] = "no_such_tensor"
    replace_file(bundle_dir, "models/fp32.onnx", model.SerializeToString())
    with pytest.raises(BundleError, match=r"fp32\.onnx: (not a valid onnx model|a probe load failed)"):
        open_bundle(bundle_dir).session("onnx-fp32")
