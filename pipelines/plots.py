"""Charts written next to a run: learning curves, the confusion matrix, a sweep's curves.

matplotlib with the Agg backend (no display needed); every function writes one PNG and
returns its path.
"""

from __future__ import annotations

from pathlib import Path

from edge_runtime import atomic


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed); every edgenn chart starts here."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def learning_curves(history: dict[str, list[float]], path: str | Path, title: str = "",
                    restored_epoch: int | None = None) -> Path:
    """Train vs validation loss (left) and metric (right) per epoch: the gap shows overfitting.

    ``restored_epoch`` (1-based): the epoch whose weights the model kept, drawn as a dashed line.
    """
    plt = pyplot()
    metric = next((k for k in history if not k.startswith(("val_", "loss", "lr", "epoch"))), None)
    panels = [("loss", "loss")] + ([(metric, metric)] if metric else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.6), squeeze=False)
    for ax, (key, label) in zip(axes[0], panels, strict=True):
        epochs = range(1, len(history.get(key, [])) + 1)
        ax.plot(epochs, history.get(key, []), label=f"train {label}")
        if f"val_{key}" in history:
            ax.plot(range(1, len(history[f"val_{key}"]) + 1), history[f"val_{key}"], label=f"validation {label}")
        if restored_epoch is not None:
            ax.axvline(restored_epoch, color="0.4", linestyle="--", linewidth=1,
                       label=f"restored (epoch {restored_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save(fig, path)


def confusion(matrix, class_names: list[str], path: str | Path, title: str = "") -> Path:
    """The confusion matrix with counts in the cells (rows true, columns predicted)."""
    import numpy as np

    plt = pyplot()
    matrix = np.asarray(matrix)
    size = max(4.0, 0.5 * len(class_names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(class_names)), class_names, rotation=90 if len(class_names) > 10 else 0)
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                color="white" if count > threshold else "black")
    ax.set_title(title or "confusion matrix")
    fig.tight_layout()
    return save(fig, path)


def sweep_curves(runs: list[tuple], key: str, path: str | Path, title: str = "") -> Path:
    """One line per run of ``history[key]`` (e.g. val_loss), log scale when values span decades.

    ``runs``: ``(label, history)`` or ``(label, history, restored_epoch)``; a restored epoch is ringed.
    """
    import math

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    values = []
    for label, history, *restored in runs:
        series = [v if math.isfinite(v) else float("nan") for v in history.get(key, [])]
        values += [v for v in series if math.isfinite(v)]
        (line,) = ax.plot(range(1, len(series) + 1), series, marker="o", markersize=3, label=label)
        epoch = restored[0] if restored else None
        if epoch is not None and 1 <= epoch <= len(series):
            ax.plot([epoch], [series[epoch - 1]], marker="o", markersize=10, markerfacecolor="none",
                    markeredgecolor=line.get_color(), linestyle="none")
    if values and min(values) > 0 and max(values) / min(values) > 30:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(key)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or f"{key} per epoch")
    fig.tight_layout()
    return save(fig, path)


def save(fig, path: str | Path, dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG atomically, then close it (also when writing fails)."""
    try:
        return atomic.write_with(path, lambda tmp: fig.savefig(tmp, dpi=dpi))
    finally:
        pyplot().close(fig)
