"""Training callbacks: NaN guard, last-good and best checkpoints with early stopping, resumable state.

Keras's own ModelCheckpoint / EarlyStopping forget what they watched when a killed run resumes,
and save the weights of an epoch whose loss went NaN; these keep their state in the history
and never write weights that are not finite.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from edge_runtime import atomic
from models.backend import keras

LAST = "last_weights.h5"  # legacy h5 layout: loads into distributed variables too
BEST = "best_weights.h5"


def monitor_mode(monitor: str) -> str:
    """'max' for accuracies and R2, 'min' for losses and errors."""
    return "max" if monitor.endswith(("accuracy", "acc", "r2")) else "min"


class NanGuard(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is NaN or inf, and remembers where."""

    def __init__(self):
        super().__init__()
        self.tripped_at: tuple[int, int] | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.tripped_at is None:
            self.tripped_at = (self._epoch, batch)
            self.model.stop_training = True

    @property
    def tripped(self) -> bool:
        return self.tripped_at is not None


class Checkpoints(keras.callbacks.Callback):
    """After each good epoch: save ``last``; save ``best`` when ``monitor`` improved; early-stop.

    ``history`` (rows of earlier epochs, when resuming) restores the best value and the patience
    count, so a resumed run stops where an uninterrupted one would. Nothing is written once the
    NaN guard tripped, so ``last`` is the last good state. Only the chief writes (multi-worker).
    """

    def __init__(self, directory: str | Path, *, monitor: str, patience: int, guard: NanGuard,
                 history: list[dict] | None = None, write: bool = True):
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.mode = monitor_mode(monitor)
        self.patience = patience
        self.guard = guard
        self.write = write
        self.best = -math.inf if self.mode == "max" else math.inf
        self.best_epoch = -1
        self.wait = 0
        self.stopped_epoch: int | None = None
        for row in history or []:
            self._observe(int(row["epoch"]), float(row.get(monitor, "nan")))

    def _better(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return value > self.best if self.mode == "max" else value < self.best

    def _observe(self, epoch: int, value: float) -> bool:
        if self._better(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return True
        self.wait += 1
        return False

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.tripped or not _weights_finite(self.model):
            return
        value = float((logs or {}).get(self.monitor, float("nan")))
        improved = self._observe(epoch, value)
        if self.write:
            self.directory.mkdir(parents=True, exist_ok=True)
            _save_weights(self.model, self.directory / LAST)
            if improved:
                _save_weights(self.model, self.directory / BEST)
        if self.patience and self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True


def track_random_state(model) -> int:
    """Put the random layers' generator states (Dropout with ``enable_tf_random_generator``) into the model's
    checkpoint: a layer without weights is not in it, so BackupAndRestore would restore every weight but
    restart the dropout stream, and the resumed run would diverge. Returns how many generators it tracks."""
    generators = [gen for layer in model._flatten_layers(include_self=False, recursive=True)
                  if (gen := getattr(getattr(layer, "_random_generator", None), "_generator", None)) is not None]
    if generators:
        model._edgenn_random_state = generators
    return len(generators)


def guarded_backup(backup_dir: str | Path, guard: NanGuard):
    """BackupAndRestore that does not back up a diverged state (the re-run resumes from the last good one)."""

    class GuardedBackupAndRestore(keras.callbacks.BackupAndRestore):
        def on_epoch_end(self, epoch, logs=None):
            if guard.tripped or not _weights_finite(self.model):
                return
            super().on_epoch_end(epoch, logs)

    return GuardedBackupAndRestore(str(backup_dir), delete_checkpoint=True)


def _weights_finite(model) -> bool:
    return all(np.isfinite(w).all() for w in model.get_weights())


def _save_weights(model, path: Path) -> None:
    atomic.write_with(path, model.save_weights)
