"""From raw samples to Keras: the edge_runtime preprocessing pipeline feeding tf.data.

Training runs the very numpy code the device runs (``edge_runtime.preprocess``), batch-vectorized,
once per dataset: features are computed in chunks, kept in memory and, keyed by a sha256 of the
pipeline spec and the raw bytes, on disk, so a resumed run or a sweep does not recompute HOG.
tf.data then only shuffles, batches and prefetches. ``per_batch_dataset`` (no cache: features
recomputed every epoch) exists for comparison, and ``stream_folder`` decodes images from disk in
parallel for datasets that do not fit in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from edge_runtime.preprocess import Pipeline

#: raw samples per numpy call: large enough to vectorize, small enough to bound memory
CHUNK = 2048


def compute_features(pipeline: Pipeline, x: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """``pipeline.transform`` over ``x`` in chunks of ``chunk`` samples, as float32."""
    if len(x) == 0:
        shape = pipeline.output_shape(x.shape[1:])
        return np.zeros((0, *shape), np.float32)
    parts = [pipeline.transform(x[i:i + chunk]) for i in range(0, len(x), chunk)]
    return np.ascontiguousarray(np.concatenate(parts).astype(np.float32, copy=False))


def cache_dir() -> Path:
    """Where cached features live: ``$EDGENN_CACHE_DIR`` or ``~/.cache/edgenn/features``."""
    env = os.environ.get("EDGENN_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "edgenn" / "features"


def features_key(pipeline: Pipeline, x: np.ndarray) -> str:
    """sha256 of the fitted pipeline spec and the raw array (dtype, shape, bytes)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(_spec_for_key(pipeline), sort_keys=True, default=str).encode())
    digest.update(f"{x.dtype}{x.shape}".encode())
    digest.update(np.ascontiguousarray(x).data)
    return digest.hexdigest()


def cached_features(pipeline: Pipeline, x: np.ndarray, *, use_disk: bool = True) -> tuple[np.ndarray, bool]:
    """Features of ``x``, from the disk cache when present; returns ``(features, was_cached)``."""
    if not use_disk:
        return compute_features(pipeline, x), False
    path = cache_dir() / f"{features_key(pipeline, x)}.npy"
    if path.is_file():
        try:
            return np.load(path, allow_pickle=False), True
        except (OSError, ValueError):
            path.unlink(missing_ok=True)  # a damaged entry: recompute it
    features = compute_features(pipeline, x)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, features, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs time
    return features, False


def _spec_for_key(pipeline: Pipeline) -> list[dict]:
    spec = []
    for step in pipeline.steps:
        entry = {"op": step.op.name}
        for key, value in step.params.items():
            entry[key] = hashlib.sha256(np.ascontiguousarray(value).data).hexdigest() if isinstance(value, np.ndarray) else value
        spec.append(entry)
    return spec


# tf.data ---------------------------------------------------------------------------------
def _distribution_options(tf):
    options = tf.data.Options()
    # in-memory tensors have no files to shard by: split the batches between workers instead
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.experimental_deterministic = True
    return options


def train_dataset(features: np.ndarray, labels: np.ndarray, *, batch_size: int, seed: int,
                  first_epoch: int, epochs: int):
    """Shuffled mini-batches for epochs ``first_epoch..epochs-1``, as one tf.data stream.

    Each epoch's order is a stateless function of ``(seed, epoch)``, so a run resumed at epoch k
    sees exactly the batches an uninterrupted run sees from epoch k on. Pass
    ``steps_per_epoch = steps(len(features), batch_size)`` to ``fit``.
    """
    from models.backend import tf

    n = len(features)
    x = tf.constant(features)
    y = tf.constant(labels)

    def epoch_batches(epoch):
        order = tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64),
                                                         seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    dataset = tf.data.Dataset.range(first_epoch, epochs).flat_map(epoch_batches)
    dataset = dataset.map(lambda idx: (tf.gather(x, idx), tf.gather(y, idx)), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(_distribution_options(tf))


def eval_dataset(features: np.ndarray, labels: np.ndarray, *, batch_size: int):
    """Batches in order, for validation and test."""
    from models.backend import tf

    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(_distribution_options(tf))


def steps(n: int, batch_size: int) -> int:
    """Batches per epoch (the last one may be short)."""
    return max(1, -(-n // batch_size))


def per_batch_dataset(pipeline: Pipeline, x: np.ndarray, y: np.ndarray, *, batch_size: int, seed: int):
    """Raw batches preprocessed on the fly (every epoch again): the no-cache baseline."""
    from models.backend import tf

    out_shape = pipeline.output_shape(x.shape[1:])

    def transform(batch):
        return compute_features(pipeline, batch)

    def preprocess(xb, yb):
        feats = tf.numpy_function(transform, [xb], tf.float32, stateful=False)
        feats.set_shape([None, *out_shape])
        return feats, yb

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).batch(batch_size)
    return dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def stream_folder(paths: list[str], labels: np.ndarray, input_spec: dict, pipeline: Pipeline, *,
                  batch_size: int, shuffle_seed: int | None = None, cache: str | None = None):
    """Images decoded from disk in parallel, preprocessed per batch, cached, prefetched.

    ``cache`` is a file prefix for ``Dataset.cache`` (features on disk after the first epoch),
    ``""`` for memory, None for no cache. With ``shuffle_seed`` the file order is reshuffled
    every epoch before decoding (the cache then holds features keyed by position, so shuffling
    happens on the cached batches' file order only when no cache is used).
    """
    from models.backend import tf
    from pipelines.datasets.folder import decode_image

    height, width, channels = input_spec["shape"]
    out_shape = pipeline.output_shape((height, width, channels))

    def decode(path):
        return decode_image(path.decode("utf-8"), input_spec)

    def load(path, label):
        image = tf.numpy_function(decode, [path], tf.uint8, stateful=False)
        image.set_shape([height, width, channels])
        return image, label

    def preprocess(images, batch_labels):
        feats = tf.numpy_function(lambda b: compute_features(pipeline, b), [images], tf.float32, stateful=False)
        feats.set_shape([None, *out_shape])
        return feats, batch_labels

    dataset = tf.data.Dataset.from_tensor_slices((list(paths), np.asarray(labels)))
    if shuffle_seed is not None and cache is None:
        dataset = dataset.shuffle(len(paths), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    if cache is not None:
        dataset = dataset.cache(cache)
        if shuffle_seed is not None:  # shuffle whole cached batches: cheap, and the cache stays valid
            dataset = dataset.shuffle(steps(len(paths), batch_size), seed=shuffle_seed, reshuffle_each_iteration=True)
    return dataset.prefetch(tf.data.AUTOTUNE)
