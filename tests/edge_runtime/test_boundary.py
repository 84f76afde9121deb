"""The edge boundary: no edge_runtime module, nor the CLI's start-up, imports the training stack.

Each check runs in a fresh interpreter, imports modules one by one and names the first one after
which a forbidden package appears in ``sys.modules``. Modules are discovered with
``pkgutil.walk_packages``, so a module added later is covered without editing this test.
"""

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("tensorflow", "tf_keras", "keras", "tensorflow_model_optimization", "tf2onnx")
HEAVY = (*FORBIDDEN, "sklearn", "matplotlib")  # also kept out of CLI start-up and dataset listing

CHECK = """
import importlib, json, pkgutil, sys
forbidden = {forbidden!r}
report = {{"checked": [], "culprit": None, "loaded": []}}
def check(name):
    report["checked"].append(name)
    loaded = sorted(m for m in forbidden if m in sys.modules)
    if loaded and report["culprit"] is None:
        report["culprit"], report["loaded"] = name, loaded
{body}
print(json.dumps(report))
"""

EDGE_RUNTIME = """
import edge_runtime
check("edge_runtime")
for info in pkgutil.walk_packages(edge_runtime.__path__, "edge_runtime."):
    importlib.import_module(info.name)
    check(info.name)
"""

CLI = """
from pipelines.cli import build_parser
build_parser()
check("pipelines.cli.build_parser()")
import pipelines.datasets
check("pipelines.datasets")
from pipelines.commands.datasets import listing
listing()
check("pipelines.commands.datasets.listing()")
"""


def run_check(body: str, forbidden: tuple[str, ...]) -> dict:
    code = CHECK.format(forbidden=forbidden, body=body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if done.returncode:
        pytest.fail(f"import failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_edge_runtime_module_imports_without_the_training_stack():
    report = run_check(EDGE_RUNTIME, FORBIDDEN)
    assert report["culprit"] is None, f"{report['culprit']} imported {report['loaded']}"
    assert "edge_runtime.errors" in report["checked"] and "edge_runtime.preprocess.pipeline" in report["checked"]
    assert len(report["checked"]) >= 8  # walk_packages really walked the tree


def test_cli_start_up_and_dataset_listing_import_no_heavy_package():
    report = run_check(CLI, HEAVY)
    assert report["culprit"] is None, f"{report['culprit']} imported {report['loaded']}"
    assert report["checked"][-1] == "pipelines.commands.datasets.listing()"


def test_the_check_itself_catches_a_forbidden_import():
    report = run_check('import json as keras\nsys.modules["keras"] = keras\ncheck("a module importing keras")',
                       FORBIDDEN)
    assert report["culprit"] == "a module importing keras" and report["loaded"] == ["keras"]
