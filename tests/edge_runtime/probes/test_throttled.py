"""``vcgencmd get_throttled`` bits, decoded as the Raspberry Pi documentation lists them."""

import pytest

from edge_runtime.probes.throttled import BITS, decode, parse, read_throttled


def test_zero_means_nothing_now_and_nothing_since_boot():
    flags = decode(0)
    assert flags["raw"] == "0x0" and not flags["any_now"]
    assert not any(flags[name] for name in BITS.values())


@pytest.mark.parametrize(("value", "expected_true"), [
    # the documentation's own examples: 0x50005 = under-voltage and throttled, now and since boot
    (0x50005, {"under_voltage", "throttled", "under_voltage_occurred", "throttled_occurred"}),
    (0x50000, {"under_voltage_occurred", "throttled_occurred"}),
    (0x80008, {"soft_temp_limit", "soft_temp_limit_occurred"}),
    (0x20002, {"arm_freq_capped", "arm_freq_capped_occurred"}),
])
def test_each_documented_bit_maps_to_its_flag(value, expected_true):
    flags = decode(value)
    assert {name for name in BITS.values() if flags[name]} == expected_true
    assert flags["any_now"] == bool(value & 0xF)


def test_parse_reads_hex_and_ignores_other_text():
    assert parse("throttled=0x50005\n") == 0x50005
    assert parse("throttled=0") == 0
    assert parse("VCHI initialization failed") is None
    assert parse(None) is None


def test_read_is_none_without_vcgencmd_and_decodes_with_it(tmp_path):
    assert read_throttled(tmp_path) is None  # fake root: no real command runs
    assert read_throttled(tmp_path, run=lambda argv: None) is None
    assert read_throttled(tmp_path, run=lambda argv: "throttled=0x4")["throttled"] is True
