"""Local-file datasets: npz:PATH, idx:DIR and csv:FILE, with their official splits and bad input."""


import numpy as np
import pytest

from edge_runtime.errors import ConfigError, DataError
from pipelines.datasets import load
from pipelines.datasets.idx import read_idx
from tests.pipelines.idxfiles import write_idx


def _digits(n, seed, shape=(28, 28)):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, *shape), dtype=np.uint8), np.tile(np.arange(10, dtype=np.uint8), n // 10)


def write_mnist_idx(directory, splits=("train", "t10k"), compress=False, n=(100, 20)):
    arrays = {}
    for prefix, count in zip(("train", "t10k"), n, strict=True):
        if prefix not in splits:
            continue
        x, y = _digits(count, seed=count)
        write_idx(directory / f"{prefix}-images-idx3-ubyte", x, compress)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", y, compress)
        arrays[prefix] = (x, y)
    return arrays


# --- npz: -----------------------------------------------------------------------------------

def test_npz_keeps_its_official_test_split(tmp_path):
    (x_train, y_train), (x_test, y_test) = _digits(100, 1), _digits(30, 2)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    ds = load(f"npz:{path}", val_fraction=0.2)
    assert ds.official_test and np.array_equal(ds.x_test[..., 0], x_test) and np.array_equal(ds.y_test, y_test)
    assert ds.x_train.shape == (80, 28, 28, 1) and ds.x_val.shape == (20, 28, 28, 1)
    assert np.bincount(ds.y_val).tolist() == [2] * 10
    assert ds.class_names == [str(d) for d in range(10)]


def test_npz_with_only_a_train_part_is_split_three_ways(tmp_path):
    x, y = _digits(100, 1, shape=(8, 8, 3))
    path = tmp_path / "rgb.npz"
    np.savez(path, x_train=x, y_train=y)
    ds = load(f"npz:{path}")
    assert not ds.official_test and ds.input_spec["color"] == "RGB"
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (70, 10, 20)


@pytest.mark.parametrize(("arrays", "message"), [
    ({"x_train": np.zeros((4, 28, 28), np.uint8)}, "both x_train and y_train"),
    ({"images": np.zeros((4, 28, 28), np.uint8)}, "x_train, y_train"),
    ({"x_train": np.zeros((4, 28, 28), np.uint8), "y_train": np.zeros(3, np.uint8)}, "as many labels"),
    ({"x_train": np.zeros((4, 28, 28), np.float32), "y_train": np.zeros(4, np.uint8)}, "uint8"),
])
def test_bad_npz_contents_are_data_errors(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load(f"npz:{path}")


def test_missing_and_corrupt_npz_files_are_named(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load(f"npz:{tmp_path / 'nope.npz'}")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="junk.npz"):
        load(f"npz:{tmp_path / 'junk.npz'}")


def test_scheme_without_argument_says_the_form():
    with pytest.raises(ConfigError, match="npz:PATH"):
        load("npz")


# --- idx: -----------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True])
def test_idx_reads_both_splits_and_keeps_t10k_as_the_test_set(tmp_path, compress):
    arrays = write_mnist_idx(tmp_path, compress=compress)
    ds = load(f"idx:{tmp_path}", val_fraction=0.1)
    assert ds.official_test
    assert np.array_equal(ds.x_test[..., 0], arrays["t10k"][0]) and np.array_equal(ds.y_test, arrays["t10k"][1])
    assert len(ds.y_train) + len(ds.y_val) == 100 and np.bincount(ds.y_val).tolist() == [1] * 10


@pytest.mark.parametrize("present", ["train", "t10k"])
def test_idx_with_one_split_absent_splits_the_other(tmp_path, present):
    arrays = write_mnist_idx(tmp_path, splits=(present,))
    ds = load(f"idx:{tmp_path}")
    assert not ds.official_test
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == len(arrays[present][1])


def test_idx_corrupt_header_names_the_file_and_the_expected_header(tmp_path):
    write_mnist_idx(tmp_path)
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x0d\x03" + bad.read_bytes()[4:])  # type byte says float32
    with pytest.raises(DataError, match=r"00 00 08 03.*train-images-idx3-ubyte.*00 00 0d 03"):
        load(f"idx:{tmp_path}")


def test_idx_truncated_data_is_reported(tmp_path):
    write_mnist_idx(tmp_path)
    bad = tmp_path / "t10k-labels-idx1-ubyte"
    bad.write_bytes(bad.read_bytes()[:-3])
    with pytest.raises(DataError, match="Expected 20 data bytes"):
        load(f"idx:{tmp_path}")


def test_read_idx_matches_the_written_array(tmp_path):
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a-idx3-ubyte", x, compress=True), 3), x)


def test_idx_missing_directory_or_files_or_half_a_split(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        load(f"idx:{tmp_path / 'nope'}")
    with pytest.raises(DataError, match="train-images-idx3-ubyte"):
        load(f"idx:{tmp_path}")
    write_mnist_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="labels file"):
        load(f"idx:{tmp_path}")


# --- csv: -----------------------------------------------------------------------------------

def write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


def test_csv_with_string_labels_is_classification_with_sorted_class_names(tmp_path):
    rows = [[i, i * 0.5, ["setosa", "virginica", "versicolor"][i % 3]] for i in range(30)]
    path = write_csv(tmp_path / "flowers.csv", ["a", "b", "species"], rows)
    ds = load(f"csv:{path}?label=species")
    assert ds.task == "classification" and ds.class_names == ["setosa", "versicolor", "virginica"]
    assert ds.input_spec == {"kind": "features", "shape": [2], "dtype": "float32", "feature_names": ["a", "b"]}
    x = np.concatenate([ds.x_train, ds.x_val, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_val, ds.y_test])
    for features, label in zip(x, y, strict=True):  # each row keeps its own label
        i = int(features[0])
        assert features[1] == pytest.approx(i * 0.5) and ds.class_names[label] == rows[i][2]


def test_csv_float_labels_are_regression_and_task_can_be_forced(tmp_path):
    rows = [[i, i / 7] for i in range(40)]
    path = write_csv(tmp_path / "t.csv", ["x", "target"], rows)
    ds = load(f"csv:{path}?label=target")
    assert ds.task == "regression" and ds.y_train.dtype == np.float32 and ds.class_names == []
    rows = [[i, i % 3] for i in range(30)]
    path = write_csv(tmp_path / "int.csv", ["x", "label"], rows)
    assert load(f"csv:{path}").class_names == ["0", "1", "2"]  # label column defaults to "label"
    assert load(f"csv:{path}?task=regression").task == "regression"


def test_csv_without_the_label_column_lists_the_columns(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["x", "y"], [[1, 2], [3, 4]])
    with pytest.raises(DataError, match=r"label column 'species'.*\['x', 'y'\]"):
        load(f"csv:{path}?label=species")


@pytest.mark.parametrize(("text", "message"), [
    ("x,label\n", "header row and data rows"),
    ("x,label\n1,a\n2\n", "2 columns on every row"),
    ("x,label\n1,a\nfoo,b\n", "number in column 'x'"),
    ("x,label\n1,a\n2,a\n", "at least 2 classes"),
])
def test_bad_csv_contents_are_one_line_data_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as info:
        load(f"csv:{path}")
    assert "\n" not in str(info.value)


def test_csv_bad_options_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="Expected csv:FILE"):
        load(f"csv:{tmp_path / 'x.csv'}?colour=red")
    with pytest.raises(ConfigError, match="task"):
        load(f"csv:{tmp_path / 'x.csv'}?task=ranking")
    with pytest.raises(DataError, match="does not exist"):
        load(f"csv:{tmp_path / 'x.csv'}")
