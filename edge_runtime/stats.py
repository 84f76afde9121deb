"""Latency statistics: percentiles, mean and spread, and a bootstrap 95% confidence interval on p50.

Samples are integer nanoseconds (``time.perf_counter_ns``); summaries are microseconds. The
bootstrap resamples the measured latencies with replacement (Efron & Tibshirani 1993, percentile
interval). Beyond ``EXACT_BOOTSTRAP_N`` samples it uses the bootstrap distribution of the median
in closed form instead of resampling: the resampled median is the order statistic x_(j) with
P(median <= x_(j)) = P(Binomial(n, (j+1)/n) >= ceil(n/2)), taken here in its normal approximation,
which at that n differs from resampling by well under one rank.
"""

from __future__ import annotations

import math

import numpy as np

PERCENTILES = (50, 90, 95, 99)
BOOTSTRAP_RESAMPLES = 1000
EXACT_BOOTSTRAP_N = 20_000
#: samples kept per stage in long runs; beyond it a uniform reservoir sample is kept
RESERVOIR_SIZE = 1_000_000


def bootstrap_median_ci(samples: np.ndarray, confidence: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES,
                        seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap interval of the median of ``samples`` (same units as the samples)."""
    x = np.sort(np.asarray(samples, dtype=np.float64))
    n = x.size
    if n == 0:
        return (math.nan, math.nan)
    alpha = (1.0 - confidence) / 2.0
    if n > EXACT_BOOTSTRAP_N:
        return _median_ci_closed_form(x, alpha)
    rng = np.random.default_rng(seed)
    medians = np.empty(resamples)
    chunk = max(1, 250_000 // n)  # bounded memory (a few MB): chunk x n indices at a time
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        idx = rng.integers(0, n, size=(stop - start, n))
        medians[start:stop] = np.median(x[idx], axis=1)
    lo, hi = np.quantile(medians, [alpha, 1.0 - alpha])
    return (float(lo), float(hi))


def _median_ci_closed_form(sorted_x: np.ndarray, alpha: float) -> tuple[float, float]:
    n = sorted_x.size
    need = math.ceil(n / 2)
    j = np.arange(n)
    p = (j + 1) / n
    # P(Binomial(n, p) >= need), normal approximation with continuity correction
    z = (need - 0.5 - n * p) / np.sqrt(np.maximum(n * p * (1 - p), 1e-12))
    cdf = 0.5 * np.vectorize(math.erfc)(z / math.sqrt(2))
    lo = int(np.searchsorted(cdf, alpha))
    hi = int(np.searchsorted(cdf, 1.0 - alpha))
    return (float(sorted_x[min(lo, n - 1)]), float(sorted_x[min(hi, n - 1)]))


def summarize_ns(samples_ns: np.ndarray, *, total: int | None = None, mean_ns: float | None = None,
                 std_ns: float | None = None, max_ns: int | None = None, min_ns: int | None = None) -> dict:
    """STATS in microseconds: n, mean, std, min, p50, p90, p95, p99, max, p50_ci95.

    ``samples_ns`` may be a reservoir sample of a longer run: then ``total`` is the true count and
    the exact streaming mean/std/min/max override the sample's.
    """
    x = np.asarray(samples_ns, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no latency samples to summarize")
    pct = np.percentile(x, PERCENTILES)
    lo, hi = bootstrap_median_ci(x)
    us = 1e-3
    return {
        "n": int(total if total is not None else x.size),
        "mean": round(float(mean_ns if mean_ns is not None else x.mean()) * us, 3),
        "std": round(float(std_ns if std_ns is not None else x.std(ddof=1) if x.size > 1 else 0.0) * us, 3),
        "min": round(float(min_ns if min_ns is not None else x.min()) * us, 3),
        **{f"p{q}": round(float(v) * us, 3) for q, v in zip(PERCENTILES, pct, strict=True)},
        "max": round(float(max_ns if max_ns is not None else x.max()) * us, 3),
        "p50_ci95": [round(lo * us, 3), round(hi * us, 3)],
    }


class Recorder:
    """Latency samples of one stage: all of them up to ``capacity``, then a uniform reservoir.

    Exact count, sum, sum of squares, min and max are kept for every sample, so mean, std and
    max stay exact when the percentiles come from the reservoir (Vitter's algorithm R).
    """

    def __init__(self, capacity: int = RESERVOIR_SIZE, seed: int = 0):
        self.samples = np.empty(capacity, dtype=np.int64)
        self.count = 0
        self._sum = 0
        self._sumsq = 0.0
        self._min: int | None = None
        self._max: int | None = None
        self._rng = np.random.default_rng(seed)

    def add_many(self, block_ns: np.ndarray) -> None:
        """Record a block of samples (vectorized: the timing loop fills blocks, this stores them)."""
        block = np.asarray(block_ns, dtype=np.int64)
        if block.size == 0:
            return
        capacity = self.samples.size
        room = max(0, min(block.size, capacity - self.count))
        self.samples[self.count : self.count + room] = block[:room]
        rest = block[room:]
        if rest.size:
            seen = self.count + room + np.arange(rest.size)  # index of each sample in the whole run
            slots = self._rng.integers(0, seen + 1)
            keep = slots < capacity
            self.samples[slots[keep]] = rest[keep]
        self.count += block.size
        self._sum += int(block.sum())
        self._sumsq += float(np.dot(block.astype(np.float64), block.astype(np.float64)))
        low, high = int(block.min()), int(block.max())
        self._min = low if self._min is None else min(self._min, low)
        self._max = high if self._max is None else max(self._max, high)

    def kept(self) -> np.ndarray:
        return self.samples[: min(self.count, self.samples.size)]

    def summary(self) -> dict:
        n = self.count
        mean = self._sum / n
        var = max(self._sumsq - n * mean * mean, 0.0) / (n - 1) if n > 1 else 0.0
        return summarize_ns(self.kept(), total=n, mean_ns=mean, std_ns=math.sqrt(var),
                            max_ns=self._max, min_ns=self._min)
