"""Recorded fake sysfs trees (tests/edge_runtime/fixtures/), copied so a test may change them."""

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def tree(tmp_path):
    """``tree("jetson_orin")`` -> a private copy of that recorded tree, safe to modify."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture
def pmic_output() -> str:
    return (FIXTURES / "rpi5_pmic_read_adc.txt").read_text()
