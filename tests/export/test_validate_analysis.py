"""Validation checks and MAC counts, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.errors import ConfigError
from edge_runtime.metrics import cosine_similarity, predicted_class
from export.analysis import gzip_size, layer_table
from export.validate import compare, min_samples, thresholds_for


def test_agreement_error_and_cosine_match_hand_values():
    reference = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], np.float32)
    outputs = np.array([[0.8, 0.2], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]], np.float32)  # one flip, max error 0.2
    record = compare(reference, outputs, task="classification", thresholds=thresholds_for("int8"),
                     reference_name="keras:float")
    assert record["top1_agreement"] == 0.75
    assert record["max_abs_error"] == pytest.approx(0.2)
    dot = float(np.sum(reference * outputs))
    assert record["cosine_similarity"] == pytest.approx(dot / np.linalg.norm(reference) / np.linalg.norm(outputs))
    assert not record["passed"] and record["failures"] == ["top-1 agreement 0.7500 < 0.98"]


def test_every_failed_check_is_listed():
    reference = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    record = compare(reference, reference[::-1], task="classification", thresholds=thresholds_for("fp32"),
                     reference_name="keras:float")
    assert len(record["failures"]) == 3  # agreement, cosine and max abs error


def test_thresholds_are_per_precision_and_overridable():
    assert thresholds_for("fp32")["top1_agreement"] == 0.999
    assert thresholds_for("int8", {"int8": {"top1_agreement": 0.9}})["top1_agreement"] == 0.9
    with pytest.raises(ConfigError, match="Expected a threshold"):
        thresholds_for("int8", {"int8": {"speed": 1.0}})


def test_one_column_outputs_are_thresholded_at_one_half():
    assert predicted_class(np.array([[0.2], [0.7], [0.5]])).tolist() == [0, 1, 0]
    assert cosine_similarity(np.zeros(3), np.zeros(3)) == 1.0


def test_macs_per_layer_match_the_textbook_formulas():
    from models.backend import keras

    model = keras.Sequential([
        keras.layers.Input((8, 8, 3)),
        keras.layers.Conv2D(4, 3, padding="valid", name="conv"),          # 6*6 positions * 3*3*3 * 4
        keras.layers.DepthwiseConv2D(3, padding="same", name="dw"),        # 6*6 * 3*3 * 4
        keras.layers.Flatten(),
        keras.layers.Dense(5, name="fc"),                                  # 144 * 5
    ])
    rows = {row["name"]: row for row in layer_table(model)}
    assert rows["conv"]["macs"] == 36 * 27 * 4 and rows["conv"]["params"] == 27 * 4 + 4
    assert rows["dw"]["macs"] == 36 * 9 * 4
    assert rows["fc"]["macs"] == 144 * 5 and rows["fc"]["output_shape"] == [None, 5]


def test_gzip_size_shows_zeros():
    rng = np.random.default_rng(0)
    dense = rng.integers(-128, 127, 10_000, dtype=np.int8)
    sparse = dense.copy()
    sparse[rng.random(10_000) < 0.8] = 0
    assert gzip_size(sparse.tobytes()) < 0.5 * gzip_size(dense.tobytes())


@pytest.mark.parametrize("threshold", [0.9, 0.98, 0.99, 0.999])
def test_min_samples_is_where_a_perfect_score_shows_the_threshold_at_95_percent(threshold):
    binomtest = pytest.importorskip("scipy.stats").binomtest
    n = min_samples(threshold)

    def lower_bound(count):  # one-sided 95% Clopper-Pearson = the two-sided 90% exact interval's low end
        return binomtest(count, count).proportion_ci(confidence_level=0.90, method="exact").low

    assert lower_bound(n) >= threshold > lower_bound(n - 1)
    assert min_samples(1.0) is None


@pytest.mark.parametrize(("samples", "flips", "verdict"), [(60, 0, "inconclusive"), (60, 1, "inconclusive"),
                                                          (148, 0, "inconclusive"), (149, 0, "passed"),
                                                          (149, 2, "passed"), (149, 3, "failed")])
def test_a_passed_check_on_too_few_samples_is_inconclusive(samples, flips, verdict):
    reference = np.tile(np.array([[0.9, 0.1]], np.float32), (samples, 1))
    outputs = reference.copy()
    outputs[:flips] = [0.1, 0.9]
    record = compare(reference, outputs, task="classification", thresholds={"top1_agreement": 0.98},
                     reference_name="keras:float", sources={"validation": samples})
    assert record["verdict"] == verdict and record["samples"] == samples and record["min_samples"] == 149
    assert record["passed"] == (verdict != "failed")


def test_regression_has_no_agreement_so_its_count_is_not_judged():
    y = np.linspace(0, 1, 10, dtype=np.float32)[:, None]
    record = compare(y, y, task="regression", thresholds=thresholds_for("fp32"), reference_name="keras:float")
    assert record["verdict"] == "passed" and record["min_samples"] is None and record["top1_agreement"] is None
