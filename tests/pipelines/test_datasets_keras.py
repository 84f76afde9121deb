"""keras.datasets sources: offline availability from the cache, and a clear error when not downloadable."""

import pytest

from edge_runtime.errors import DataError
from pipelines.datasets import DATASETS, load


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10"])
def test_uncached_keras_sets_are_unavailable_offline_and_name_the_alternatives(empty_keras_home, name):
    ok, reason = DATASETS[name].available_offline()
    assert not ok
    assert str(empty_keras_home / "datasets") in reason and "mnist-5k" in reason and "npz:PATH" in reason


def test_a_cached_file_makes_mnist_available_offline(empty_keras_home):
    (empty_keras_home / "datasets").mkdir()
    (empty_keras_home / "datasets" / "mnist.npz").write_bytes(b"cached")
    ok, reason = DATASETS["mnist"].available_offline()
    assert ok and "cached" in reason


@pytest.mark.slow
def test_loading_an_uncached_keras_set_without_network_says_so(empty_keras_home, monkeypatch):
    for var in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):  # unreachable, even with internet
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(DataError) as info:
        load("mnist")
    message = str(info.value)
    assert "not cached and could not be downloaded" in message and "mnist-5k" in message
    assert "\n" not in message
    assert not (empty_keras_home / "datasets" / "mnist.npz").exists()  # no half-written download left
