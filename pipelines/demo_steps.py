"""The bodies of the demo's stages: each calls one part of edgenn and returns a small JSON result.

A stage factory takes the stage's settings and returns ``run(ctx) -> result``; results of earlier
stages arrive in ``ctx.results`` (see :mod:`pipelines.stages`). Paths in results are relative to
the demo's output directory so the directory can be moved. Heavy modules load inside the bodies.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from edge_runtime.errors import DataError, UserError

#: the demo's models read 28x28 grayscale digits
DEMO_INPUT_SHAPE = (28, 28, 1)
DEMO_CLASSES = 10
#: what works without a network here, for error messages
OFFLINE_CHOICES = "mnist-5k (ships with the train extra), npz:PATH (keras mnist.npz layout), idx:DIR (MNIST IDX files)"


# --- data ----------------------------------------------------------------------------------
def data_inputs(data: str) -> dict:
    """What the data stage's result depends on: the request, and for ``auto`` whether MNIST is cached."""
    inputs = {"data": data}
    if data == "auto":
        inputs["mnist_cached"] = _mnist_cached()
    return inputs


def _mnist_cached() -> bool:
    from pipelines.datasets import DATASETS

    entry = DATASETS.get("mnist")
    return bool(entry and entry.available_offline()[0])


def choose_dataset(data: str, load=None) -> tuple[str, str, object]:
    """``(dataset name, why, Dataset)`` for ``--data``; ``auto`` tries full MNIST, else MNIST-5k.

    An unknown or unreachable dataset raises DataError naming the offline choices.
    """
    from pipelines.datasets import load as default_load
    from pipelines.datasets import resolve

    load = load or default_load
    if data == "auto":
        try:
            dataset = load("mnist")
            return "mnist", "full MNIST was cached or could be downloaded", dataset
        except UserError as exc:
            reason = str(exc).split(". Offline alternatives")[0]
            return "mnist-5k", f"full MNIST unavailable ({reason}); using the offline MNIST-5k", load("mnist-5k")
    try:
        resolve(data)
        dataset = load(data)
    except UserError as exc:
        message = str(exc)
        hint = "" if "ffline" in message else f"; offline choices: {OFFLINE_CHOICES}"
        raise DataError(f"--data {data!r}: {message}{hint}") from exc
    return data, "requested with --data", dataset


def check_fits_demo(dataset) -> None:
    """The demo's configs are for 28x28 grayscale digits in 10 classes: say so before training."""
    shape = tuple(dataset.input_shape)
    if dataset.task != "classification" or shape != DEMO_INPUT_SHAPE or dataset.num_classes != DEMO_CLASSES:
        raise DataError(
            f"Expected a dataset of 28x28x1 images in 10 classes for the demo's MNIST models. "
            f"Received: {dataset.name} ({dataset.task}, input {list(shape)}, {dataset.num_classes} classes); "
            f"offline choices: {OFFLINE_CHOICES}"
        )


def resolve_data(ctx) -> dict:
    """Stage ``data``: pick and load the dataset once, check it fits the demo, say which and why."""
    data = ctx.stage.inputs["data"]
    name, why, dataset = choose_dataset(data)
    check_fits_demo(dataset)
    ctx.log(f"  dataset: {name} ({why})")
    ctx.log(f"  {dataset.summary()}")
    result = {"dataset": name, "requested": data, "why": why, "summary": dataset.summary(),
              "splits": {s: int(len(dataset.split(s)[1])) for s in ("train", "val", "test")}}
    write_json(ctx.path("data.json"), result)
    return result


# --- helpers -------------------------------------------------------------------------------
def write_json(path: Path, data) -> Path:
    """Write ``data`` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", "utf-8")
    os.replace(tmp, path)
    return path
