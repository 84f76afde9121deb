"""The dataset registry: names (``mnist-5k``) and URI schemes (``folder:DIR``) mapped to loaders.

A loader is ``fn(argument, options) -> Dataset``; ``argument`` is the text after ``scheme:`` (None
for plain names). Every entry also says whether it can load right now without a network, and why,
without importing anything heavy (``edgenn datasets`` runs on edge-only installs).
"""

from __future__ import annotations

import difflib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
    def takes_path(self) -> bool:
        """Whether the argument is a local path (named DIR, PATH or FILE...), resolved like every config path."""
        return self.argument.split("?")[0].split(".")[0] in ("DIR", "PATH", "FILE")

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
        raise ConfigError(f"Expected a known dataset ({known}). Received: dataset={uri!r}{_suggestion(uri.strip())}")
    if info.argument and not argument:
        raise ConfigError(f"Expected {info.usage}. Received: dataset={uri!r}")
    if not info.argument and sep:
        raise ConfigError(f"Expected the plain name {info.name!r} (it takes no argument). Received: dataset={uri!r}")
    return info, argument or None


def rebase(uri: str, base: str | Path) -> str:
    """``uri`` with a relative path argument (``folder:photos``) made relative to ``base`` instead."""
    name, sep, argument = uri.strip().partition(":") if isinstance(uri, str) else ("", "", "")
    info = DATASETS.get(name)
    if not sep or info is None or not info.takes_path or not argument or Path(argument).is_absolute():
        return uri
    return f"{name}:{Path(base) / argument}"


def _suggestion(text: str) -> str:
    """"; did you mean ...?" for a near-miss name (mnist5k) or a bare local path (photos/, table.csv)."""
    path = Path(text)
    if path.is_dir():
        return f"; did you mean folder:{text}?"
    if path.is_file():
        scheme = {".csv": "csv", ".npz": "npz"}.get(path.suffix.lower())
        return f"; did you mean {scheme}:{text}?" if scheme else ""
    close = difflib.get_close_matches(text.lower(), list(DATASETS), n=1, cutoff=0.75)
    return f"; did you mean {DATASETS[close[0]].usage}?" if close else ""


def load(uri: str, *, seed: int = 0, val_fraction: float = 0.1, test_fraction: float = 0.2,
         on_error: str = "fail") -> Dataset:
    """Load the dataset named by ``uri`` (see ``DATASETS``) with deterministic splits."""
    info, argument = resolve(uri)
    options = LoadOptions(seed=seed, val_fraction=val_fraction, test_fraction=test_fraction, on_error=on_error)
    return info.loader(argument, options)
