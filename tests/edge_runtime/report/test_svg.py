"""Chart building blocks: readable ticks, scales and the charts' empty cases."""

import pytest

from edge_runtime.report.charts import latency_chart, timeline_chart, tradeoff_chart
from edge_runtime.report.svg import Scale, el, nice_step, number, should_log


def test_ticks_use_1_2_5_steps():
    assert nice_step(100, 5) == 20 and nice_step(7, 5) == 2 and nice_step(0.3, 5) == 0.1
    assert Scale(0, 100, 0, 500).ticks() == [0, 20, 40, 60, 80, 100]
    assert Scale(3, 17, 0, 1).ticks() == [5, 10, 15]  # 14 / 5 = 2.8 rounds up to a step of 5


def test_log_scale_maps_decades_evenly_and_ticks_them():
    scale = Scale(10, 1000, 0, 200, log=True)
    assert scale(10) == 0 and scale(100) == pytest.approx(100) and scale(1000) == pytest.approx(200)
    assert scale.ticks() == [10, 20, 50, 100, 200, 500, 1000]


def test_a_single_value_still_gets_a_range():
    scale = Scale.padded([5.0], 0, 100)
    assert scale.lo < 5.0 < scale.hi


def test_log_is_chosen_when_one_variant_is_much_slower():
    assert should_log([10, 250]) and not should_log([10, 150]) and not should_log([0, 500])


def test_labels_and_elements_are_compact_and_escaped():
    assert number(1200) == "1.2k" and number(25_000_000) == "25M" and number(0.5) == "0.5"
    assert el("text", "a<b", x=1, text_anchor="end") == '<text x="1" text-anchor="end">a&lt;b</text>'


def test_charts_without_data_are_none():
    assert latency_chart([], "t") is None
    assert timeline_chart([{"t_s": 1.0, "end_to_end_p50_us": 5.0}], "t") is None
    assert tradeoff_chart([{"score": None}], "t") is None
