"""Raspberry Pi 5 PMIC through recorded ``vcgencmd pmic_read_adc`` output; the Pi 4 has no sensor."""

import pytest

from edge_runtime.probes import energy_meter
from edge_runtime.probes.pmic import find_pmic, parse_pmic, rail_watts

# sum of current x voltage over the 12 rails that print both, computed by hand from the recording
RECORDED_WATTS = 1.6937552


def test_parse_pairs_currents_with_voltages(pmic_output):
    rails = parse_pmic(pmic_output)
    assert rails["VDD_CORE"] == {"current_a": 0.63436, "voltage_v": 0.881136}
    assert rails["EXT5V"] == {"voltage_v": 5.15232}  # a voltage without a current is not a power
    assert len(rail_watts(rails)) == 12


def test_meter_sums_the_rails(tree, pmic_output):
    calls = []

    def run(argv):
        calls.append(argv)
        return pmic_output

    meter, reason = find_pmic(tree("rpi5"), run=run)
    assert reason == "" and meter.kind == "power" and "excludes 5 V input" in meter.source
    assert meter.read_watts() == pytest.approx(RECORDED_WATTS, rel=1e-6)
    assert calls[-1] == ["vcgencmd", "pmic_read_adc"]


def test_a_pi4_is_named_as_having_no_current_sensors(tree):
    meter, reason = find_pmic(tree("rpi4"), run=lambda argv: "error=2 error_msg=\"Invalid arguments\"")
    assert meter is None
    assert reason.startswith("Raspberry Pi 4 Model B Rev 1.4 has no current sensors")


def test_unexpected_output_or_missing_tool_is_a_reason_not_an_error(tree):
    root = tree("rpi5")
    assert find_pmic(root)[1] == "no vcgencmd (Raspberry Pi 5 PMIC)"
    meter, reason = find_pmic(root, run=lambda argv: 'error=1 error_msg="Command not registered"')
    assert meter is None and "Command not registered" in reason


def test_a_failed_read_mid_run_is_missing(tree, pmic_output):
    outputs = iter([pmic_output, None])
    meter, _ = find_pmic(tree("rpi5"), run=lambda argv: next(outputs))
    assert meter.read_watts() is None


def test_energy_meter_picks_the_pmic_on_a_pi5(tree, pmic_output):
    meter, _ = energy_meter(tree("rpi5"), run=lambda argv: pmic_output)
    assert meter.source.startswith("pi5-pmic")
