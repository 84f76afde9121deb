"""Thermal zones and cpufreq read from recorded trees; a vanished file reads as missing."""

from edge_runtime.probes import Snapshotter, hottest, snapshot
from edge_runtime.probes.cpufreq import CpuFreq
from edge_runtime.probes.thermal import ThermalZones


def test_thermal_zones_are_keyed_by_type_in_degrees_celsius(tree):
    temps = ThermalZones(tree("x86_kvm")).read()
    # millidegrees in the files: 27800, 52000, 29800; the second "acpitz" keeps its zone name
    assert temps == {"acpitz": 27.8, "x86_pkg_temp": 52.0, "acpitz:thermal_zone2": 29.8}
    assert hottest(temps) == 52.0


def test_cpufreq_reports_khz_per_cpu_and_names_mixed_governors(tree):
    freq = CpuFreq(tree("x86_kvm"))
    assert freq.frequencies_khz() == {"cpu0": 2400000, "cpu1": 1800000, "cpu2": 3100000}
    assert freq.governor() == "performance,powersave"


def test_snapshot_has_the_documented_keys_and_no_throttling_source_off_a_pi(tree):
    snap = snapshot(tree("jetson_orin"))
    assert set(snap) == {"temperatures_c", "cpu_freq_khz", "governor", "throttled"}
    assert snap["temperatures_c"]["gpu-thermal"] == 45.906
    assert len(snap["cpu_freq_khz"]) == 6 and snap["governor"] == "schedutil"
    assert snap["throttled"] is None  # a fake tree never runs this machine's vcgencmd


def test_a_sensor_file_removed_mid_run_reads_as_missing_and_the_rest_continue(tree):
    root = tree("x86_kvm")
    probe = Snapshotter(root)
    before = probe.snapshot()
    (root / "sys/class/thermal/thermal_zone1/temp").unlink()
    (root / "sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq").unlink()
    after = probe.snapshot()
    assert before["temperatures_c"]["x86_pkg_temp"] == 52.0
    assert after["temperatures_c"]["x86_pkg_temp"] is None
    assert after["temperatures_c"]["acpitz"] == 27.8
    assert after["cpu_freq_khz"] == {"cpu0": 2400000, "cpu1": None, "cpu2": 3100000}
    assert hottest(after["temperatures_c"]) == 29.8


def test_an_unreadable_number_is_missing_not_an_error(tree):
    root = tree("rpi5")
    (root / "sys/class/thermal/thermal_zone0/temp").write_text("garbage\n")
    assert ThermalZones(root).read() == {"cpu-thermal": None}


def test_a_tree_without_sensors_gives_empty_readings(tmp_path):
    assert snapshot(tmp_path) == {"temperatures_c": {}, "cpu_freq_khz": {}, "governor": None, "throttled": None}


def test_snapshot_decodes_throttling_through_the_injected_runner(tree):
    calls = []

    def run(argv):
        calls.append(argv)
        return "throttled=0x50005"

    snap = snapshot(tree("rpi5"), run=run)
    assert calls == [["vcgencmd", "get_throttled"]]
    assert snap["throttled"]["under_voltage"] and snap["throttled"]["throttled_occurred"]
    assert snap["temperatures_c"] == {"cpu-thermal": 61.25} and snap["governor"] == "ondemand"
