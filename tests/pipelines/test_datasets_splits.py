"""Splits are deterministic, stratified, disjoint and exhaustive; fractions are validated."""

import numpy as np
import pytest

from edge_runtime.errors import ConfigError
from pipelines.datasets.splits import allocate, split_indices


def test_allocate_matches_the_total_and_stays_proportional():
    share = allocate(np.array([500, 300, 200]), 100)
    assert share.tolist() == [50, 30, 20]
    share = allocate(np.array([3, 3, 3]), 4)  # remainder goes to the earliest tied groups
    assert share.sum() == 4 and share.max() - share.min() <= 1
    assert allocate(np.array([1, 0]), 5).tolist() == [1, 0]  # never more than a group holds


def test_split_sorted_labels_gives_every_class_to_every_split():
    y = np.repeat(np.arange(4), 50)  # sorted by class, like the MNIST-5k file
    train, val, test = split_indices(y, task="classification", seed=3, val_fraction=0.1, test_fraction=0.2)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(200))
    assert np.bincount(y[test]).tolist() == [10] * 4
    assert np.bincount(y[val]).tolist() == [5] * 4
    assert np.bincount(y[train]).tolist() == [35] * 4
    assert not np.all(np.diff(y[train]) >= 0), "each split is shuffled, not left sorted by class"


def test_same_seed_same_split_other_seed_other_split():
    y = np.repeat(np.arange(3), 30)
    a = split_indices(y, task="classification", seed=7)
    b = split_indices(y, task="classification", seed=7)
    c = split_indices(y, task="classification", seed=8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_regression_split_is_a_seeded_permutation():
    y = np.linspace(0, 1, 50).astype(np.float32)
    train, val, test = split_indices(y, task="regression", seed=0, val_fraction=0.2, test_fraction=0.2)
    assert (len(train), len(val), len(test)) == (30, 10, 10)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(50))


def test_zero_fractions_give_empty_splits():
    train, val, test = split_indices(np.arange(10) % 2, task="classification", val_fraction=0.0, test_fraction=0.0)
    assert len(train) == 10 and len(val) == 0 and len(test) == 0


@pytest.mark.parametrize(("val", "test"), [(-0.1, 0.2), (0.1, 1.0), (0.5, 0.5), ("0.1", 0.2)])
def test_bad_fractions_are_one_line_config_errors(val, test):
    with pytest.raises(ConfigError, match="Expected"):
        split_indices(np.arange(10), task="classification", val_fraction=val, test_fraction=test)
