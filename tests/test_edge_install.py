"""An edge-only install: `pip install "edgenn[edge]"` into a fresh venv runs the CLI without TensorFlow.

The project is copied (packages and packaging files only) to a temporary directory and installed
non-editable with the repository's constraints, as a Raspberry Pi user would. pip's cache (here a
local mirror) makes this take seconds; the time is printed.
"""

import json
import subprocess
import time
import venv
from pathlib import Path

import pytest

from tests.installed_wheel import copy_sources

REPO = Path(__file__).resolve().parents[1]
TRAIN_ONLY = ("tensorflow", "tf_keras", "tensorflow_model_optimization", "tf2onnx", "sklearn", "matplotlib", "mlxtend")

IMPORT_EVERY_EDGE_MODULE = """
import importlib, pkgutil, edge_runtime
names = [i.name for i in pkgutil.walk_packages(edge_runtime.__path__, "edge_runtime.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


@pytest.fixture(scope="module")
def edge_venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("edge-install")
    src = copy_sources(root / "src")
    env_dir = root / "venv"
    start = time.perf_counter()
    venv.EnvBuilder(with_pip=True).create(env_dir)
    created = time.perf_counter()
    pip = subprocess.run([env_dir / "bin" / "python", "-m", "pip", "install", "--quiet", "-c",
                          src / "constraints.txt", f"{src}[edge]"], cwd=root, timeout=900, capture_output=True, text=True)
    if pip.returncode:
        pytest.fail(f"pip install edgenn[edge] failed:\n{pip.stderr[-3000:]}")
    done = time.perf_counter()
    print(f"\nedge-only install: venv {created - start:.1f} s + pip install {done - created:.1f} s")
    return env_dir


def _run(env_dir, *args, **kwargs):
    return subprocess.run([env_dir / "bin" / args[0], *args[1:]], capture_output=True, text=True, timeout=120,
                          **kwargs)


@pytest.mark.slow
def test_edge_install_has_no_training_stack(edge_venv):
    code = f"import importlib.util as u; print([m for m in {TRAIN_ONLY!r} if u.find_spec(m)])"
    done = _run(edge_venv, "python", "-c", code, check=True)
    assert done.stdout.strip() == "[]"
    done = _run(edge_venv, "python", "-c", "import numpy, PIL, onnxruntime, ai_edge_litert; print('ok')", check=True)
    assert done.stdout.strip() == "ok"


@pytest.mark.slow
def test_edge_install_runs_version_and_datasets(edge_venv, tmp_path):
    from edge_runtime import __version__

    assert _run(edge_venv, "edgenn", "--version", check=True).stdout.strip() == f"edgenn {__version__}"
    listing = tmp_path / "datasets.json"
    done = _run(edge_venv, "edgenn", "datasets", "--json", str(listing), check=True)
    assert "mnist-5k" in done.stdout
    rows = {row["name"]: row for row in json.loads(listing.read_text())["datasets"]}
    assert rows["mnist-5k"]["available_offline"] is False and "edgenn[train]" in rows["mnist-5k"]["reason"]
    assert rows["xor"]["available_offline"] and rows["folder"]["available_offline"]
    assert _run(edge_venv, "edgenn", "datasets", "xor", check=True).stdout.startswith("xor: 2 classes")


@pytest.mark.slow
def test_edge_install_imports_every_edge_runtime_module(edge_venv):
    done = _run(edge_venv, "python", "-c", IMPORT_EVERY_EDGE_MODULE, cwd="/")
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) >= 8


@pytest.mark.slow
def test_edge_install_names_the_train_extra_for_training_work(edge_venv, tmp_path):
    done = _run(edge_venv, "edgenn", "datasets", "digits")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert 'pip install "edgenn[train]"' in done.stderr
    config = REPO / "configs" / "mnist_mlp.toml"
    done = _run(edge_venv, "edgenn", "train", str(config), "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "edgenn[train]" in done.stderr and done.stderr.count("\n") == 1
    assert not (tmp_path / "run").exists()  # refused before anything was written
