"""The datasets that ship with the packages: MNIST-5k, digits, diabetes and the truth tables."""

import csv
import gzip
import hashlib

import numpy as np
import pytest

from edge_runtime.errors import ConfigError
from pipelines.datasets import DATASETS, load
from pipelines.datasets.mnist5k import data_file, read_mnist5k


def _row_hashes(x):
    return {hashlib.sha256(row.tobytes()).hexdigest() for row in x}


def test_mnist5k_file_is_sorted_by_class_so_a_tail_split_would_be_one_class():
    _, y = read_mnist5k(data_file())
    assert np.bincount(y).tolist() == [500] * 10
    assert np.all(np.diff(y) >= 0)
    assert set(y[-500:].tolist()) == {9}  # what a naive 10% tail validation split would hold


def test_mnist5k_every_split_holds_all_ten_classes_in_equal_shares():
    ds = load("mnist-5k")
    for name, expected in (("train", 350), ("val", 50), ("test", 100)):
        _, y = ds.split(name)
        counts = np.bincount(y, minlength=10)
        assert counts.min() >= 0.9 * expected and counts.max() <= 1.1 * expected, (name, counts)


def test_mnist5k_pixels_match_an_independent_csv_parse():
    ds = load("mnist-5k", val_fraction=0.0, test_fraction=0.0)
    with gzip.open(data_file(), "rt") as f:
        rows = [list(map(int, r)) for r in csv.reader(f)]
    reference = np.array([r[:784] for r in rows], dtype=np.uint8).reshape(-1, 28, 28, 1)
    assert ds.x_train.shape == (5000, 28, 28, 1) and ds.x_train.dtype == np.uint8
    assert _row_hashes(ds.x_train) == _row_hashes(reference)
    by_image = {hashlib.sha256(x.tobytes()).hexdigest(): y for x, y in zip(ds.x_train, ds.y_train, strict=True)}
    ref_labels = {hashlib.sha256(x.tobytes()).hexdigest(): r[784] for x, r in zip(reference, rows, strict=True)}
    assert by_image == ref_labels


def test_mnist5k_splits_are_disjoint_and_cover_the_file():
    ds = load("mnist-5k", seed=1)
    parts = [_row_hashes(ds.split(s)[0]) for s in ("train", "val", "test")]
    assert len(parts[0] | parts[1] | parts[2]) == sum(map(len, parts))
    assert sum(map(len, parts)) == len(_row_hashes(read_mnist5k(data_file())[0]))


def test_same_seed_gives_the_same_split_and_another_seed_does_not():
    a, b, c = load("mnist-5k", seed=5), load("mnist-5k", seed=5), load("mnist-5k", seed=6)
    assert np.array_equal(a.x_val, b.x_val) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_val, c.x_val)
    assert a.input_spec == {"kind": "image", "shape": [28, 28, 1], "dtype": "uint8", "color": "L",
                            "resize": "bilinear"}
    assert not a.official_test


def test_digits_are_uint8_images_scaled_from_sklearn():
    from sklearn.datasets import load_digits

    ds = load("digits", val_fraction=0.0, test_fraction=0.0)
    ref = load_digits()
    assert ds.x_train.shape == (1797, 8, 8, 1) and ds.x_train.dtype == np.uint8
    assert ds.x_train.max() == 255
    # the scaled image of each sample maps back to sklearn's 0-16 pixels
    back = {hashlib.sha256(np.rint(x[..., 0].astype(np.float64) * 16 / 255).astype(np.int64).tobytes()).hexdigest(): int(y)
            for x, y in zip(ds.x_train, ds.y_train, strict=True)}
    ref_map = {hashlib.sha256(img.astype(np.int64).tobytes()).hexdigest(): int(t)
               for img, t in zip(ref.images, ref.target, strict=True)}
    assert back == ref_map


def test_diabetes_is_a_float32_regression_with_named_features():
    ds = load("diabetes")
    assert ds.task == "regression" and ds.class_names == []
    assert ds.input_spec["kind"] == "features" and ds.input_spec["shape"] == [10]
    assert "bmi" in ds.input_spec["feature_names"]
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.float32
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 442


@pytest.mark.parametrize(("name", "outputs"), [("xor", [0, 1, 1, 0]), ("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1])])
def test_truth_tables_use_all_four_rows_in_every_split(name, outputs):
    ds = load(name)
    for split in ("train", "val", "test"):
        x, y = ds.split(split)
        assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
        assert y.tolist() == outputs
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64


def test_summary_is_one_line_naming_the_sizes():
    line = load("xor").summary()
    assert "\n" not in line and "train 4 / val 4 / test 4" in line


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as info:
        load("mnist5k")
    message = str(info.value)
    assert "\n" not in message and "mnist5k" in message
    assert all(entry.usage in message for entry in DATASETS.values())


@pytest.mark.parametrize("uri", ["", "xor:extra"])
def test_malformed_names_are_config_errors(uri):
    with pytest.raises(ConfigError, match="Expected"):
        load(uri)


def test_on_error_and_seed_are_validated():
    with pytest.raises(ConfigError, match="on_error"):
        load("xor", on_error="ignore")
    with pytest.raises(ConfigError, match="seed"):
        load("xor", seed=-1)
