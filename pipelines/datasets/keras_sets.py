"""mnist, fashion_mnist and cifar10 through ``keras.datasets`` (download once, then cached), and
``npz:PATH`` for a local file in keras' ``mnist.npz`` layout (x_train, y_train, x_test, y_test).

The keras cache is ``$KERAS_HOME`` or ``~/.keras``, under ``datasets/``. When a file is neither
cached nor downloadable the DataError says so and names the offline alternatives. TensorFlow is
imported only inside the keras loader (``models.backend``); ``npz:`` needs numpy alone.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge_runtime.errors import DataError

from .record import as_class_labels, as_images
from .registry import LoadOptions, always, module_available, register
from .splits import split_parts

OFFLINE_ALTERNATIVES = "mnist-5k (in the train extra), npz:PATH (keras mnist.npz layout), idx:DIR (MNIST IDX files)"


@dataclass(frozen=True)
class KerasSet:
    """What one keras.datasets module downloads and how to read its classes."""

    module: str
    cached: tuple[str, ...]  # files (relative to <cache>/datasets) that exist once downloaded
    download: str
    class_names: tuple[str, ...]
    description: str


KERAS_SETS = {
    "mnist": KerasSet("mnist", ("mnist.npz",), "11 MB", tuple(str(d) for d in range(10)),
                      "MNIST handwritten digits, 60k train + official 10k test (28x28 gray), via keras.datasets"),
    "fashion_mnist": KerasSet(
        "fashion_mnist",
        tuple(f"fashion-mnist/{f}-{k}.gz" for f in ("train", "t10k") for k in ("labels-idx1-ubyte", "images-idx3-ubyte")),
        "30 MB",
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "Fashion-MNIST clothing, 60k train + official 10k test (28x28 gray), via keras.datasets"),
    "cifar10": KerasSet(
        "cifar10", tuple(f"cifar-10-batches-py/{b}" for b in ("data_batch_5", "test_batch")), "170 MB",
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        "CIFAR-10 photos, 50k train + official 10k test (32x32 RGB), via keras.datasets"),
}


def keras_cache() -> Path:
    """The keras download cache: ``$KERAS_HOME`` or ``~/.keras``."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def is_cached(entry: KerasSet) -> bool:
    root = keras_cache() / "datasets"
    return all((root / f).exists() for f in entry.cached)


def _availability(entry: KerasSet):
    def available() -> tuple[bool, str]:
        where = keras_cache() / "datasets"
        if not is_cached(entry):
            return False, f"not cached in {where} (downloads {entry.download}; offline: mnist-5k, npz:PATH, idx:DIR)"
        has_keras, why = module_available("tf_keras", "train", "tf_keras")
        return (True, f"cached in {where}") if has_keras else (False, f"cached in {where}, but {why}")

    return available


def _loader(name: str, entry: KerasSet):
    def load_keras(_argument: str | None, options: LoadOptions):
        from models.backend import keras  # TensorFlow loads here, and only here

        module = getattr(keras.datasets, entry.module)
        cached = is_cached(entry)
        try:
            (x_train, y_train), (x_test, y_test) = module.load_data(cache_dir=str(keras_cache()))
        except Exception as exc:  # keras raises a bare Exception for URL failures
            state = "is cached but could not be read" if cached else "is not cached and could not be downloaded"
            raise DataError(f"Expected {name} in {keras_cache() / 'datasets'} or a reachable download. "
                            f"Received: {name} {state} ({str(exc).splitlines()[0][:160]}). "
                            f"Offline alternatives: {OFFLINE_ALTERNATIVES}") from exc
        parts = {"train": (as_images(x_train, name), as_class_labels(y_train, name)),
                 "test": (as_images(x_test, name), as_class_labels(y_test, name))}
        return split_parts(parts, options=options, where=name, name=name, class_names=list(entry.class_names),
                           source=f"keras.datasets.{entry.module} (cache {keras_cache() / 'datasets'})")

    return load_keras


for _name, _entry in KERAS_SETS.items():
    register(_name, task="classification", description=_entry.description,
             available=_availability(_entry))(_loader(_name, _entry))


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a keras-layout .npz (no pickles); DataError when missing or corrupt."""
    if not path.is_file():
        raise DataError(f"Expected an .npz file (keras mnist.npz layout). Received: npz:{path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"Expected a readable .npz file. Received: {path} ({exc})") from exc


@register("npz", task="classification", argument="PATH", available=always("reads a local file"),
          description="a local .npz in keras' mnist.npz layout (x_train, y_train, x_test, y_test); keeps its test split")
def load_npz(argument: str | None, options: LoadOptions):
    path = Path(argument or "")
    arrays = read_npz(path)
    parts = {}
    for split in ("train", "test"):
        x, y = arrays.get(f"x_{split}"), arrays.get(f"y_{split}")
        if (x is None) != (y is None):
            raise DataError(f"Expected both x_{split} and y_{split} in {path}. Received: keys={sorted(arrays)}")
        if x is not None:
            parts[split] = (as_images(x, f"{path} x_{split}"), as_class_labels(y, f"{path} y_{split}"))
    if not parts:
        raise DataError(f"Expected x_train, y_train and/or x_test, y_test in {path}. Received: keys={sorted(arrays)}")
    return split_parts(parts, options=options, where=str(path), name=f"npz:{path.name}", source=str(path.resolve()))
