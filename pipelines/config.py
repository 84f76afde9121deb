"""Experiment configs: TOML files validated into dataclasses, with ``--set key=value`` overrides.

A config is data, never code. Every section is a dataclass whose defaults are the sensible
choice and whose comments say why; loading checks every key and type and fails with one line
naming the file, the key and what is allowed. ``[model]`` holds ``builder`` plus that builder's
own keys (``models.registry``), checked against its params dataclass.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_runtime.errors import ConfigError

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine", "exponential", "step")
LOSSES = ("auto", "crossentropy", "mse", "mae", "huber")
STRATEGIES = ("default", "mirrored", "multiworker")


@dataclass
class DataConfig:
    """``[data]``: which dataset and how it is split (stratified, seeded)."""

    #: name or URI, see `edgenn datasets`; mnist-5k works offline. A relative path (folder:photos)
    #: is relative to the config file, like every path in a config
    dataset: str = "mnist-5k"
    val_fraction: float = 0.1  # share held out for validation (stratified, seeded)
    test_fraction: float = 0.2  # share held out for the test (ignored when the dataset ships a test set)
    stream: bool = False  # folder: datasets only: decode from disk through tf.data, not into memory
    on_error: str = "fail"  # "skip" leaves unreadable images out (and lists them)


@dataclass
class PreprocessConfig:
    """``[preprocess]``: the classical stage, as inline steps or a JSON spec file (not both)."""

    steps: list[dict] = field(default_factory=lambda: [{"op": "scale"}])  # uint8 pixels -> [0, 1]
    file: str = ""  # a JSON list of {"op": ...} steps, relative to the config file
    cache: bool = True  # compute features once per dataset, not once per epoch


@dataclass
class OptimizerConfig:
    """``[optimizer]``: Adam for most runs; SGD with momentum is the textbook baseline."""

    name: str = "adam"  # adam or sgd
    lr: float = 1e-3  # Adam's default; the sweep shows what 10x either way does
    momentum: float = 0.9  # sgd only
    nesterov: bool = False  # sgd only
    schedule: str = "constant"  # constant, cosine (to 0 over all epochs), exponential, step
    decay_rate: float = 0.5  # exponential / step: factor per decay_epochs
    decay_epochs: int = 5  # exponential / step: epochs per decay


@dataclass
class TrainConfig:
    """``[train]``: the fit loop, callbacks and where it runs."""

    epochs: int = 20  # passes over the training split (a resumed run continues the count)
    batch_size: int = 64  # mini-batches; 1 is online learning (the perceptron demos)
    loss: str = "auto"  # auto: cross-entropy (classification) or mse (regression)
    early_stopping: int = 0  # patience in epochs; 0 turns early stopping off
    monitor: str = "val_loss"  # what early stopping and the best checkpoint watch
    restore_best: bool = True  # end with the weights of the best monitored epoch
    strategy: str = "default"  # default, mirrored (all local devices), multiworker (TF_CONFIG)
    fgsm_eps: float = 0.0  # > 0: adversarial training with FGSM examples of this size (inputs in [0, 1])
    fgsm_ratio: float = 0.5  # share of each batch replaced by FGSM examples
    verbose: int = 2  # Keras: 0 silent, 1 progress bar, 2 one line per epoch
    deterministic: bool = True  # op determinism: the same seed gives the same weights


@dataclass
class Config:
    """A whole experiment."""

    name: str = "run"  # the run's name: `edgenn train` writes to runs/<name> unless --out
    seed: int = 0  # seeds the splits, the initial weights and the batch order
    data: DataConfig = field(default_factory=DataConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    model: dict[str, Any] = field(default_factory=lambda: {"builder": "mlp"})
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    source: str = ""  # the file it came from (not a config key)

    @property
    def builder(self) -> str:
        return self.model["builder"]

    def model_params(self):
        """The builder's params dataclass, filled from ``[model]`` (already validated on load)."""
        from models.registry import get_builder

        builder = get_builder(self.builder)
        params = {k: v for k, v in self.model.items() if k != "builder"}
        return _from_dict(builder.params, params, "model", self.source)

    def to_dict(self) -> dict[str, Any]:
        """The resolved config as plain data (what run.json records)."""
        data = dataclasses.asdict(self)
        data.pop("source")
        return data

    @property
    def base_dir(self) -> Path:
        """What relative paths in this config are relative to: the config file's directory."""
        return Path(self.source).parent if self.source else Path(".")

    @property
    def dataset_uri(self) -> str:
        """``data.dataset`` with a relative path (``folder:photos``) resolved against :attr:`base_dir`."""
        from pipelines.datasets import rebase

        return rebase(self.data.dataset, self.base_dir)

    def preprocess_spec(self) -> list[dict]:
        """The preprocessing steps, read from ``file`` (relative to :attr:`base_dir`) when it is set."""
        if not self.preprocess.file:
            return copy.deepcopy(self.preprocess.steps)
        import json

        path = self.base_dir / self.preprocess.file  # an absolute file stays itself
        try:
            return json.loads(path.read_text("utf-8"))
        except OSError as exc:
            raise ConfigError(f"{self.source or 'config'}: preprocess.file {str(path)!r} cannot be read ({exc.strerror})") from exc
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError; nesting
            raise ConfigError(f"{path}: not valid UTF-8 JSON ({str(exc)[:200] or 'nested too deeply'})") from exc


# loading ----------------------------------------------------------------------------------
def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read and validate a TOML config, then apply ``key=value`` overrides."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Expected a config file. Received: path={str(path)!r} (not found)") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read config {str(path)!r}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a text file (expected UTF-8 TOML; byte {exc.start} is {exc.object[exc.start:exc.start + 1]!r})") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: not valid TOML (nested too deeply)") from exc
    for item in overrides:
        key, value = parse_override(item)
        set_key(data, key, _from_working_directory(key, value), str(path))
    return config_from_dict(data, str(path))


def _from_working_directory(key: str, value: Any) -> Any:
    """A path typed on the command line (``--set``) is relative to the working directory, where the
    user typed it: made absolute here, so it is not taken relative to the config file."""
    if not isinstance(value, str) or not value:
        return value
    if key == "preprocess.file":
        return str(Path.cwd() / value)
    if key == "data.dataset":
        from pipelines.datasets import rebase

        return rebase(value, Path.cwd())
    return value


def config_from_dict(data: dict[str, Any], source: str = "config") -> Config:
    """Validate plain data (as parsed from TOML) into a Config."""
    sections = {f.name for f in dataclasses.fields(Config)} - {"source"}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a table of sections. Received: {type(data).__name__}")
    unknown = sorted(set(data) - sections)
    if unknown:
        raise ConfigError(f"{source}: unknown key {unknown[0]!r}. Expected one of: {', '.join(sorted(sections))}")
    model = data.get("model", {"builder": "mlp"})
    if not isinstance(model, dict):
        raise ConfigError(f"{source}: expected [model] to be a table. Received: model={model!r}")
    config = _from_dict(Config, {k: v for k, v in data.items() if k != "model"}, "", source)
    config.source = source
    config.model = _check_model(dict(model), source)
    _check_ranges(config, source)
    return config


def _check_model(model: dict[str, Any], source: str) -> dict[str, Any]:
    """``builder`` must be known; the other keys must be that builder's params (types checked)."""
    from models.registry import get_builder

    name = model.get("builder", "mlp")
    if not isinstance(name, str):
        raise ConfigError(f"{source}: expected model.builder a string. Received: builder={name!r}")
    try:
        builder = get_builder(name)
    except ConfigError as exc:
        raise ConfigError(f"{source}: model.builder: {exc}") from None
    params = _from_dict(builder.params, {k: v for k, v in model.items() if k != "builder"}, "model", source,
                        extra_allowed=("builder",))
    try:
        params.check()
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return {"builder": name, **dataclasses.asdict(params)}


def _check_ranges(config: Config, source: str) -> None:
    """Value checks that types alone cannot express."""
    checks = [
        (0 <= config.seed < 2**32, "seed", config.seed, "in [0, 2**32) (the range NumPy and TensorFlow seed)"),
        (0 <= config.data.val_fraction < 1, "data.val_fraction", config.data.val_fraction, "in [0, 1)"),
        (0 <= config.data.test_fraction < 1, "data.test_fraction", config.data.test_fraction, "in [0, 1)"),
        (config.data.on_error in ("fail", "skip"), "data.on_error", config.data.on_error, "'fail' or 'skip'"),
        (config.optimizer.name in OPTIMIZERS, "optimizer.name", config.optimizer.name, f"one of {OPTIMIZERS}"),
        (config.optimizer.lr > 0 and math.isfinite(config.optimizer.lr), "optimizer.lr", config.optimizer.lr, "> 0"),
        (0 <= config.optimizer.momentum < 1, "optimizer.momentum", config.optimizer.momentum, "in [0, 1)"),
        (config.optimizer.schedule in SCHEDULES, "optimizer.schedule", config.optimizer.schedule, f"one of {SCHEDULES}"),
        (0 < config.optimizer.decay_rate <= 1, "optimizer.decay_rate", config.optimizer.decay_rate, "in (0, 1]"),
        (config.optimizer.decay_epochs >= 1, "optimizer.decay_epochs", config.optimizer.decay_epochs, ">= 1"),
        (config.train.epochs >= 1, "train.epochs", config.train.epochs, ">= 1"),
        (config.train.batch_size >= 1, "train.batch_size", config.train.batch_size, ">= 1"),
        (config.train.loss in LOSSES, "train.loss", config.train.loss, f"one of {LOSSES}"),
        (config.train.early_stopping >= 0, "train.early_stopping", config.train.early_stopping, ">= 0 (0 = off)"),
        (config.train.strategy in STRATEGIES, "train.strategy", config.train.strategy, f"one of {STRATEGIES}"),
        (config.train.fgsm_eps >= 0, "train.fgsm_eps", config.train.fgsm_eps, ">= 0"),
        (0 <= config.train.fgsm_ratio <= 1, "train.fgsm_ratio", config.train.fgsm_ratio, "in [0, 1]"),
        (config.train.verbose in (0, 1, 2), "train.verbose", config.train.verbose, "0, 1 or 2"),
    ]
    for ok, key, value, allowed in checks:
        if not ok:
            raise ConfigError(f"{source}: expected {key} {allowed}. Received: {key.split('.')[-1]}={value!r}")
    if config.preprocess.file and "steps" in _given_preprocess_keys(config):
        raise ConfigError(f"{source}: give preprocess.steps or preprocess.file, not both")


def _given_preprocess_keys(config: Config) -> set[str]:
    default = PreprocessConfig().steps
    return {"steps"} if config.preprocess.steps != default else set()


# overrides --------------------------------------------------------------------------------
def parse_override(item: str) -> tuple[str, Any]:
    """``"optimizer.lr=1e-3"`` -> ``("optimizer.lr", 0.001)``; values parse as TOML, else as a string."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"Expected --set key=value (e.g. optimizer.lr=0.01). Received: {item!r}")
    return key, parse_value(text.strip())


def parse_value(text: str) -> Any:
    """A TOML value (``3``, ``1e-3``, ``true``, ``[64, 32]``, ``"x"``); a bare word stays a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        if "," in text and not text.startswith(("[", "{")):  # 64,32 -> [64, 32]
            return [parse_value(part.strip()) for part in text.split(",")]
        return text


def set_key(data: dict[str, Any], key: str, value: Any, source: str = "--set") -> None:
    """Set dotted ``key`` in the nested dict (sections are created as needed); types are checked later."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{source}: --set {key}: {part!r} is a value, not a section")
        node = child
    node[parts[-1]] = value


# dataclass validation ---------------------------------------------------------------------
def _from_dict(cls, data: dict[str, Any], where: str, source: str, extra_allowed: tuple[str, ...] = ()):
    """Build dataclass ``cls`` from ``data``: unknown keys and wrong types raise ConfigError."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    hints = typing.get_type_hints(cls)
    prefix = f"{where}." if where else ""
    unknown = sorted(set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted([*fields, *extra_allowed]))
        raise ConfigError(f"{source}: unknown key {prefix + unknown[0]!r}. Expected one of: {allowed}")
    values = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: expected [{prefix}{name}] to be a table. Received: {name}={value!r}")
            values[name] = _from_dict(hint, value, f"{prefix}{name}", source)
        else:
            values[name] = _coerce(value, hint, f"{prefix}{name}", source)
    return cls(**values)


def _coerce(value: Any, hint: Any, key: str, source: str) -> Any:
    """``value`` checked against type ``hint`` (ints widen to floats); else ConfigError naming the key."""
    for option in _options(hint):
        ok, converted = _matches(value, option)
        if ok:
            return converted
    raise ConfigError(f"{source}: expected {key} of type {_type_name(hint)}. Received: {key.split('.')[-1]}={value!r}")


def _options(hint: Any) -> tuple:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return (hint,)


def _matches(value: Any, hint: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True, value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if hint is str:
        return isinstance(value, str), value
    if hint is dict or origin is dict:
        return isinstance(value, dict), value
    if hint is list or origin is list:
        if isinstance(value, (int, float, str, dict)) and not isinstance(value, bool) and typing.get_args(hint):
            value = [value]  # a single value where a list is expected: --set model.hidden=64
        if not isinstance(value, list):
            return False, value
        args = typing.get_args(hint)
        if not args:
            return True, value
        items = []
        for item in value:
            ok, converted = _matches(item, args[0])
            if not ok:
                return False, value
            items.append(converted)
        return True, items
    return isinstance(value, hint), value


def _type_name(hint: Any) -> str:
    names = []
    for option in _options(hint):
        args = typing.get_args(option)
        base = getattr(typing.get_origin(option) or option, "__name__", str(option))
        names.append(f"{base}[{', '.join(a.__name__ for a in args)}]" if args else base)
    return " or ".join(names)
