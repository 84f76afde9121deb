"""The one metrics module against scikit-learn (the independent reference) and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from edge_runtime.errors import DataError
from edge_runtime.metrics import (
    accuracy,
    agreement,
    classification_metrics,
    confusion_matrix,
    cosine_similarity,
    max_abs_error,
    predicted_class,
    regression_metrics,
)
from tests.edge_runtime.oracles import oracle

RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def skm():
    """scikit-learn's metrics, the independent reference (the train extra: absent on an edge-only install)."""
    return oracle("sklearn.metrics")


def test_classification_matches_scikit_learn(skm):
    y = RNG.integers(0, 4, 300)
    outputs = RNG.random((300, 4)).astype(np.float32)
    pred = outputs.argmax(1)
    m = classification_metrics(y, outputs, ["a", "b", "c", "d"])
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    np.testing.assert_array_equal(m["confusion_matrix"], skm.confusion_matrix(y, pred, labels=range(4)))
    precision, recall, _, support = skm.precision_recall_fscore_support(y, pred, labels=range(4), zero_division=0)
    assert [m["per_class"][c]["precision"] for c in "abcd"] == pytest.approx(precision)
    assert [m["per_class"][c]["recall"] for c in "abcd"] == pytest.approx(recall)
    assert [m["per_class"][c]["support"] for c in "abcd"] == support.tolist()
    assert m["macro_recall"] == pytest.approx(skm.recall_score(y, pred, average="macro", zero_division=0))


def test_a_class_never_predicted_has_zero_precision_as_in_scikit_learn(skm):
    y, pred = np.array([0, 1, 2, 2]), np.array([0, 0, 0, 2])
    m = classification_metrics(y, np.eye(3)[pred], ["a", "b", "c"])
    assert m["per_class"]["b"] == {"precision": 0.0, "recall": 0.0, "support": 1}
    assert m["macro_precision"] == pytest.approx(skm.precision_score(y, pred, average="macro", zero_division=0))


def test_one_output_column_is_a_binary_classifier_thresholded_at_one_half(skm):
    probabilities = np.array([[0.2], [0.7], [0.5], [0.9]])
    assert predicted_class(probabilities).tolist() == [0, 1, 0, 1]
    y = np.array([0, 1, 1, 1])
    assert accuracy(y, probabilities) == skm.accuracy_score(y, [0, 1, 0, 1])
    assert classification_metrics(y, probabilities, ["no", "yes"])["confusion_matrix"] == [[1, 0], [1, 2]]


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_matches_scikit_learn_uniform_average(outputs, skm):
    y = RNG.normal(size=(200, outputs)) * [5.0, 1.0, 0.1][:outputs]
    pred = y + RNG.normal(size=y.shape) * 0.3
    m = regression_metrics(y, pred)
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert m["rmse"] == pytest.approx(skm.root_mean_squared_error(y, pred))
    assert m["r2"] == pytest.approx(skm.r2_score(y, pred))
    assert m["n"] == 200


def test_images_and_columns_flatten_to_one_row_per_sample(skm):
    y = RNG.normal(size=(50, 2, 3))
    pred = y + 0.1
    assert regression_metrics(y, pred)["r2"] == pytest.approx(skm.r2_score(y.reshape(50, 6), pred.reshape(50, 6)))
    assert regression_metrics(y[:, 0, 0], pred[:, 0, 0][:, None])["mae"] == pytest.approx(0.1)
    with pytest.raises(DataError, match="targets' shape"):
        regression_metrics(y, pred[:, :1])


@pytest.mark.filterwarnings("ignore:(divide by zero|invalid value):RuntimeWarning")
@pytest.mark.parametrize("pred", [[3.0, 3.0, 3.0], [3.0, 2.0, 4.0]])
def test_r2_is_undefined_without_target_variance_where_scikit_learn_is_not_finite(pred, skm):
    y = np.array([3.0, 3.0, 3.0])
    assert not np.isfinite(skm.r2_score(y, pred, force_finite=False))
    assert regression_metrics(y, np.array(pred))["r2"] is None
    two = np.stack([RNG.normal(size=3), y], axis=1)  # one constant output of two: the mean is undefined too
    assert not np.isfinite(skm.r2_score(two, two + 1, force_finite=False))
    assert regression_metrics(two, two + 1)["r2"] is None


def test_two_models_compare_by_agreement_error_and_cosine(skm):
    reference = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    outputs = np.array([[0.8, 0.2], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])  # one flip, max error 0.2
    assert agreement(reference, outputs) == 0.75
    assert max_abs_error(reference, outputs) == pytest.approx(0.2)
    cosine = 1 - skm.pairwise.cosine_distances(reference.reshape(1, -1), outputs.reshape(1, -1))[0, 0]
    assert cosine_similarity(reference, outputs) == pytest.approx(cosine)
    assert cosine_similarity(np.zeros(3), np.zeros(3)) == 1.0 and cosine_similarity(np.zeros(3), np.ones(3)) == 0.0


def test_confusion_counts_by_hand():
    m = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 3)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_regression_by_hand():
    m = regression_metrics(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    assert m["mae"] == pytest.approx(2 / 3) and m["rmse"] == pytest.approx(np.sqrt(4 / 3))
    assert m["r2"] == pytest.approx(1 - 4 / 2)
