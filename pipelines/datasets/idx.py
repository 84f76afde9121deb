"""``idx:DIR``: the standard MNIST IDX files (``train-images-idx3-ubyte`` and friends, gzipped or not).

IDX is big-endian: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions,
then one uint32 per dimension and the data. Either split may be absent; when both are there the
``t10k`` files are the official test set.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from edge_runtime.errors import DataError

from .record import as_class_labels, as_images
from .registry import LoadOptions, always, register
from .splits import split_parts

UBYTE = 0x08
PREFIXES = {"train": "train", "test": "t10k"}
KINDS = {"images": 3, "labels": 1}  # file kind -> number of dimensions


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """The uint8 array in IDX file ``path`` (``.gz`` decompressed); DataError on a corrupt header."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"Expected a readable IDX file. Received: {path} ({exc})") from exc
    expected = f"an IDX header 00 00 08 {ndim:02x} (unsigned bytes, {ndim} dimensions)"
    if len(raw) < 4 + 4 * ndim or raw[:2] != b"\0\0" or raw[2] != UBYTE or raw[3] != ndim:
        raise DataError(f"Expected {expected} in {path}. Received: header {raw[:4].hex(' ') or 'empty'}")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    size = int(np.prod(dims))
    payload = len(raw) - 4 - 4 * ndim
    if payload != size:
        raise DataError(f"Expected {size} data bytes for dimensions {dims} in {path}. Received: {payload}")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_file(directory: Path, split: str, kind: str) -> Path | None:
    """``<prefix>-<kind>-idx<n>-ubyte`` (also ``.`` before idx, as in some mirrors), ``.gz`` or not."""
    prefix, n = PREFIXES[split], KINDS[kind]
    for sep in ("-", "."):
        for suffix in ("", ".gz"):
            path = directory / f"{prefix}-{kind}{sep}idx{n}-ubyte{suffix}"
            if path.is_file():
                return path
    return None


def read_split(directory: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Images and labels of one split, None when neither file is there."""
    images, labels = find_file(directory, split, "images"), find_file(directory, split, "labels")
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        present, missing = (images, "labels") if images else (labels, "images")
        raise DataError(f"Expected the {missing} file beside {present}. Received: no {PREFIXES[split]}-{missing} file")
    x = as_images(read_idx(images, KINDS["images"]), str(images))
    return x, as_class_labels(read_idx(labels, KINDS["labels"]), str(labels))


@register("idx", task="classification", argument="DIR", available=always("reads local files"),
          description="MNIST IDX files in DIR (train-*/t10k-*, .gz or not); keeps the t10k test split")
def load_idx(argument: str | None, options: LoadOptions):
    directory = Path(argument or "")
    if not directory.is_dir():
        raise DataError(f"Expected a directory of MNIST IDX files. Received: idx:{directory} is not a directory")
    parts = {split: read_split(directory, split) for split in PREFIXES}
    if not any(parts.values()):
        raise DataError(f"Expected train-images-idx3-ubyte[.gz] and/or t10k-images-idx3-ubyte[.gz] in {directory}. "
                        f"Received: {sorted(p.name for p in directory.iterdir())[:8]}")
    return split_parts(parts, options=options, where=str(directory), name=f"idx:{directory.name}",
                       source=str(directory.resolve()))
