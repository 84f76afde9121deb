"""Folder datasets that stream from disk: the training data never has to fit in memory.

``data.stream = true`` with ``dataset = "folder:DIR"`` indexes the class folders (headers
only), splits the file list stratified, fits the preprocessing on a sample of training images,
and hands ``pipelines.train`` tf.data streams that decode in parallel, preprocess per batch,
cache features to disk after the first epoch and prefetch. Only the capped raw samples the run
directory keeps for export are decoded into memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import ConfigError

#: training images decoded to fit the learning preprocessing steps (standardize, pca)
FIT_SAMPLE = 1000
#: raw samples decoded for the run directory (same caps as in-memory runs)
KEEP = {"train": 500, "val": 1000, "test": 2000}


@dataclass
class StreamedDataset:
    """The parts of ``pipelines.datasets.Dataset`` training needs; x_* hold only capped samples."""

    name: str
    task: str
    class_names: list[str]
    input_spec: dict[str, Any]
    source: str
    paths: dict[str, list[str]] = field(repr=False)
    y: dict[str, np.ndarray] = field(repr=False)
    x_train: np.ndarray = field(repr=False, default=None)
    x_val: np.ndarray = field(repr=False, default=None)
    x_test: np.ndarray = field(repr=False, default=None)
    official_test: bool = False

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.input_spec["shape"])

    @property
    def y_train(self):
        return self.y["train"]

    @property
    def y_val(self):
        return self.y["val"]

    @property
    def y_test(self):
        return self.y["test"]

    def split(self, name: str):
        return getattr(self, f"x_{name}"), self.y[name]

    def summary(self) -> str:
        h, w, c = self.input_spec["shape"]
        sizes = " / ".join(f"{s} {len(self.y[s])}" for s in ("train", "val", "test"))
        return f"{self.name}: {self.num_classes} classes, images {h}x{w}x{c} streamed from disk, {sizes}; source: {self.source}"


def index_streamed(config) -> StreamedDataset:
    """Index and split a folder dataset without decoding it; decode only the kept samples."""
    from pipelines.datasets.folder import decode_image, parse_folder_argument, scan_folder
    from pipelines.datasets.splits import split_indices

    scheme, _, argument = config.dataset_uri.partition(":")
    if scheme != "folder" or not argument:
        raise ConfigError(f"{config.source}: data.stream works with folder:DIR datasets. "
                          f"Received: dataset={config.data.dataset!r}")
    folder = parse_folder_argument(argument)
    directory = folder.directory
    index = scan_folder(directory, config.data.on_error, folder)
    labels = np.asarray(index.labels, dtype=np.int64)
    parts = split_indices(labels, task="classification", seed=config.seed, val_fraction=config.data.val_fraction,
                          test_fraction=config.data.test_fraction)
    paths = {s: [index.paths[i] for i in idx] for s, idx in zip(("train", "val", "test"), parts, strict=True)}
    ys = {s: labels[idx] for s, idx in zip(("train", "val", "test"), parts, strict=True)}
    dataset = StreamedDataset(f"folder:{Path(directory).name}", "classification", index.class_names, index.input_spec,
                              str(Path(directory).resolve()), paths, ys)
    for split, cap in KEEP.items():
        kept = paths[split][:cap]
        images = [decode_image(p, index.input_spec) for p in kept]
        shape = (0, *index.input_spec["shape"])
        setattr(dataset, f"x_{split}", np.stack(images) if images else np.zeros(shape, np.uint8))
    # the kept samples pair with the first labels of each split
    return dataset


def fit_sample(dataset: StreamedDataset) -> np.ndarray:
    """Up to FIT_SAMPLE decoded training images for the learning preprocessing steps."""
    from pipelines.datasets.folder import decode_image

    paths = dataset.paths["train"][:FIT_SAMPLE]
    return np.stack([decode_image(p, dataset.input_spec) for p in paths])


def streams(dataset: StreamedDataset, pipeline, *, batch_size: int, seed: int, cache_dir: Path) -> dict[str, Any]:
    """tf.data streams per split; features are cached under ``cache_dir`` after the first pass."""
    from pipelines.features import stream_folder

    cache_dir.mkdir(parents=True, exist_ok=True)
    out = {}
    for split in ("train", "val", "test"):
        out[split] = stream_folder(dataset.paths[split], dataset.y[split], dataset.input_spec, pipeline,
                                   batch_size=batch_size, shuffle_seed=seed if split == "train" else None,
                                   cache=str(cache_dir / split))
    return out
