"""The one record every dataset loader returns: arrays per split, labels, task and raw input spec.

Images are ``uint8 (N, H, W, C)``, features ``float32 (N, F)``; labels are ``int64`` class
indices for classification and ``float32`` targets for regression. ``input_spec`` is the raw input
spec of docs/architecture.md, the same dict the run directory and the bundle manifest carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge_runtime.errors import DataError

TASKS = ("classification", "regression")
SPLITS = ("train", "val", "test")


def image_spec(shape: tuple[int, int, int] | list[int]) -> dict[str, Any]:
    """The raw input spec of an image source with ``shape`` (H, W, C), C in {1, 3}."""
    h, w, c = (int(v) for v in shape)
    if c not in (1, 3):
        raise DataError(f"Expected images with 1 or 3 channels. Received: shape={[h, w, c]}")
    return {"kind": "image", "shape": [h, w, c], "dtype": "uint8", "color": "L" if c == 1 else "RGB",
            "resize": "bilinear"}


def features_spec(feature_names: list[str]) -> dict[str, Any]:
    """The raw input spec of a tabular source with the given feature columns."""
    return {"kind": "features", "shape": [len(feature_names)], "dtype": "float32",
            "feature_names": [str(n) for n in feature_names]}


def as_images(x: np.ndarray, what: str) -> np.ndarray:
    """``x`` as uint8 (N, H, W, C): a channel axis is added to (N, H, W); values must fit 0-255."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise DataError(f"Expected {what} images shaped (N, H, W) or (N, H, W, 1|3). Received: shape={x.shape}")
    if x.dtype != np.uint8:
        if not np.issubdtype(x.dtype, np.integer) or (x.size and (x.min() < 0 or x.max() > 255)):
            raise DataError(f"Expected {what} images of uint8 values 0-255. Received: dtype={x.dtype}")
        x = x.astype(np.uint8)
    return x


def as_class_labels(y: np.ndarray, what: str) -> np.ndarray:
    """``y`` as int64 class indices (N,): non-negative integers, a trailing axis of 1 is dropped."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
        raise DataError(f"Expected {what} labels as non-negative integers of shape (N,). "
                        f"Received: dtype={y.dtype}, shape={y.shape}")
    return y.astype(np.int64)


@dataclass
class Dataset:
    """A loaded dataset with deterministic train / val / test splits.

    ``official_test`` is true when ``x_test`` is the source's own test set (mnist, idx:, npz:);
    otherwise all three splits were cut from one pool. ``skipped`` lists ``(path, reason)`` of
    inputs left out on request (``on_error="skip"``), so nothing is dropped silently.
    """

    name: str
    task: str
    class_names: list[str]
    input_spec: dict[str, Any]
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_val: np.ndarray = field(repr=False)
    y_val: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    source: str
    official_test: bool = False
    split_note: str = ""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: (path, "RGB 64x64 -> L 28x28") of inputs converted to ``input_spec`` on loading, and how the spec was chosen
    converted: list[tuple[str, str]] = field(default_factory=list)
    input_note: str = ""

    def __post_init__(self) -> None:
        self.check()

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.input_spec["shape"])

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of split ``name`` ("train", "val" or "test"), or "all": every sample, train, val, test in order."""
        if name == "all":
            parts = [self.split(s) for s in SPLITS]
            return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])
        if name not in SPLITS:
            raise DataError(f"Expected a split in {[*SPLITS, 'all']}. Received: split={name!r}")
        return getattr(self, f"x_{name}"), getattr(self, f"y_{name}")

    def summary(self) -> str:
        """One line: name, task, classes, input, split sizes, source."""
        spec = self.input_spec
        if spec["kind"] == "image":
            h, w, c = spec["shape"]
            what = f"images {h}x{w}x{c} {spec['color']}"
        else:
            what = f"{spec['shape'][0]} features"
        task = f"{self.num_classes} classes" if self.task == "classification" else "regression"
        sizes = " / ".join(f"{s} {len(self.split(s)[1])}" for s in SPLITS)
        test = "official test" if self.official_test else self.split_note or "split from one pool"
        skipped = f"; skipped {len(self.skipped)} unreadable" if self.skipped else ""
        skipped += f"; converted {len(self.converted)} to {what}" if self.converted else ""
        return f"{self.name}: {task}, {what}, {sizes} ({test}{skipped}); source: {self.source}"

    def check(self) -> None:
        """Raise DataError unless arrays, dtypes, labels and spec agree (catches loader bugs early)."""
        if self.task not in TASKS:
            raise DataError(f"Expected task in {list(TASKS)}. Received: task={self.task!r}")
        shape = tuple(self.input_spec["shape"])
        x_dtype = np.uint8 if self.input_spec["kind"] == "image" else np.float32
        y_dtype = np.int64 if self.task == "classification" else np.float32
        for s in SPLITS:
            x, y = self.split(s)
            if x.dtype != x_dtype or x.shape[1:] != shape:
                raise DataError(f"{self.name}: Expected x_{s} {np.dtype(x_dtype)} (N, {', '.join(map(str, shape))}). "
                                f"Received: dtype={x.dtype}, shape={x.shape}")
            if y.dtype != y_dtype or y.shape != (len(x),):
                raise DataError(f"{self.name}: Expected y_{s} {np.dtype(y_dtype)} of shape ({len(x)},). "
                                f"Received: dtype={y.dtype}, shape={y.shape}")
            if self.task == "classification" and len(y) and (y.min() < 0 or y.max() >= self.num_classes):
                raise DataError(f"{self.name}: Expected labels in [0, {self.num_classes}). "
                                f"Received: y_{s} range [{y.min()}, {y.max()}]")
        if self.task == "regression" and self.class_names:
            raise DataError(f"{self.name}: Expected no class names for regression. Received: {self.class_names}")
