"""Jetson INA3221: the total input rail alone, never added to the sub-rails it feeds."""

import pytest

from edge_runtime.probes.ina3221 import find_ina3221, read_rails


def test_meter_reads_the_total_input_rail_only(tree):
    meter, reason = find_ina3221(tree("jetson_orin"))
    assert reason == "" and meter.source == "ina3221:VDD_IN" and meter.kind == "power"
    # 5064 mV x 1384 mA; adding VDD_CPU_GPU_CV and VDD_SOC would count them twice
    assert meter.read_watts() == pytest.approx(5.064 * 1.384)


def test_rails_breakdown_lists_the_labelled_channels_only(tree):
    rails = read_rails(tree("jetson_orin"))
    assert set(rails) == {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}  # no shunt sums, no unlabelled channels
    assert rails["VDD_SOC"] == pytest.approx(5.064 * 0.552)
    assert rails["VDD_CPU_GPU_CV"] + rails["VDD_SOC"] < rails["VDD_IN"]


def test_jetpack4_iio_rails_are_read_in_milliwatts(tree):
    meter, _ = find_ina3221(tree("jetson_nano_iio"))
    assert meter.source == "ina3221:POM_5V_IN" and meter.read_watts() == pytest.approx(3.104)


def test_without_a_total_rail_the_meter_refuses_to_sum_sub_rails(tree):
    root = tree("jetson_orin")
    (root / "sys/class/hwmon/hwmon1/in1_label").unlink()
    meter, reason = find_ina3221(root)
    assert meter is None
    assert "VDD_CPU_GPU_CV" in reason and "double-count" in reason


def test_a_rail_file_removed_mid_run_reads_as_missing(tree):
    root = tree("jetson_orin")
    meter, _ = find_ina3221(root)
    (root / "sys/class/hwmon/hwmon1/curr1_input").unlink()
    assert meter.read_watts() is None


def test_no_ina3221_gives_a_reason(tree):
    meter, reason = find_ina3221(tree("x86_kvm"))
    assert meter is None and "INA3221" in reason
