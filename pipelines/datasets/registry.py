"""The dataset registry: names (``mnist-5k``) and URI schemes (``folder:DIR``) mapped to loaders.

A loader is ``fn(argument, options) -> Dataset``; ``argument`` is the text after ``scheme:`` (None
for plain names). Every entry also says whether it can load right now without a network, and why,
without importing anything heavy (``edgenn datasets`` runs on edge-only installs).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from edge_runtime.errors import ConfigError

from .record import Dataset
from .splits import check_fractions

ON_ERROR = ("fail", "skip")


@dataclass(frozen=True)
class LoadOptions:
    """How to split and what to do with unreadable inputs; validated on construction."""

    seed: int = 0
    val_fraction: float = 0.1  # of the whole pool, or of the official train set when a test set ships
    test_fraction: float = 0.2  # ignored by sources with an official test set
    on_error: str = "fail"  # "skip" leaves unreadable images out and lists them in Dataset.skipped

    def __post_init__(self) -> None:
        check_fractions(self.val_fraction, self.test_fraction)
        if self.on_error not in ON_ERROR:
            raise ConfigError(f"Expected on_error in {list(ON_ERROR)}. Received: on_error={self.on_error!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"Expected seed a non-negative integer. Received: seed={self.seed!r}")


Loader = Callable[[str | None, LoadOptions], Dataset]


@dataclass(frozen=True)
class DatasetInfo:
    """One registry entry. ``argument`` names what follows ``name:`` ("" for a plain name)."""

    name: str
    task: str
    description: str
    loader: Loader
    availability: Callable[[], tuple[bool, str]]
    argument: str = ""

    @property
    def usage(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name

    def available_offline(self) -> tuple[bool, str]:
        """``(usable now without a network, why)``; never imports TensorFlow or scikit-learn."""
        return self.availability()


DATASETS: dict[str, DatasetInfo] = {}


def register(name: str, *, task: str, description: str, available: Callable[[], tuple[bool, str]],
             argument: str = "") -> Callable[[Loader], Loader]:
    """Decorator: register ``loader`` as dataset ``name`` (a URI scheme when ``argument`` is set)."""

    def wrap(loader: Loader) -> Loader:
        if name in DATASETS:
            raise ValueError(f"dataset {name!r} is registered twice")
        DATASETS[name] = DatasetInfo(name, task, description, loader, available, argument)
        return loader

    return wrap


def module_available(module: str, extra: str, what: str = "") -> tuple[bool, str]:
    """Whether ``module`` is installed (found, not imported), with the extra to install if not."""
    if importlib.util.find_spec(module) is None:
        return False, f'needs {what or module}: pip install "edgenn[{extra}]"'
    return True, f"{what or module} installed"


def always(reason: str) -> Callable[[], tuple[bool, str]]:
    """Availability of a source that needs nothing beyond numpy."""
    return lambda: (True, reason)


def resolve(uri: str) -> tuple[DatasetInfo, str | None]:
    """The registry entry for ``uri`` and its argument; a one-line ConfigError for anything unknown."""
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigError(f"Expected a dataset name or URI. Received: dataset={uri!r}")
    name, sep, argument = uri.strip().partition(":")
    info = DATASETS.get(name)
    if info is None:
        known = ", ".join(i.usage for i in DATASETS.values())
        raise ConfigError(f"Expected a known dataset ({known}). Received: dataset={uri!r}")
    if info.argument and not argument:
        raise ConfigError(f"Expected {info.usage}. Received: dataset={uri!r}")
    if not info.argument and sep:
        raise ConfigError(f"Expected the plain name {info.name!r} (it takes no argument). Received: dataset={uri!r}")
    return info, argument or None


def load(uri: str, *, seed: int = 0, val_fraction: float = 0.1, test_fraction: float = 0.2,
         on_error: str = "fail") -> Dataset:
    """Load the dataset named by ``uri`` (see ``DATASETS``) with deterministic splits."""
    info, argument = resolve(uri)
    options = LoadOptions(seed=seed, val_fraction=val_fraction, test_fraction=test_fraction, on_error=on_error)
    return info.loader(argument, options)
