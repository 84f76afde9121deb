"""The labelled energy estimate, checked against Horowitz's (ISSCC 2014) figures by hand."""

import pytest

from edge_runtime.energy import estimate
from edge_runtime.errors import ConfigError


def test_int8_mac_is_an_8bit_multiply_plus_a_32bit_add():
    out = estimate(macs=1_000_000, bytes_moved=0, precision="int8")
    assert out["energy_uj_per_inference"] == pytest.approx(1e6 * (0.2 + 0.1) / 1e6)
    assert out["label"] == "lower bound" and "Horowitz" in out["source"] and "ISSCC 2014" in out["source"]
    assert out["constants_pj"]["int8_mult"] == 0.2


def test_fp32_mac_and_memory_traffic():
    out = estimate(macs=1_000_000, bytes_moved=8_000, precision="fp32", memory="sram_1mb")
    assert out["compute_uj"] == pytest.approx(4.6)          # 3.7 pJ mult + 0.9 pJ add
    assert out["memory_uj"] == pytest.approx(0.1)           # 1000 x 64-bit reads x 100 pJ
    assert out["energy_uj_per_inference"] == pytest.approx(4.7)
    assert "100 pJ per 64-bit sram_1mb" in out["method"]


def test_float_weights_are_never_costed_as_int8():
    fp = estimate(10_000, 0, "fp32")["energy_uj_per_inference"]
    assert estimate(10_000, 0, "qdq-activations")["energy_uj_per_inference"] == fp
    assert estimate(10_000, 0, "int8")["energy_uj_per_inference"] < fp


def test_dram_costs_more_than_cache():
    assert estimate(0, 64, "int8", memory="dram")["memory_uj"] == pytest.approx(8 * 1300 / 1e6)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"precision": "int4"}, "precision='int4'"),
    ({"memory": "hbm"}, "memory='hbm'"),
    ({"macs": -1}, "macs=-1"),
])
def test_bad_arguments_name_the_value(kwargs, message):
    args = {"macs": 1, "bytes_moved": 1, "precision": "int8"} | kwargs
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        estimate(**args)
