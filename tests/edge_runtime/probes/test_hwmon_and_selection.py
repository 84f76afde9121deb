"""Generic hwmon inputs, and which sensor :func:`energy_meter` picks on each recorded board."""

import pytest

from edge_runtime.probes import energy_meter
from edge_runtime.probes.hwmon import find_hwmon


def test_socket_energy_is_used_not_added_to_per_core_counters(tree):
    root = tree("amd_energy")
    meter, _ = find_hwmon(root)
    assert meter.source == "hwmon:amd_energy:Esocket0" and meter.kind == "energy"
    (root / "sys/class/hwmon/hwmon2/energy3_input").write_text("53500000\n")
    (root / "sys/class/hwmon/hwmon2/energy1_input").write_text("9000000\n")  # a core: ignored
    assert meter.read_joules() == pytest.approx(3.5)


def test_power_average_is_read_in_microwatts(tree):
    meter, _ = find_hwmon(tree("x86_kvm"))
    assert meter.source == "hwmon:amdgpu:PPT" and meter.read_watts() == pytest.approx(12.5)


def test_ina3221_is_left_to_its_own_reader(tree):
    meter, reason = find_hwmon(tree("jetson_orin"))
    assert meter is None and reason == "no hwmon power*_input or energy*_input"


@pytest.mark.parametrize(("name", "source"), [
    ("jetson_orin", "ina3221:VDD_IN"),
    ("jetson_nano_iio", "ina3221:POM_5V_IN"),
    ("rapl", "rapl:package-0"),
    ("amd_energy", "hwmon:amd_energy:Esocket0"),
])
def test_energy_meter_finds_the_board_sensor(tree, name, source):
    meter, reason = energy_meter(tree(name))
    assert meter.source == source and reason == ""


def test_without_any_sensor_every_reason_is_given(tree):
    meter, reason = energy_meter(tree("rpi4"))
    assert meter is None
    for part in ("INA3221", "Raspberry Pi 4 Model B Rev 1.4 has no current sensors", "RAPL", "hwmon"):
        assert part in reason
