"""The demo's dataset choice: auto prefers full MNIST and says when it falls back to MNIST-5k;
unknown, unreachable or unfitting datasets fail with one line naming the offline choices."""

import pytest

from edge_runtime.errors import DataError
from pipelines.datasets import load
from pipelines.demo_steps import check_fits_demo, choose_dataset


def _offline_load(uri):
    """The real loaders, except that full MNIST cannot be downloaded (as on this machine)."""
    if uri == "mnist":
        raise DataError("Expected mnist in ~/.keras/datasets or a reachable download. Received: not cached. "
                        "Offline alternatives: mnist-5k")
    return load(uri)


def test_auto_falls_back_to_mnist_5k_and_says_why():
    name, why, dataset = choose_dataset("auto", load=_offline_load)
    assert name == "mnist-5k" and dataset.name == "mnist-5k"
    assert "full MNIST unavailable" in why and "not cached" in why
    assert "Offline alternatives" not in why  # said once, by the demo, not twice


def test_auto_uses_full_mnist_when_it_loads():
    sentinel = object()
    name, why, dataset = choose_dataset("auto", load=lambda uri: sentinel if uri == "mnist" else None)
    assert (name, dataset) == ("mnist", sentinel)
    assert "MNIST" in why


@pytest.mark.slow
def test_auto_on_this_offline_machine_picks_mnist_5k():
    name, why, dataset = choose_dataset("auto")
    assert name == "mnist-5k" and "unavailable" in why
    check_fits_demo(dataset)


def test_an_unknown_dataset_names_the_offline_choices():
    with pytest.raises(DataError, match="mnist-5k") as info:
        choose_dataset("mnist-50k")
    assert "mnist-50k" in str(info.value)


def test_a_dataset_of_another_shape_is_refused_before_training():
    name, _, digits = choose_dataset("digits")
    with pytest.raises(DataError, match=r"28x28x1 images in 10 classes.*input \[8, 8, 1\]"):
        check_fits_demo(digits)
