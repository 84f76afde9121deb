"""tf.distribute strategies by name: one process, all local devices, or several machines.

``multiworker`` reads the cluster from the ``TF_CONFIG`` environment variable (the standard
way): every worker runs the same command, the chief (worker 0) writes the run directory.

Security: TensorFlow's gRPC server binds ``0.0.0.0:<port>`` with insecure credentials, whatever
address TF_CONFIG gives (``grpc_server_lib.cc`` hard-codes both; there is no option to change it).
Anyone who can reach a worker's port can run TensorFlow ops in that process, so workers belong on
a trusted network; :func:`exposure_warning` says so on every multi-worker start, loudest when the
cluster names only loopback addresses (where a user would expect nothing to be reachable).
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys

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
        print(exposure_warning(cluster), file=sys.stderr, flush=True)
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.RING)
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    raise ConfigError(f"Expected strategy one of {', '.join(STRATEGIES)}. Received: strategy={name!r}")


def _is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(cluster: dict) -> str:
    """One line on what this worker exposes: its gRPC port on every interface, unauthenticated."""
    tasks = [a for job in cluster.get("cluster", {}).values() if isinstance(job, list) for a in job]
    task = cluster.get("task", {})
    try:
        mine = cluster["cluster"][task.get("type", "worker")][int(task.get("index", 0))]
        port = mine.rsplit(":", 1)[1]
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        port = "?"
    if tasks and all(_is_loopback(a) for a in tasks):
        return (f"WARNING: TF_CONFIG names only loopback addresses, but TensorFlow's gRPC server listens on "
                f"0.0.0.0:{port} (every interface, no authentication; TensorFlow cannot bind it to loopback): "
                f"anyone who reaches this machine's port {port} can run code in this process while training "
                "runs. Block the port in a firewall or train on a trusted network.")
    return (f"WARNING: TensorFlow's gRPC server listens on 0.0.0.0:{port} without authentication: run "
            "multi-worker training only on a trusted network (see README, 'Security model').")


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
