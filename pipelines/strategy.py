"""tf.distribute strategies by name: one process, all local devices, or several machines.

``multiworker`` reads the cluster from the ``TF_CONFIG`` environment variable (the standard
way): every worker runs the same command, the chief (worker 0) writes the run directory.
"""

from __future__ import annotations

import json
import os

from edge_runtime.errors import ConfigError

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name: str):
    """The strategy called ``name``; ``multiworker`` needs TF_CONFIG (cluster and this task)."""
    from models.backend import tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        cluster = tf_config()
        if not cluster.get("cluster", {}).get("worker"):
            raise ConfigError(
                "Expected TF_CONFIG with a cluster of workers for --strategy multiworker, e.g. "
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": "worker", "index": 0}}. '
                f"Received: TF_CONFIG={os.environ.get('TF_CONFIG', '')!r}"
            )
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    raise ConfigError(f"Expected strategy one of {', '.join(STRATEGIES)}. Received: strategy={name!r}")


def tf_config() -> dict:
    """The parsed TF_CONFIG (empty when unset); bad JSON is a ConfigError."""
    text = os.environ.get("TF_CONFIG", "")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"Expected TF_CONFIG to be JSON. Received: {text[:80]!r} ({exc})") from exc
    if not isinstance(value, dict):
        raise ConfigError(f"Expected TF_CONFIG to be a JSON object. Received: {text[:80]!r}")
    return value


def is_chief(name: str) -> bool:
    """Whether this process writes the outputs: always, except non-chief multi-worker tasks."""
    if name != "multiworker":
        return True
    task = tf_config().get("task", {})
    if task.get("type") == "chief":
        return True
    has_chief = bool(tf_config().get("cluster", {}).get("chief"))
    return not has_chief and task.get("type", "worker") == "worker" and int(task.get("index", 0)) == 0
