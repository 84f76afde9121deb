"""Latency statistics: percentiles, bootstrap CI on p50, and the reservoir for long runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edge_runtime import stats
from edge_runtime.stats import Recorder, bootstrap_median_ci, summarize_ns


def test_a_summary_of_1_to_100_us_matches_hand_computed_values():
    s = summarize_ns(np.arange(1, 101) * 1000)  # 1 .. 100 microseconds
    assert s["n"] == 100 and s["min"] == 1.0 and s["max"] == 100.0
    assert s["mean"] == 50.5
    assert s["p50"] == 50.5  # linear interpolation between the 50th and 51st values
    assert s["p90"] == pytest.approx(90.1) and s["p99"] == pytest.approx(99.01)
    assert s["std"] == pytest.approx(math.sqrt(sum((i - 50.5) ** 2 for i in range(1, 101)) / 99), abs=1e-3)
    lo, hi = s["p50_ci95"]
    assert lo <= 50.5 <= hi and hi - lo < 20


def test_the_bootstrap_interval_covers_the_true_median_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    covered = 0
    trials = 100
    for seed in range(trials):
        x = rng.exponential(10.0, size=201)  # true median 10 ln 2
        lo, hi = bootstrap_median_ci(x, resamples=400, seed=seed)
        covered += lo <= 10 * math.log(2) <= hi
    assert 0.85 <= covered / trials <= 1.0


def test_the_interval_narrows_as_runs_grow():
    rng = np.random.default_rng(3)
    small = bootstrap_median_ci(rng.lognormal(3, 0.3, 200))
    large = bootstrap_median_ci(rng.lognormal(3, 0.3, 5000))
    assert large[1] - large[0] < (small[1] - small[0]) / 2


def test_the_closed_form_for_long_runs_agrees_with_resampling(monkeypatch):
    x = np.random.default_rng(1).lognormal(10, 0.3, size=20_001)
    closed = bootstrap_median_ci(x)  # above EXACT_BOOTSTRAP_N: closed form
    monkeypatch.setattr(stats, "EXACT_BOOTSTRAP_N", 10**9)
    resampled = bootstrap_median_ci(x, resamples=2000)
    ranks = np.searchsorted(np.sort(x), [*closed, *resampled])
    assert abs(ranks[0] - ranks[2]) <= 15 and abs(ranks[1] - ranks[3]) <= 15  # of 20,001 ranks


def test_the_recorder_keeps_exact_count_mean_and_max_beyond_its_reservoir():
    x = np.random.default_rng(5).integers(0, 1_000_000, size=50_000)
    rec = Recorder(capacity=5_000)
    for block in np.array_split(x, 17):
        rec.add_many(block)
    s = rec.summary()
    assert s["n"] == 50_000 and rec.kept().size == 5_000
    assert s["mean"] == pytest.approx(x.mean() / 1e3, abs=5e-4)  # rounded to the nanosecond
    assert s["max"] == x.max() / 1e3 and s["min"] == x.min() / 1e3
    assert s["std"] == pytest.approx(x.std(ddof=1) / 1e3, abs=5e-4)
    assert s["p50"] == pytest.approx(np.median(x) / 1e3, rel=0.03)  # a uniform sample of the run
    assert s["p90"] == pytest.approx(np.percentile(x, 90) / 1e3, rel=0.03)


def test_the_reservoir_is_uniform_over_the_whole_run():
    rec = Recorder(capacity=2_000, seed=1)
    rec.add_many(np.zeros(10_000, np.int64))
    rec.add_many(np.ones(10_000, np.int64))  # the second half of the run
    assert rec.kept().mean() == pytest.approx(0.5, abs=0.05)


def test_an_empty_sample_is_refused():
    with pytest.raises(ValueError, match="no latency samples"):
        summarize_ns(np.array([], np.int64))
