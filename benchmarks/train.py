"""Training throughput on this machine: samples per second for the MLP, CNN and hybrid configs,
and what the feature cache saves (hybrid: HOG computed once vs recomputed every epoch).

    .venv/bin/python benchmarks/train.py [--epochs 3]

Epoch 1 (graph tracing) is left out of the rates. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("mnist_mlp", "mnist_cnn", "mnist_hybrid")


class EpochTimes:
    """Wall time of every epoch (a Keras callback made on first use)."""

    def __new__(cls):
        from models.backend import keras

        class Timer(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.times = []

            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(time.perf_counter() - self.start)

        return Timer()


def measure(name: str, epochs: int) -> dict:
    from edge_runtime.preprocess import Pipeline
    from pipelines.config import load_config
    from pipelines.features import compute_features, per_batch_dataset, steps, train_dataset
    from pipelines.train import Prepared, build_and_compile, load_dataset, make_head

    config = load_config(ROOT / "configs" / f"{name}.toml")
    dataset = load_dataset(config)
    pipeline = Pipeline.from_spec(config.preprocess_spec())
    if pipeline.requires_fit:
        pipeline.fit(dataset.x_train)
    started = time.perf_counter()
    features = compute_features(pipeline, dataset.x_train)
    feature_seconds = time.perf_counter() - started
    bs = config.train.batch_size
    n = len(features)
    prepared = Prepared(dataset, pipeline, make_head(config, dataset), features.shape[1:], {"train": features},
                        {"train": dataset.y_train}, 0)
    row = {"config": name, "features": f"{features.shape[1:]}", "feature_s": feature_seconds}
    for mode in ("cached", "per-batch"):
        trained, model = build_and_compile(config, prepared, steps(n, bs))
        timer = EpochTimes()
        if mode == "cached":
            data = train_dataset(features, dataset.y_train, batch_size=bs, seed=0, first_epoch=0, epochs=epochs)
            trained.fit(data, epochs=epochs, steps_per_epoch=steps(n, bs), callbacks=[timer], verbose=0)
        else:
            data = per_batch_dataset(pipeline, dataset.x_train, dataset.y_train, batch_size=bs, seed=0)
            trained.fit(data, epochs=epochs, callbacks=[timer], verbose=0)
        steady = timer.times[1:] or timer.times
        row[mode] = n / (sum(steady) / len(steady))
        row["params"] = model.count_params()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS))
    args = parser.parse_args()
    import os

    print(f"MNIST-5k training split (3500 images), {os.cpu_count()} CPU cores, {args.epochs} epochs (first left out)")
    header = f"{'config':<14} {'params':>8} {'features':>12} {'once (s)':>9} {'cached/s':>10} {'per-batch/s':>12} {'cache speed-up':>15}"
    print(header)
    print("-" * len(header))
    for name in args.configs:
        r = measure(name, args.epochs)
        print(f"{r['config']:<14} {r['params']:>8,} {r['features']:>12} {r['feature_s']:>9.2f} "
              f"{r['cached']:>10,.0f} {r['per-batch']:>12,.0f} {r['cached'] / r['per-batch']:>14.1f}x")


if __name__ == "__main__":
    main()
