"""Training features come from the device's own preprocessing code, computed once, fed by tf.data."""

import numpy as np
import pytest

from edge_runtime.preprocess import Pipeline
from pipelines.datasets import load
from pipelines.features import (
    cached_features,
    compute_features,
    eval_dataset,
    per_batch_dataset,
    stream_folder,
    train_dataset,
)

HYBRID = [{"op": "deskew"}, {"op": "scale"}, {"op": "hog", "variant": "interpolated", "cell": 7, "block": 2,
                                                "orientations": 9}]


@pytest.fixture(scope="module")
def mnist():
    return load("mnist-5k")


def _batches(dataset):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in dataset], strict=True)
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize("spec", [HYBRID, [{"op": "scale"}, {"op": "standardize"}]], ids=["hybrid", "standardize"])
def test_device_features_equal_training_features_for_the_same_raw_images(mnist, spec, tmp_path):
    raw = mnist.x_test[:64]
    training = Pipeline.from_spec(spec).fit(mnist.x_train[:500])
    features, _ = cached_features(training, raw)
    fed, labels = _batches(eval_dataset(features, mnist.y_test[:64], batch_size=16))  # what Keras receives
    # the device reads the pipeline back from its JSON spec (+ .npy state) and sees one frame at a time
    device = Pipeline.from_spec(training.to_spec(tmp_path), base_dir=tmp_path)
    per_frame = np.concatenate([device.transform(raw[i:i + 1]) for i in range(len(raw))])
    np.testing.assert_array_equal(fed, per_frame.astype(np.float32))
    np.testing.assert_array_equal(labels, mnist.y_test[:64])


def test_hybrid_features_are_the_324_hog_values(mnist):
    assert compute_features(Pipeline.from_spec(HYBRID), mnist.x_test[:3]).shape == (3, 324)


def test_chunked_computation_equals_one_call(mnist):
    pipeline = Pipeline.from_spec(HYBRID)
    np.testing.assert_array_equal(compute_features(pipeline, mnist.x_val[:50], chunk=7),
                                  pipeline.transform(mnist.x_val[:50]))


def test_every_epoch_is_a_permutation_and_depends_only_on_seed_and_epoch():
    features = np.arange(10, dtype=np.float32)[:, None]
    labels = np.arange(10)
    full = _batches(train_dataset(features, labels, batch_size=4, seed=3, first_epoch=0, epochs=3))[1]
    epochs = full.reshape(3, 10)
    for order in epochs:
        assert sorted(order) == list(range(10))
    assert not np.array_equal(epochs[0], epochs[1])
    resumed = _batches(train_dataset(features, labels, batch_size=4, seed=3, first_epoch=2, epochs=3))[1]
    np.testing.assert_array_equal(resumed, epochs[2])  # a run resumed at epoch 2 sees the same batches
    other_seed = _batches(train_dataset(features, labels, batch_size=4, seed=4, first_epoch=0, epochs=1))[1]
    assert not np.array_equal(other_seed, epochs[0])


def test_batches_never_straddle_epochs():
    features = np.zeros((10, 1), np.float32)
    sizes = [len(y) for _, y in train_dataset(features, np.arange(10), batch_size=4, seed=0, first_epoch=0, epochs=2)]
    assert sizes == [4, 4, 2, 4, 4, 2]


def test_the_disk_cache_is_hit_and_keyed_by_spec_and_data(mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("EDGENN_CACHE_DIR", str(tmp_path))
    pipeline = Pipeline.from_spec(HYBRID)
    first, hit1 = cached_features(pipeline, mnist.x_val[:20])
    second, hit2 = cached_features(pipeline, mnist.x_val[:20])
    assert (hit1, hit2) == (False, True)
    np.testing.assert_array_equal(first, second)
    _, hit3 = cached_features(Pipeline.from_spec([*HYBRID[:2], {**HYBRID[2], "orientations": 8}]), mnist.x_val[:20])
    _, hit4 = cached_features(pipeline, mnist.x_val[1:21])
    assert (hit3, hit4) == (False, False)
    for entry in tmp_path.glob("*.npy"):
        entry.write_bytes(b"damaged")
    again, hit5 = cached_features(pipeline, mnist.x_val[:20])
    assert not hit5
    np.testing.assert_array_equal(again, first)


def test_the_uncached_path_computes_the_same_features_per_batch(mnist):
    pipeline = Pipeline.from_spec(HYBRID)
    x, y = mnist.x_val[:40], mnist.y_val[:40]
    fed_x, fed_y = _batches(per_batch_dataset(pipeline, x, y, batch_size=16, seed=0))
    order = np.argsort([np.flatnonzero((compute_features(pipeline, x) == row).all(1))[0] for row in fed_x])
    np.testing.assert_array_equal(fed_x[order], compute_features(pipeline, x))
    np.testing.assert_array_equal(fed_y[order], y)


def _write_folder(root, n_per_class=6):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("circle", "square"):
        (root / name).mkdir(parents=True)
        for i in range(n_per_class):
            Image.fromarray(rng.integers(0, 256, size=(20, 24), dtype=np.uint8)).save(root / name / f"{i}.png")


@pytest.mark.parametrize("cache", [None, "", "file"])
def test_folder_images_stream_from_disk_to_the_same_features(tmp_path, cache):
    from pipelines.datasets.folder import decode_image, index_folder, scan_folder

    _write_folder(tmp_path / "data")
    paths, labels, _ = index_folder(tmp_path / "data")
    spec = scan_folder(tmp_path / "data").input_spec
    pipeline = Pipeline.from_spec([{"op": "scale"}, {"op": "flatten"}])
    cache_arg = str(tmp_path / "cache") if cache == "file" else cache
    dataset = stream_folder(paths, labels, spec, pipeline, batch_size=5, cache=cache_arg)
    for _ in range(2):  # the second pass reads the cache when there is one
        fed, fed_labels = _batches(dataset)
        expected = compute_features(pipeline, np.stack([decode_image(p, spec) for p in paths]))
        np.testing.assert_array_equal(fed, expected)
        np.testing.assert_array_equal(fed_labels, labels)
