"""Energy per inference in windows with an idle baseline subtracted (MLPerf Tiny's shape)."""

import time

import pytest

from edge_runtime.energy import measure
from edge_runtime.errors import ConfigError
from edge_runtime.probes.meter import CounterMeter, Meter

IDLE_W = 2.0          # background power of the fake board
UJ_PER_CALL = 1000.0  # energy each workload call adds on top


class Board:
    """A counter that grows with time at IDLE_W and by UJ_PER_CALL per inference."""

    def __init__(self):
        self.calls = 0
        self.t0 = time.perf_counter()

    def workload(self):
        self.calls += 1
        time.sleep(0.0005)

    def microjoules(self):
        return IDLE_W * 1e6 * (time.perf_counter() - self.t0) + UJ_PER_CALL * self.calls


class ConstantPower(Meter):
    kind = "power"

    def __init__(self, watts, missing_calls=()):
        super().__init__("fake:constant")
        self.watts, self.calls, self.missing_calls = watts, 0, set(missing_calls)

    def read_watts(self):
        self.calls += 1
        return None if self.calls in self.missing_calls else self.watts


def test_idle_power_is_subtracted_from_a_counter_meter():
    board = Board()
    meter = CounterMeter("fake:counter", {"board": (board.microjoules, None)})
    result = measure(board.workload, meter, windows=3, seconds=0.15, interval_s=0.01)
    assert result["valid_windows"] == 3 and result["idle_subtracted"]
    assert result["energy_uj_per_inference"] == pytest.approx(UJ_PER_CALL, rel=0.02)
    assert result["idle_power_w"] == pytest.approx(IDLE_W, rel=0.02)
    assert sum(w["inferences"] for w in result["windows"]) == board.calls
    assert result["label"] == "measured" and not result["meets_mlperf_tiny_minimum"]


def test_power_meter_is_integrated_over_time_without_idle_baseline():
    calls = []
    result = measure(lambda: calls.append(time.sleep(0.001)), ConstantPower(4.0),
                     windows=2, seconds=0.1, idle=False, interval_s=0.01)
    window = result["windows"][0]
    assert window["active_j"] == pytest.approx(4.0 * window["active_s"], rel=1e-6)
    expected = 4.0 * window["active_s"] / window["inferences"] * 1e6
    assert window["energy_uj_per_inference"] == pytest.approx(expected, rel=1e-6)
    assert result["idle_power_w"] is None and "no idle baseline" in result["method"]


def test_constant_power_with_idle_baseline_costs_nothing_per_inference():
    result = measure(lambda: time.sleep(0.001), ConstantPower(3.0), windows=1, seconds=0.1, interval_s=0.01)
    assert result["energy_uj_per_inference"] == pytest.approx(0.0, abs=1e-6)


def test_an_integer_return_counts_as_a_batch():
    result = measure(lambda: (time.sleep(0.001), 8)[1], ConstantPower(1.0), windows=1, seconds=0.05,
                     idle=False, interval_s=0.01)
    assert result["windows"][0]["inferences"] % 8 == 0


def test_a_window_with_a_missing_reading_is_left_out_of_the_median():
    # reading 2 is inside the first window's idle period; later windows are whole
    result = measure(lambda: time.sleep(0.001), ConstantPower(5.0, missing_calls={2}),
                     windows=3, seconds=0.05, interval_s=0.01)
    assert [w["valid"] for w in result["windows"]] == [False, True, True]
    assert result["valid_windows"] == 2 and result["windows"][0]["missing_readings"] == 1
    assert result["energy_uj_per_inference"] == pytest.approx(0.0, abs=1e-6)


def test_every_window_missing_gives_no_figure_and_a_reason():
    meter = ConstantPower(5.0, missing_calls=range(1, 10_000))
    result = measure(lambda: None, meter, windows=2, seconds=0.02, interval_s=0.01)
    assert result["energy_uj_per_inference"] is None
    assert "missing in every window" in result["unavailable_reason"]


@pytest.mark.parametrize("kwargs", [{"windows": 0}, {"seconds": 0}, {"windows": True}, {"interval_s": -1}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ConfigError, match="Expected"):
        measure(lambda: None, ConstantPower(1.0), **kwargs)
