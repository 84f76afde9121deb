"""``folder:DIR``: one subfolder per class, images of any size and mode, labels from sorted names.

The target raw input is chosen deterministically from the images themselves: the most common size
(ties: the larger, then the taller) and "L" when every image is grayscale, else "RGB". Images are
decoded by the device's own decoder, ``edge_runtime.images.load_image`` (Pillow: convert, then
bilinear resize), so training sees exactly what the device will. Unreadable files fail the load
naming the path, or with ``on_error="skip"`` are left out, logged and listed in ``Dataset.skipped``.

For training that streams from disk: ``index_folder`` (paths, labels, class names), ``scan_folder``
(the same plus the chosen ``input_spec`` and skipped files) and ``decode_image``.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime.errors import DataError, require
from edge_runtime.images import expand_paths, load_image

from .record import image_spec
from .registry import LoadOptions, module_available, register
from .splits import split_pool

log = logging.getLogger("edgenn.datasets")
GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


@dataclass
class FolderIndex:
    """The readable images of a class-per-subfolder tree and the raw input spec chosen for them."""

    paths: list[str]
    labels: np.ndarray
    class_names: list[str]
    input_spec: dict[str, Any]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _pil():
    return require("PIL.Image", "edge", "reading image folders")


def _unreadable(path: str | Path, reason: str, on_error: str, skipped: list[tuple[str, str]]) -> None:
    """Fail naming ``path``, or record and log it when the user asked to skip."""
    if on_error != "skip":
        raise DataError(f"Expected a readable image (or on_error='skip'). Received: {path} ({reason})")
    skipped.append((str(path), reason))
    log.warning("skipped unreadable image %s (%s)", path, reason)


def class_folders(directory: Path) -> list[Path]:
    """Sorted non-hidden subfolders; DataError unless ``directory`` has at least two of them."""
    if not directory.is_dir():
        raise DataError(f"Expected a directory with one subfolder per class. Received: folder:{directory} "
                        f"{'is a file' if directory.exists() else 'does not exist'}")
    classes = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        found = f"1 class ({classes[0].name})" if classes else "no subfolders"
        raise DataError(f"Expected at least 2 class subfolders in {directory}. Received: {found}")
    return classes


def choose_input_spec(sizes: list[tuple[int, int]], modes: list[str]) -> dict[str, Any]:
    """The target spec for images of ``sizes`` (W, H) and Pillow ``modes``: most common size, L or RGB."""
    counts = Counter(sizes)
    width, height = max(counts, key=lambda s: (counts[s], s[0] * s[1], s[1], s[0]))
    channels = 1 if all(m in GRAY_MODES for m in modes) else 3
    return image_spec((height, width, channels))


def scan_folder(directory: str | Path, on_error: str = "fail") -> FolderIndex:
    """Index the images under ``directory`` reading only their headers (size and mode)."""
    image = _pil()
    directory = Path(directory)
    paths, labels, sizes, modes, skipped = [], [], [], [], []
    classes = class_folders(directory)
    for label, folder in enumerate(classes):
        for path in expand_paths([folder]):  # sorted, nested folders included, hidden files skipped
            try:
                with image.open(path) as img:
                    sizes.append(img.size)
                    modes.append(img.mode)
            except Exception as exc:  # Pillow raises UnidentifiedImageError, OSError, ValueError, ...
                _unreadable(path, f"{type(exc).__name__}: {exc}", on_error, skipped)
                continue
            paths.append(str(path))
            labels.append(label)
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(classes))
    if counts.min() == 0:
        empty = [classes[i].name for i in np.flatnonzero(counts == 0)]
        raise DataError(f"Expected readable images in every class folder of {directory}. Received: none in {empty}")
    return FolderIndex(paths, np.asarray(labels, dtype=np.int64), [c.name for c in classes],
                       choose_input_spec(sizes, modes), skipped)


def index_folder(directory: str | Path, on_error: str = "fail") -> tuple[list[str], np.ndarray, list[str]]:
    """``(paths, labels int64, class_names)`` of a class-per-subfolder tree (see ``scan_folder``)."""
    index = scan_folder(directory, on_error)
    return index.paths, index.labels, index.class_names


def decode_image(path: str | Path, input_spec: dict[str, Any]) -> np.ndarray:
    """The image at ``path`` as uint8 (H, W, C) of ``input_spec``, decoded exactly as on the device."""
    return load_image(path, input_spec)


def _available() -> tuple[bool, str]:
    ok, why = module_available("PIL", "edge", "Pillow")
    return (True, "reads local images (Pillow installed)") if ok else (False, why)


@register("folder", task="classification", argument="DIR", available=_available,
          description="images in DIR/<class>/ (any size and mode; target size and L/RGB chosen from the images)")
def load_folder(argument: str | None, options: LoadOptions):
    index = scan_folder(Path(argument or ""), options.on_error)
    images, labels, skipped = [], [], list(index.skipped)
    for path, label in zip(index.paths, index.labels, strict=True):
        try:
            images.append(decode_image(path, index.input_spec))
        except DataError as exc:
            _unreadable(path, str(exc).removeprefix(f"{path}: "), options.on_error, skipped)
            continue
        labels.append(label)
    y = np.asarray(labels, dtype=np.int64)
    if len(np.unique(y)) < len(index.class_names):
        raise DataError(f"Expected readable images in every class folder of {argument}. "
                        f"Received: a class with none left after skipping {len(skipped)} files")
    x = np.stack(images).astype(np.uint8)
    directory = Path(argument or "")
    return split_pool(x, y, seed=options.seed, val_fraction=options.val_fraction,
                      test_fraction=options.test_fraction, name=f"folder:{directory.name}",
                      task="classification", class_names=index.class_names, input_spec=index.input_spec,
                      source=str(directory.resolve()), skipped=skipped)
