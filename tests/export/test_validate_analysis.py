"""Validation checks and MAC counts, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.errors import ConfigError
from export.analysis import gzip_size, layer_table
from export.validate import compare, cosine_similarity, predicted_class, thresholds_for


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
