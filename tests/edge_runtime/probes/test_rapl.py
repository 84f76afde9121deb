"""RAPL on a recorded powercap tree: which zones count, wrap-around, missing and unreadable files."""

import os

import pytest

from edge_runtime.probes.rapl import find_rapl

MAX_RANGE = 262143328850  # max_energy_range_uj in the recorded tree


def _set(root, zone, microjoules):
    (root / f"sys/class/powercap/{zone}/energy_uj").write_text(f"{microjoules}\n")


def _add_zone(root, zone, name, microjoules, max_range=MAX_RANGE):
    directory = root / f"sys/class/powercap/{zone}"
    directory.mkdir()
    (directory / "name").write_text(f"{name}\n")
    (directory / "max_energy_range_uj").write_text(f"{max_range}\n")
    _set(root, zone, microjoules)


def test_only_the_package_is_counted_not_its_core_and_uncore_subzones(tree):
    meter, reason = find_rapl(tree("rapl"))
    assert reason == "" and meter.source == "rapl:package-0" and meter.kind == "energy"


def test_energy_accumulates_across_a_counter_wrap(tree):
    root = tree("rapl")
    meter, _ = find_rapl(root)
    assert meter.read_joules() == 0.0
    _set(root, "intel-rapl:0", 262143300000)  # +0.3 J, 28850 uJ below the wrap
    assert meter.read_joules() == pytest.approx(0.3)
    _set(root, "intel-rapl:0", 1_000_000)  # wrapped: 0.02885 J to the top, then 1 J from zero
    assert meter.read_joules() == pytest.approx(0.3 + 0.02885 + 1.0)


def test_psys_alone_is_used_when_the_platform_zone_exists(tree):
    root = tree("rapl")
    _add_zone(root, "intel-rapl:1", "psys", 5)
    meter, _ = find_rapl(root)
    assert meter.source == "rapl:psys"


def test_dram_subzone_is_added_to_the_package(tree):
    root = tree("rapl")
    _add_zone(root, "intel-rapl:0:2", "dram", 1000, max_range=65532610987)
    meter, _ = find_rapl(root)
    assert meter.source == "rapl:package-0+dram"
    _set(root, "intel-rapl:0", 262143000000 + 2_000_000)
    _set(root, "intel-rapl:0:2", 1000 + 500_000)
    assert meter.read_joules() == pytest.approx(2.5)


def test_a_counter_file_removed_mid_run_is_a_missing_reading(tree):
    root = tree("rapl")
    meter, _ = find_rapl(root)
    energy = root / "sys/class/powercap/intel-rapl:0/energy_uj"
    energy.unlink()
    assert meter.read_joules() is None
    energy.write_text("262143000500\n")
    assert meter.read_joules() == pytest.approx(0.0005)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_root_only_energy_files_are_explained(tree):
    root = tree("rapl")
    (root / "sys/class/powercap/intel-rapl:0/energy_uj").chmod(0)
    meter, reason = find_rapl(root)
    assert meter is None and "root" in reason and "CVE-2020-8694" in reason


def test_no_powercap_directory_gives_a_reason(tmp_path):
    assert find_rapl(tmp_path) == (None, "no RAPL zones in /sys/class/powercap")
