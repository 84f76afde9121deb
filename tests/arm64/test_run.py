"""What `make test-arm64` copies to the device and how strictly it compares the device with x86."""

import ast

import pytest

from tests.arm64 import run


def test_the_edge_only_suite_imports_no_test_helper_it_does_not_carry(tmp_path):
    run.copy_edge_suite(tmp_path)
    missing = []
    for path in (tmp_path / "tests").rglob("*.py"):
        if (tmp_path / run.WORKSTATION_SIDE) in path.parents:  # not run on the device (--ignore)
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tests":
                parts = node.module.split(".")
                if not ((tmp_path.joinpath(*parts).with_suffix(".py")).exists()
                        or (tmp_path.joinpath(*parts) / "__init__.py").exists()):
                    missing.append(f"{path.relative_to(tmp_path)}: {node.module}")
    assert not missing, missing
    assert (tmp_path / "pyproject.toml").exists()  # its markers and warning filters travel with it


@pytest.mark.parametrize(("ops", "precision", "allowed"), [
    (["scale"], "int8", None),  # integer kernels on the same input bits: the same bits out
    (["deskew", "scale", "hog"], "int8", 3 / 256),  # a float stage quantized: a last-bit difference may step
    (["scale"], "fp32", 1e-4),
    (["deskew", "scale", "hog"], "int16x8", 1e-4),  # float softmax output
])
def test_int8_is_exact_unless_a_float_stage_feeds_its_quantization(ops, precision, allowed):
    assert run.tolerance(ops, precision) == allowed
