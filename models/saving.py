"""The one loader for Keras models that other people may have written (a run directory's ``model.keras``).

Keras runs code while it loads some formats: an HDF5 or SavedModel ``Lambda`` layer carries Python
bytecode that is executed when the model is rebuilt, and ``safe_mode`` only guards the ``.keras``
zip format. So this loader accepts only a ``.keras`` zip (checked by its bytes, not its name),
refuses any ``Lambda`` layer in its ``config.json`` before Keras sees the file, and loads it with
``safe_mode=True``. Everything else is one :class:`ModelFileError` line naming the file and why.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from edge_runtime import safezip
from edge_runtime.errors import UserError

#: a .keras archive's architecture (the weights are a separate entry)
CONFIG_ENTRY = "config.json"
MAX_CONFIG_BYTES = 16 << 20
#: layer classes whose config holds code: refused by name before deserialization
CODE_LAYERS = frozenset({"Lambda", "TFOpLambda", "SlicingOpLambda"})
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"


class ModelFileError(UserError):
    """A Keras model file that is not the safe ``.keras`` format, holds code, or does not load."""


def format_problem(path: Path) -> str | None:
    """Why ``path`` is not a ``.keras`` zip (HDF5, SavedModel, something else), or None when it is."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "it does not exist"
    if stat.S_ISDIR(mode):
        return "it is a directory (a SavedModel?); only the .keras zip format is loaded"
    if stat.S_ISLNK(mode):
        return "it is a symbolic link; a run directory holds its model itself"
    if not stat.S_ISREG(mode):
        return "it is not a regular file"
    if path.suffix != ".keras":
        return f"its name ends in {path.suffix or 'nothing'!r}; only .keras zip files are loaded"
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(HDF5_MAGIC):
        return ("it is an HDF5 file (the legacy format, whose Lambda layers run code on load); "
                "only the .keras zip format is loaded: re-save it with model.save('model.keras')")
    if not head.startswith(ZIP_MAGIC):
        return "it is not a .keras zip archive (truncated or another format)"
    return None


def code_layers(config) -> list[str]:
    """Names of the layers in a Keras ``config.json`` tree whose class carries code."""
    found = []
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("class_name") in CODE_LAYERS:
                name = (node.get("config") or {}).get("name") if isinstance(node.get("config"), dict) else None
                found.append(f"{node['class_name']}({name or '?'})")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


def check_keras_file(path: str | Path) -> None:
    """Every check short of deserializing: format by bytes, zip limits, parsable config, no code layers."""
    path = Path(path)
    problem = format_problem(path)
    if problem:
        raise ModelFileError(f"{path}: refusing to load this model: {problem}")
    try:
        raw = safezip.read_member(path, CONFIG_ENTRY, MAX_CONFIG_BYTES)
        config = json.loads(raw.decode("utf-8"))
    except UserError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise ModelFileError(f"{path}: refusing to load this model: {reason}") from exc
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ModelFileError(f"{path}: refusing to load this model: its {CONFIG_ENTRY} is not valid JSON") from exc
    layers = code_layers(config)
    if layers:
        raise ModelFileError(f"{path}: refusing to load this model: it holds layers that run code "
                             f"({', '.join(layers[:5])}); edgenn models never need them")


def load_keras_model(path: str | Path, custom_objects: dict | None = None):
    """A tf_keras model from a checked ``.keras`` zip, with ``safe_mode=True`` and without compiling."""
    path = Path(path)
    check_keras_file(path)
    from models.backend import keras

    try:
        return keras.saving.load_model(path, custom_objects=custom_objects, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises ValueError, TypeError, KeyError, OSError from h5py on bad content
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ModelFileError(f"{path}: refusing to load this model: Keras could not rebuild it "
                             f"({type(exc).__name__}: {first})") from exc
