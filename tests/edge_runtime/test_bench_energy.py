"""Energy a person can use: CPU time x the board's power per core, the measurement beside it, MACs as a floor."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edge_runtime.bench import BenchSettings, run_bench
from edge_runtime.bundle import open_bundle
from edge_runtime.device import device_facts
from edge_runtime.energy.core_power import FALLBACK, core_power, cpu_time_estimate
from edge_runtime.errors import ConfigError
from tests.edge_runtime.bundle_factory import tiny_bundle

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("tree, board, watts", [
    # (full load - idle) / 4 cores, from the published wall measurements named in the table
    ("rpi5", "Raspberry Pi 5", (9.8 - 3.3) / 4),
    ("rpi4", "Raspberry Pi 4", (6.41 - 2.1) / 4),
    # NVIDIA's 15 W power-mode budget shared by 6 cores: an upper bound
    ("jetson_orin", "Jetson Orin Nano", 15 / 6),
])
def test_recorded_boards_get_their_published_power_per_core(tree, board, watts):
    entry = core_power(device_facts(FIXTURES / tree, run=lambda argv: None))
    assert entry.board == board and entry.watts_per_core == pytest.approx(watts)
    assert entry.source and entry.basis


def test_unknown_cpus_get_the_stated_fallback_for_their_architecture():
    assert core_power({"board": None, "arch": "x86_64"}) is FALLBACK["other"]
    assert core_power({"board": "Some Vendor SBC", "arch": "aarch64"}) is FALLBACK["arm"]
    assert core_power({"board": "NVIDIA Jetson Nano Developer Kit", "arch": "aarch64"}).board == "Jetson Nano"
    assert all(f.kind == "assumed" for f in FALLBACK.values())


def test_the_estimate_is_cpu_time_times_power_per_core_in_microjoules():
    # 260 us of CPU time on a Raspberry Pi 5 core at 1.625 W: 422.5 uJ (us x W = uJ)
    out = cpu_time_estimate(260.0, {"board": "Raspberry Pi 5 Model B Rev 1.0", "arch": "aarch64"})
    assert out["energy_uj_per_inference"] == pytest.approx(260.0 * 1.625)
    assert out["label"] == "estimate" and out["model"] == "cpu-time x core power"
    assert "Geerling" in out["source"] and "preprocessing" in out["method"]
    with pytest.raises(ConfigError, match="cpu_us=-1"):
        cpu_time_estimate(-1, {})


@pytest.fixture(scope="module")
def tiny():
    return tiny_bundle()


def test_the_headline_is_far_above_the_arithmetic_lower_bound(tiny):
    out = run_bench(open_bundle(tiny.path), ["tflite-fp32"], None, BenchSettings(runs=200, warmup=10))
    power = out["results"][0]["power"]
    # the tiny CNN moves its whole file through a 1 MB SRAM in the bound; the demo's models are 100-1000x apart
    assert power["estimate"]["energy_uj_per_inference"] > 10 * power["lower_bound"]["energy_uj_per_inference"]


def test_with_a_sensor_the_report_shows_estimate_and_measurement_side_by_side(tiny, tmp_path):
    from edge_runtime.report import render_markdown, summary

    root = shutil.copytree(FIXTURES / "jetson_orin", tmp_path / "orin")
    settings = BenchSettings(runs=100, warmup=5, energy=True, energy_windows=1, energy_seconds=0.2,
                             probe_root=str(root))
    out = json.loads(json.dumps(run_bench(open_bundle(tiny.path), ["tflite-fp32"], None, settings)))
    power = out["results"][0]["power"]
    assert power["measured"]["label"] == "measured" and power["measured"]["energy_uj_per_inference"] is not None
    assert power["estimate"]["board"] == "Jetson Orin Nano"
    row = summary([out])["rows"]
    row = next(iter(row.values()))[0]
    assert row["energy_estimate_uj"] == power["estimate"]["energy_uj_per_inference"]
    assert row["energy_measured_uj"] == power["measured"]["energy_uj_per_inference"]
    text = render_markdown([out])
    assert "Estimate µJ" in text and "Measured µJ" in text and "Lower bound µJ" in text
