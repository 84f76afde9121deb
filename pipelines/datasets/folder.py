"""``folder:DIR[?color=L|RGB&size=WxH&strict=1]``: one subfolder per class, labels from sorted names.

The raw input is explicit config (``color``, ``size``) or, when not given, chosen deterministically
from the images themselves: the most common size (ties: the larger, then the taller) and "L" when
every image is grayscale, else "RGB". Either way the images that do not already have that mode and
size are counted, named in a warning and in ``Dataset.converted``; ``strict=1`` refuses them. Images are
decoded by the device's own decoder, ``edge_runtime.images.load_image`` (Pillow: convert, then
bilinear resize), so training sees exactly what the device will. Unreadable files fail the load
naming the path, or with ``on_error="skip"`` are left out, logged and listed in ``Dataset.skipped``.

For training that streams from disk: ``index_folder`` (paths, labels, class names), ``scan_folder``
(the same plus the chosen ``input_spec`` and skipped files) and ``decode_image``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import numpy as np

from edge_runtime.errors import ConfigError, DataError, require
from edge_runtime.images import conversion, expand_paths, load_image

from .record import image_spec
from .registry import LoadOptions, module_available, register
from .splits import split_pool

log = logging.getLogger("edgenn.datasets")
GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


@dataclass(frozen=True)
class FolderOptions:
    """``folder:DIR?color=L|RGB&size=WxH&strict=1``: the raw input as config (None: detected from the images)."""

    directory: Path
    color: str | None = None
    size: tuple[int, int] | None = None  # (height, width), from size=WxH (Pillow's order, as in the messages)
    strict: bool = False


def parse_folder_argument(argument: str | None) -> FolderOptions:
    """``DIR?color=L&size=28x28&strict=1`` (size as width x height) -> FolderOptions; a one-line ConfigError for anything else."""
    directory, _, query = (argument or "").partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(params) - {"color", "size", "strict"})
    color, size, strict = params.get("color"), params.get("size"), params.get("strict", "0")
    match = re.fullmatch(r"(\d+)x(\d+)", size or "")
    if (unknown or (query and not params) or color not in (None, "L", "RGB") or (size is not None and not match)
            or strict not in ("0", "1") or (match and min(int(match[1]), int(match[2])) < 1)):
        raise ConfigError(f"Expected folder:DIR[?color=L|RGB&size=WxH&strict=0|1]. Received: folder:{argument}")
    return FolderOptions(Path(directory), color, (int(match[2]), int(match[1])) if match else None, strict == "1")


@dataclass
class FolderIndex:
    """The readable images of a class-per-subfolder tree and the raw input spec chosen for them.

    ``converted``: (path, "RGB 64x64 -> L 28x28") of every image decoding will change; ``note``: how the
    spec was chosen and which images it converts, in one line for the user.
    """

    paths: list[str]
    labels: np.ndarray
    class_names: list[str]
    input_spec: dict[str, Any]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    converted: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""


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


def scan_folder(directory: str | Path, on_error: str = "fail", options: FolderOptions | None = None) -> FolderIndex:
    """Index the images under ``directory`` reading only their headers (size and mode).

    The spec is ``options``' color and size where given, else detected; the images it converts are listed
    and announced (a warning naming them), and refused with ``options.strict``.
    """
    image = _pil()
    directory = Path(directory)
    options = options or FolderOptions(directory)
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
    detected = choose_input_spec(sizes, modes)
    height, width = options.size or detected["shape"][:2]
    color = options.color or detected["color"]
    spec = image_spec((height, width, 1 if color == "L" else 3))
    converted = [(path, change) for path, mode, size in zip(paths, modes, sizes, strict=True)
                 if (change := conversion(mode, size, spec))]
    note = _conversion_note(directory, spec, converted, _odd_files(paths, modes, sizes), options)
    if converted and options.strict:
        raise DataError(f"Expected images already {color} {width}x{height} in {directory} (strict=1). Received: "
                        f"{len(converted)} to convert, first {converted[0][0]} ({converted[0][1]})")
    if converted:
        log.warning("%s", note)
    return FolderIndex(paths, np.asarray(labels, dtype=np.int64), [c.name for c in classes], spec, skipped,
                       converted, note)


def _odd_files(paths: list[str], modes: list[str], sizes: list[tuple[int, int]]) -> list[str]:
    """"name (RGB 64x48)" of the images in the minority: colour where most are grey (or the reverse), or not
    of the most common size. One RGB file turns a grey folder RGB: these are the files to look at."""
    gray = [m in GRAY_MODES for m in modes]
    mostly_gray = 2 * sum(gray) >= len(gray)
    common = Counter(sizes).most_common(1)[0][0] if sizes else None
    return [f"{Path(p).name} ({m} {s[0]}x{s[1]})" for p, m, s, g in zip(paths, modes, sizes, gray, strict=True)
            if g != mostly_gray or s != common]


def _conversion_note(directory: Path, spec: dict, converted: list[tuple[str, str]], odd: list[str],
                     options: FolderOptions) -> str:
    """One line: the raw input, configured or detected, how many images it converts, and the odd files by name."""
    height, width, _ = spec["shape"]
    chosen = "as configured" if options.color and options.size else "detected (set ?color=L|RGB&size=WxH to choose)"
    head = f"folder:{directory}: images read as {spec['color']} {width}x{height}, {chosen}"
    if not converted:
        return f"{head}; none converted"
    names = ", ".join(odd[:5]) + (f" and {len(odd) - 5} more" if len(odd) > 5 else "")
    return f"{head}; {len(converted)} converted" + (f"; odd files: {names}" if odd else "")


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
          description="images in DIR/<class>/ (any size and mode; ?color=L|RGB&size=WxH, else detected, converted files named)")
def load_folder(argument: str | None, options: LoadOptions):
    folder = parse_folder_argument(argument)
    index = scan_folder(folder.directory, options.on_error, folder)
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
    directory = folder.directory
    dataset = split_pool(x, y, seed=options.seed, val_fraction=options.val_fraction,
                         test_fraction=options.test_fraction, name=f"folder:{directory.name}",
                         task="classification", class_names=index.class_names, input_spec=index.input_spec,
                         source=str(directory.resolve()), skipped=skipped)
    dataset.converted, dataset.input_note = list(index.converted), index.note
    return dataset
