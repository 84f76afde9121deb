"""``edgenn train``: config -> dataset -> fitted preprocessing -> cached features -> Keras fit -> run directory.

Resumable (a killed run re-run with the same command continues from its last finished epoch,
with the same batches and the same dropout masks: the random layers' generator state is checkpointed), reproducible (seeded, op determinism), visible (one line per epoch,
history.csv, TensorBoard, curves.png) and distributable (``train.strategy``). The run directory
is the contract with ``edgenn export`` (``models.rundir``).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge_runtime import atomic
from edge_runtime.errors import ConfigError, DataError, UserError, require
from edge_runtime.preprocess import OPS, Pipeline
from pipelines import outdir
from pipelines.config import Config

SAMPLE_CAPS = {"calibration": 500, "finetune": 2000, "spare": 2000, "validation": 1000, "test": 2000}
HISTORY_FILE = "history.csv"


def pixel_ops() -> list[str]:
    """Ops that keep raw pixels as pixels (``pixelwise``, nothing learned from data): the only
    network inputs FGSM perturbations in pixel space make sense on."""
    return sorted(name for name, op in OPS.items() if op.pixelwise and op.fit is None)


class Diverged(UserError):
    """The loss became NaN or inf; the last good checkpoint is kept."""


@dataclass
class TrainResult:
    """What a training call did: status complete / already-complete / diverged."""

    status: str
    out: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    model: Any = field(default=None, repr=False)  # the trained Keras model (None when not trained now)


@dataclass
class Prepared:
    """Data, fitted pipeline and features, checked against the model before any training."""

    dataset: Any
    pipeline: Pipeline
    head: Any
    feature_shape: tuple[int, ...]
    features: dict[str, np.ndarray] | None  # None when the data streams from disk
    labels: dict[str, np.ndarray]
    cache_hits: int
    streams: dict[str, Any] | None = None  # tf.data per split when streaming


# preparation ------------------------------------------------------------------------------
def load_dataset(config: Config):
    from pipelines.datasets import load

    d = config.data
    return load(config.dataset_uri, seed=config.seed, val_fraction=d.val_fraction, test_fraction=d.test_fraction,
                on_error=d.on_error)


def make_head(config: Config, dataset):
    from models.registry import Head

    if dataset.task == "classification":
        return Head("classification", dataset.num_classes)
    return Head("regression", 1, target_mean=float(np.mean(dataset.y_train)))


def check_fits(config: Config, dataset, pipeline: Pipeline) -> tuple[tuple[int, ...], Any]:
    """Feature shape and head; DataError/ConfigError when data, preprocessing and model disagree."""
    from models.registry import get_builder

    try:
        feature_shape = pipeline.output_shape(tuple(dataset.input_shape))
    except UserError as exc:
        raise DataError(f"{config.source}: preprocessing does not fit {dataset.name} "
                        f"(raw input {tuple(dataset.input_shape)}): {exc}") from None
    head = make_head(config, dataset)
    get_builder(config.builder).check_fits(feature_shape, head)
    loss_for(config, head.task)  # a loss that cannot train this task fails now, not after the data
    if config.train.fgsm_eps > 0:
        ops = [step.op.name for step in pipeline.steps]
        allowed = pixel_ops()
        if dataset.input_spec["kind"] != "image" or not set(ops) <= set(allowed) or head.task != "classification":
            raise ConfigError(
                f"{config.source}: train.fgsm_eps needs a classifier on raw pixels scaled to [0, 1] "
                f"(preprocessing ops {allowed}). Received: {dataset.input_spec['kind']} input, "
                f"ops={ops}, task={head.task}"
            )
    monitors = {"loss", "accuracy"} if head.task == "classification" else {"loss", "mae", "rmse"}
    allowed = monitors | {f"val_{m}" for m in monitors}
    if config.train.monitor not in allowed:
        raise ConfigError(f"{config.source}: expected train.monitor one of {sorted(allowed)}. "
                          f"Received: monitor={config.train.monitor!r}")
    if config.train.monitor.startswith("val_") and len(dataset.y_val) == 0:
        raise ConfigError(f"{config.source}: train.monitor={config.train.monitor!r} needs a validation split; "
                          "set data.val_fraction > 0 or monitor 'loss'")
    return feature_shape, head


def prepare(config: Config, log: Callable[[str], None] = print) -> Prepared:
    """Load, check, fit the preprocessing on the training split, compute (cached) features."""
    from pipelines.features import cached_features

    if config.data.stream:
        return prepare_streamed(config, log)
    dataset = load_dataset(config)
    log(dataset.summary())
    pipeline = Pipeline.from_spec(config.preprocess_spec())
    feature_shape, head = check_fits(config, dataset, pipeline)
    if pipeline.requires_fit:
        pipeline.fit(dataset.x_train)
    features, labels, hits = {}, {}, 0
    started = time.perf_counter()
    for split in ("train", "val", "test"):
        x, y = dataset.split(split)
        features[split], hit = cached_features(pipeline, x, use_disk=config.preprocess.cache)
        labels[split] = y
        hits += hit
    log(f"features {feature_shape} for {sum(len(v) for v in labels.values())} samples in "
        f"{time.perf_counter() - started:.1f} s ({hits}/3 splits from the cache)")
    return Prepared(dataset, pipeline, head, feature_shape, features, labels, hits)


def prepare_streamed(config: Config, log: Callable[[str], None] = print) -> Prepared:
    """A folder dataset indexed, split and checked, its pipeline fitted on a sample; no features yet."""
    from pipelines import streaming

    dataset = streaming.index_streamed(config)
    log(dataset.summary())
    pipeline = Pipeline.from_spec(config.preprocess_spec())
    feature_shape, head = check_fits(config, dataset, pipeline)
    if pipeline.requires_fit:
        pipeline.fit(streaming.fit_sample(dataset))
    return Prepared(dataset, pipeline, head, feature_shape, None, dict(dataset.y), 0)


def input_streams(config: Config, prepared: Prepared, work: Path, first_epoch: int):
    """(train data, steps per epoch, validation data) for ``fit``, in memory or streamed from disk."""
    from pipelines.features import eval_dataset, steps, train_dataset

    bs = config.train.batch_size
    if prepared.features is None:
        from pipelines import streaming

        cache = work / "feature-cache"
        shutil.rmtree(cache, ignore_errors=True)  # tf.data cache files of a killed process are not reusable
        flows = streaming.streams(prepared.dataset, prepared.pipeline, batch_size=bs, seed=config.seed, cache_dir=cache)
        prepared.streams = flows
        return flows["train"], None, flows["val"] if len(prepared.labels["val"]) else None
    data = train_dataset(prepared.features["train"], prepared.labels["train"], batch_size=bs, seed=config.seed,
                         first_epoch=first_epoch, epochs=config.train.epochs)
    val = (eval_dataset(prepared.features["val"], prepared.labels["val"], batch_size=max(bs, 256))
           if len(prepared.labels["val"]) else None)
    return data, steps(len(prepared.labels["train"]), bs), val


# model ------------------------------------------------------------------------------------
def loss_for(config: Config, task: str):
    """The Keras loss: cross-entropy for classification, mse / mae / huber for regression."""
    from models.backend import keras

    name = config.train.loss
    if config.builder == "perceptron":
        from models.perceptron import perceptron_error

        return perceptron_error
    if name == "auto":
        name = "crossentropy" if task == "classification" else "mse"
    if (task == "classification") != (name == "crossentropy"):
        raise ConfigError(f"{config.source}: train.loss={name!r} cannot train {task}; "
                          f"expected {'crossentropy' if task == 'classification' else 'mse, mae or huber'}")
    return {
        "crossentropy": keras.losses.SparseCategoricalCrossentropy,
        "mse": keras.losses.MeanSquaredError,
        "mae": keras.losses.MeanAbsoluteError,
        "huber": keras.losses.Huber,
    }[name]()


def make_optimizer(config: Config, steps_per_epoch: int):
    """Adam or SGD (momentum), with a learning-rate schedule counted in epochs."""
    from models.backend import keras

    o = config.optimizer
    schedules = keras.optimizers.schedules
    total = steps_per_epoch * config.train.epochs
    lr = {
        "constant": lambda: o.lr,
        "cosine": lambda: schedules.CosineDecay(o.lr, decay_steps=total),
        "exponential": lambda: schedules.ExponentialDecay(o.lr, o.decay_epochs * steps_per_epoch, o.decay_rate),
        "step": lambda: schedules.ExponentialDecay(o.lr, o.decay_epochs * steps_per_epoch, o.decay_rate, staircase=True),
    }[o.schedule]()
    if o.name == "sgd":
        return keras.optimizers.SGD(lr, momentum=o.momentum, nesterov=o.nesterov)
    return keras.optimizers.Adam(lr)


def build_and_compile(config: Config, prepared: Prepared, steps_per_epoch: int):
    """(model to fit, model to save): they differ only when FGSM training wraps the model."""
    from models.backend import keras
    from models.registry import build_model

    model = build_model(config.builder, config.model_params(), prepared.feature_shape, prepared.head)
    trained = model
    if config.train.fgsm_eps > 0:
        from pipelines.adversarial import AdversarialModel

        trained = AdversarialModel(model, config.train.fgsm_eps, config.train.fgsm_ratio)
    metrics = (["accuracy"] if prepared.head.task == "classification"
               else ["mae", keras.metrics.RootMeanSquaredError(name="rmse")])
    trained.compile(optimizer=make_optimizer(config, steps_per_epoch), loss=loss_for(config, prepared.head.task),
                    metrics=metrics)
    return trained, model


# resume bookkeeping -----------------------------------------------------------------------
def backup_epoch(backup_dir: Path) -> int:
    """First epoch to run: one after the epoch BackupAndRestore saved last (0 without a backup)."""
    from models.backend import tf

    latest = tf.train.latest_checkpoint(str(backup_dir / "chief"))
    if not latest:
        return 0
    reader = tf.train.load_checkpoint(latest)
    for name in reader.get_variable_to_shape_map():
        if "ckpt_saved_epoch" in name:
            return int(reader.get_tensor(name)) + 1
    return 0


def read_history(path: Path, before_epoch: int) -> list[dict]:
    """Rows of history.csv for epochs before ``before_epoch``; rewrites the file without later rows."""
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("epoch", "").isdigit() and int(r["epoch"]) < before_epoch]
    if rows:
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.unlink()
    return rows


def history_dict(path: Path) -> dict[str, list[float]]:
    if not path.is_file():
        return {}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(r[k]) for r in rows] for k in keys}


# the run ----------------------------------------------------------------------------------
def train(config: Config, out: str | Path, *, overwrite: bool = False, log: Callable[[str], None] = print) -> TrainResult:
    """Train ``config`` into run directory ``out`` (see the module docstring)."""
    from pipelines.datasets import resolve
    from pipelines.strategy import is_chief, make_strategy

    # what can be refused without TensorFlow is refused before it loads (seconds earlier)
    resolve(config.dataset_uri)
    Pipeline.from_spec(config.preprocess_spec())
    if importlib.util.find_spec("tensorflow") is None:  # an edge-only install: say so before writing anything
        require("tensorflow", "train", "training")
    out = Path(out)
    chief = is_chief(config.train.strategy)
    state = outdir.claim(out, config.to_dict(), overwrite=overwrite) if chief else "worker"
    if state == "complete":
        return TrainResult("already-complete", out, json.loads((out / "metrics.json").read_text("utf-8")),
                           message=f"{out} already holds this finished run (use --overwrite to train again)")
    from models.backend import keras, tf
    from pipelines import callbacks as cb
    # non-chief workers write everything but the shared backup to a scratch directory
    work = out if chief else Path(tempfile.mkdtemp(prefix="edgenn-worker-"))
    started = time.perf_counter()
    keras.utils.set_random_seed(config.seed)
    # Dropout and the other random layers draw from a tf.random.Generator whose state is a variable of the
    # model, saved in every backup: a resumed run continues the random stream where the killed one stopped
    # (with the default stateful ops it would restart it, and diverge from the first resumed step)
    keras.backend.experimental.enable_tf_random_generator()
    if config.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = make_strategy(config.train.strategy)
    prepared = prepare(config, log)
    n_train = len(prepared.labels["train"])
    bs = config.train.batch_size
    backup_dir = out / "backup"
    first_epoch = backup_epoch(backup_dir)
    if first_epoch:
        log(f"resuming {out} at epoch {first_epoch + 1} of {config.train.epochs}")
    earlier = read_history(work / HISTORY_FILE, first_epoch) if first_epoch else []
    if not first_epoch and (work / HISTORY_FILE).exists():
        (work / HISTORY_FILE).unlink()

    data, steps_per_epoch, val = input_streams(config, prepared, work, first_epoch)
    with strategy.scope():
        trained, model = build_and_compile(config, prepared, steps_per_epoch or -(-n_train // bs))
    cb.track_random_state(model)
    log(f"model {config.builder}: {model.count_params():,} parameters, input {prepared.feature_shape}, "
        f"{strategy.num_replicas_in_sync} replica(s)")
    guard = cb.NanGuard()
    checkpoints = cb.Checkpoints(work / "checkpoints", monitor=config.train.monitor, patience=config.train.early_stopping,
                                 guard=guard, history=earlier, write=True)
    callbacks = [
        guard,
        cb.guarded_backup(backup_dir, guard),
        keras.callbacks.CSVLogger(str(work / HISTORY_FILE), append=True),
        keras.callbacks.TensorBoard(str(work / "logs"), histogram_freq=0, write_graph=False, profile_batch=0),
        checkpoints,
    ]
    fit_started = time.perf_counter()
    trained.fit(data, epochs=config.train.epochs, steps_per_epoch=steps_per_epoch, validation_data=val,
                callbacks=callbacks, verbose=config.train.verbose)
    fit_seconds = time.perf_counter() - fit_started
    history = history_dict(work / HISTORY_FILE)
    if history:
        restored = checkpoints.best_epoch + 1 if config.train.restore_best and checkpoints.best_epoch >= 0 else None
        _plots().learning_curves(history, work / "curves.png", f"{config.name}: learning curves", restored)
    if guard.tripped:
        epoch, batch = guard.tripped_at
        last = work / "checkpoints" / cb.LAST
        kept = f"kept the last good checkpoint {last}" if last.exists() else "no epoch finished before it"
        if chief:
            outdir.write_state(out, config.to_dict(), "diverged", epoch=epoch + 1, batch=batch)
        return TrainResult("diverged", out, history=history, seconds=time.perf_counter() - started,
                           message=f"loss became NaN/inf at epoch {epoch + 1}, batch {batch + 1} "
                                   f"(learning rate {config.optimizer.lr:g} too high?); training stopped; {kept}")
    best = work / "checkpoints" / cb.BEST
    if config.train.restore_best and best.exists():
        model.load_weights(best)
        log(f"restored the best weights (epoch {checkpoints.best_epoch + 1}, {config.train.monitor}={checkpoints.best:.4g})")
    metrics = evaluate(model, prepared)
    metrics["training"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "fit_seconds": round(fit_seconds, 2),
        "epochs_run": len(next(iter(history.values()), [])),
        "epochs": config.train.epochs,
        "best_epoch": checkpoints.best_epoch + 1,
        "stopped_early": checkpoints.stopped_epoch is not None,
        "samples_per_second": round(n_train * max(0, config.train.epochs - first_epoch) / max(fit_seconds, 1e-9), 1),
        "strategy": config.train.strategy,
        "replicas": int(strategy.num_replicas_in_sync),
        "resumed_at_epoch": first_epoch + 1 if first_epoch else None,
    }
    if not chief:  # saving runs collective ops: every worker saves, the others to scratch space
        model.save(work / "model.keras")
        shutil.rmtree(work, ignore_errors=True)
        return TrainResult("complete", out, metrics, history, time.perf_counter() - started, model=model)
    write_outputs(config, prepared, model, metrics, work)
    shutil.rmtree(backup_dir, ignore_errors=True)  # BackupAndRestore leaves its empty folder behind
    outdir.write_state(out, config.to_dict(), "complete")
    return TrainResult("complete", out, metrics, history, time.perf_counter() - started, model=model)


def evaluate(model, prepared: Prepared) -> dict[str, Any]:
    """Test-split metrics computed in numpy from the model's predictions."""
    from edge_runtime.metrics import classification_metrics, regression_metrics

    if prepared.features is None:  # streamed: labels come with the batches
        batches = [(model.predict_on_batch(x), y.numpy()) for x, y in prepared.streams["test"]]
        predictions, y = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    else:
        x, y = prepared.features["test"], prepared.labels["test"]
        predictions = model.predict(x, batch_size=512, verbose=0)
    if prepared.head.task == "classification":
        return {"task": "classification", "test": classification_metrics(y, predictions, prepared.dataset.class_names)}
    return {"task": "regression", "test": regression_metrics(y, predictions)}


def held_out_samples(dataset, seed: int) -> dict[str, np.ndarray]:
    """Raw samples for export, capped: calibration and labelled fine-tuning sets (both from the
    training split; tfmot's QAT/pruning/clustering fine-tune on the latter), spare training samples
    neither uses (export validation tops a small validation split up with them), validation and test."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(dataset.x_train))
    calibration = np.sort(order[:SAMPLE_CAPS["calibration"]])
    finetune = np.sort(order[:SAMPLE_CAPS["finetune"]])
    spare = np.sort(order[SAMPLE_CAPS["finetune"]:SAMPLE_CAPS["finetune"] + SAMPLE_CAPS["spare"]])
    return {
        "calibration_x": dataset.x_train[calibration],
        "finetune_x": dataset.x_train[finetune],
        "finetune_y": dataset.y_train[finetune],
        "spare_x": dataset.x_train[spare],
        "validation_x": dataset.x_val[:SAMPLE_CAPS["validation"]],
        "validation_y": dataset.y_val[:SAMPLE_CAPS["validation"]],
        "test_x": dataset.x_test[:SAMPLE_CAPS["test"]],
        "test_y": dataset.y_test[:SAMPLE_CAPS["test"]],
    }


def write_outputs(config: Config, prepared: Prepared, model, metrics: dict, out: Path) -> None:
    """metrics.json, confusion.png, then the run directory contract (run.json last)."""
    from models.rundir import save_run

    dataset = prepared.dataset
    atomic.write_json(out / "metrics.json", metrics)
    if metrics["task"] == "classification":
        _plots().confusion(metrics["test"]["confusion_matrix"], dataset.class_names, out / "confusion.png",
                           f"{config.name}: test accuracy {metrics['test']['accuracy']:.4f}")
    save_run(
        out, model=model, pipeline=prepared.pipeline, config=config.to_dict(), task=dataset.task,
        labels=dataset.class_names if dataset.task == "classification" else ["target"],
        input_spec=dataset.input_spec, samples=held_out_samples(dataset, config.seed), metrics=metrics,
        dataset={"name": dataset.name, "source": dataset.source, "official_test": dataset.official_test,
                 "sizes": {s: int(len(dataset.split(s)[1])) for s in ("train", "val", "test")}},
        extra={"model": {"builder": config.builder, "params": int(model.count_params()),
                         "input_shape": list(prepared.feature_shape),
                         "output_shape": [int(d) for d in model.output_shape[1:]]}},
    )


def summary_line(result: TrainResult) -> str:
    """One line for the console: the test metric and the time."""
    test = result.metrics.get("test", {})
    if "accuracy" in test:
        what = f"test accuracy {test['accuracy']:.4f}"
    elif "mae" in test:
        what = f"test MAE {test['mae']:.4g}, RMSE {test['rmse']:.4g}, R2 {'undefined' if test['r2'] is None else format(test['r2'], '.3f')}"
    else:
        what = "no test metrics"
    seconds = result.metrics.get("training", {}).get("seconds", result.seconds)
    return f"{result.out}: {what} ({seconds:.1f} s)" if not math.isnan(seconds) else f"{result.out}: {what}"


def _plots():
    from pipelines import plots

    return plots
