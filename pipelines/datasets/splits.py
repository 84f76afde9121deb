"""Deterministic train / val / test splits: stratified by class, shuffled, same seed -> same split.

Classification splits keep every class's share in every split (largest-remainder allocation, so
split sizes are exact); regression splits are a seeded permutation. Sources sorted by class (the
MNIST-5k file is) therefore never validate on one class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge_runtime.errors import ConfigError, DataError

from .record import Dataset, image_spec


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    """Both fractions in [0, 1) and leaving something to train on."""
    for name, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ConfigError(f"Expected {name} in [0, 1). Received: {name}={value!r}")
    if val_fraction + test_fraction >= 1.0:
        raise ConfigError("Expected val_fraction + test_fraction < 1. "
                          f"Received: val_fraction={val_fraction}, test_fraction={test_fraction}")


def _count(n: int, fraction: float) -> int:
    return int(np.floor(n * fraction + 0.5))


def allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` over groups proportionally to ``counts`` (largest remainder, ties by index)."""
    counts = np.asarray(counts, dtype=np.int64)
    if total <= 0 or counts.sum() == 0:
        return np.zeros_like(counts)
    ideal = counts * (total / counts.sum())
    share = np.minimum(np.floor(ideal).astype(np.int64), counts)
    order = np.argsort(-(ideal - share), kind="stable")
    for i in order:
        if share.sum() >= total:
            break
        if share[i] < counts[i]:
            share[i] += 1
    return share


def split_indices(y: np.ndarray, *, task: str, seed: int = 0, val_fraction: float = 0.1,
                  test_fraction: float = 0.2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(train, val, test)`` into ``y``: stratified for classification, each split shuffled."""
    check_fractions(val_fraction, test_fraction)
    y = np.asarray(y)
    n = len(y)
    rng = np.random.default_rng(seed)
    if task != "classification":
        perm = rng.permutation(n)
        n_test, n_val = _count(n, test_fraction), _count(n, val_fraction)
        return perm[n_test + n_val:], perm[n_test:n_test + n_val], perm[:n_test]
    classes, inverse = np.unique(y, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(classes))
    test_share = allocate(counts, _count(n, test_fraction))
    val_share = allocate(counts - test_share, _count(n, val_fraction))
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(inverse == c))
        t, v = test_share[c], val_share[c]
        parts["test"].append(members[:t])
        parts["val"].append(members[t:t + v])
        parts["train"].append(members[t + v:])
    train, val, test = (rng.permutation(np.concatenate(parts[s]).astype(np.int64)) for s in ("train", "val", "test"))
    return train, val, test


def split_pool(x: np.ndarray, y: np.ndarray, *, seed: int, val_fraction: float, test_fraction: float,
               **record: Any) -> Dataset:
    """A Dataset whose three splits are cut from one pool ``(x, y)``; ``record`` holds the other fields."""
    train, val, test = split_indices(y, task=record["task"], seed=seed, val_fraction=val_fraction,
                                     test_fraction=test_fraction)
    how = "stratified" if record["task"] == "classification" else "shuffled"
    return Dataset(x_train=x[train], y_train=y[train], x_val=x[val], y_val=y[val], x_test=x[test],
                   y_test=y[test], official_test=False, split_note=f"{how} split, seed {seed}", **record)


def split_official(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
                   seed: int, val_fraction: float, **record: Any) -> Dataset:
    """A Dataset keeping the source's official test set; ``val_fraction`` of the train set validates."""
    train, val, _ = split_indices(y_train, task=record["task"], seed=seed, val_fraction=val_fraction,
                                  test_fraction=0.0)
    return Dataset(x_train=x_train[train], y_train=y_train[train], x_val=x_train[val], y_val=y_train[val],
                   x_test=x_test, y_test=y_test, official_test=True,
                   split_note=f"official test, val stratified from train with seed {seed}", **record)


def split_parts(parts: dict[str, tuple[np.ndarray, np.ndarray]], *, options: Any, where: str,
                class_names: list[str] | None = None, **record: Any) -> Dataset:
    """A classification Dataset from a source's image parts ``{"train": (x, y), "test": (x, y)}``.

    Both parts present: the test part stays the official test set. One part: all three splits are
    cut from it. Images and labels must pair up and share one shape; class names default to
    "0".."K-1". ``where`` names the source in errors.
    """
    parts = {k: v for k, v in parts.items() if v is not None}
    if not parts:
        raise DataError(f"Expected a train and/or a test part in {where}. Received: neither")
    for split, (x, y) in parts.items():
        if len(x) != len(y):
            raise DataError(f"Expected as many labels as images in {where} ({split}). "
                            f"Received: {len(x)} images, {len(y)} labels")
    shapes = {x.shape[1:] for x, _ in parts.values()}
    if len(shapes) > 1:
        raise DataError(f"Expected train and test images of one shape in {where}. Received: {sorted(shapes)}")
    if class_names is None:
        class_names = [str(c) for c in range(int(max(y.max(initial=0) for _, y in parts.values())) + 1)]
    record = {"task": "classification", "class_names": class_names, "input_spec": image_spec(shapes.pop()),
              **record}
    if len(parts) == 2:
        return split_official(*parts["train"], *parts["test"], seed=options.seed,
                              val_fraction=options.val_fraction, **record)
    x, y = next(iter(parts.values()))
    return split_pool(x, y, seed=options.seed, val_fraction=options.val_fraction,
                      test_fraction=options.test_fraction, **record)
