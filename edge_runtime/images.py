"""Decode image files of any size and mode into the raw input a bundle's manifest declares.

Pillow decodes; the image is converted to the manifest's ``input.color`` (``L`` or ``RGB``) and,
when its size differs, resized with ``input.resize``. 16-bit greyscale keeps its top 8 bits.
A directory is expanded to its files (sorted, recursive, hidden ones skipped); a file that does
not decode is reported, never fatal for the others.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from edge_runtime.errors import DataError

RESAMPLE = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")


def _pil():
    from edge_runtime.errors import require

    return require("PIL.Image", "edge", "decoding images")


def check_image_spec(spec: dict | None) -> dict:
    """The manifest's raw ``input`` when it describes an image; DataError otherwise."""
    if not spec or spec.get("kind") != "image":
        kind = spec.get("kind") if spec else None
        raise DataError(f"Expected a bundle whose raw input is an image. Received: input.kind={kind!r}")
    return spec


def to_raw(image, spec: dict, name: str = "image") -> np.ndarray:
    """A PIL image as the manifest's raw sample: (H, W, C) in ``spec['dtype']``."""
    spec = check_image_spec(spec)
    height, width, channels = (list(spec["shape"]) + [1])[:3]
    color = spec.get("color") or ("L" if channels == 1 else "RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = np.asarray(image)
        image = _pil().fromarray((pixels >> 8 if pixels.max() > 255 else pixels).astype(np.uint8), mode="L")
    elif image.mode == "F":
        raise DataError(f"{name}: a floating-point image has no defined pixel range. "
                        f"Expected an 8- or 16-bit image. Received: mode='F'")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA") if color == "RGB" else image.convert("LA")
    image = image.convert(color)
    if image.size != (width, height):
        method = spec.get("resize") or "bilinear"
        image = image.resize((width, height), resample=getattr(_pil().Resampling, method.upper()))
    array = np.asarray(image, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.shape != (height, width, channels):
        raise DataError(f"{name}: decoded to shape {array.shape}. Expected {(height, width, channels)} "
                        f"from the manifest's input")
    return array.astype(spec.get("dtype", "uint8"), copy=False)


def conversion(mode: str, size: tuple[int, int], spec: dict) -> str | None:
    """What decoding changes in an image of Pillow ``mode`` and ``size`` (W, H) to fit ``spec``: "RGB 64x48 ->
    L 28x28", or None when it is already the manifest's mode and size."""
    height, width, channels = (list(spec["shape"]) + [1])[:3]
    color = spec.get("color") or ("L" if channels == 1 else "RGB")
    if mode == color and tuple(size) == (width, height):
        return None
    return f"{mode} {size[0]}x{size[1]} -> {color} {width}x{height}"


def load_image(path: str | Path, spec: dict, changes: list[str] | None = None) -> np.ndarray:
    """Decode ``path`` into the raw sample the manifest declares; DataError naming the file when it cannot.

    ``changes``: when given, what the decode converted (mode, size) is appended to it (nothing when the
    image already matched), so callers can count and report converted inputs.
    """
    pil = _pil()
    image = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pil.DecompressionBombWarning)
            image = pil.open(path)
            image.load()
    except Exception as exc:  # noqa: BLE001  a decoder fed hostile bytes raises what it raises (Pillow's TIFF
        # plugin: TypeError on a bad strip offset, found by the image fuzz target); all mean "not an image"
        if image is not None:
            image.close()
        raise DataError(f"{path}: not a readable image ({type(exc).__name__}: {exc})") from exc
    with image:
        try:
            changed = conversion(image.mode, image.size, check_image_spec(spec))
            if changes is not None and changed:
                changes.append(changed)
            return to_raw(image, spec, name=str(path))
        except DataError:
            raise
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable image ({type(exc).__name__}: {exc})") from exc


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, plus every non-hidden file under named directories, sorted; DataError for a missing path."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()
                                and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"Expected an image file or a directory. Received: path={str(raw)!r} (not found)")
    return files


def iter_images(paths: Iterable[str | Path], spec: dict) -> Iterator[tuple[Path, np.ndarray | None, str | None]]:
    """``(path, raw_sample, None)`` per readable image, ``(path, None, reason)`` per unreadable file."""
    check_image_spec(spec)
    for path in expand_paths(paths):
        try:
            yield path, load_image(path, spec), None
        except DataError as exc:
            yield path, None, str(exc).removeprefix(f"{path}: ")
