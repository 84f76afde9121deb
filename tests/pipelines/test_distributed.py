"""Distributed training for real: MirroredStrategy over two logical CPUs, and two worker processes
with MultiWorkerMirroredStrategy on loopback ports that finish with identical weights.

Each case runs in fresh subprocesses (logical devices must be set before TensorFlow initializes
them; every worker needs its own process), with a time bound, and always ends its workers.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.pipelines.conftest import TINY_DIGITS, write_config

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]
TIMEOUT = 240

TRAIN_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from models.backend import tf
    if sys.argv[4] == "2cpu":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from pipelines.config import load_config
    from pipelines.train import train
    config = load_config(sys.argv[1], ["train.strategy=" + sys.argv[3]])
    result = train(config, sys.argv[2], log=lambda line: None)
    weights = result.model.get_weights()
    np.savez(sys.argv[2] + "-weights-" + sys.argv[5] + ".npz", *weights)
    print(json.dumps({"status": result.status, "replicas": result.metrics["training"]["replicas"],
                      "accuracy": result.metrics["test"]["accuracy"]}))
""")


def _env(**extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("TF_CONFIG", None)
    env.update(extra)
    return env


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture
def config(tmp_path):
    sections = {**TINY_DIGITS, "model": {"builder": "mlp", "hidden": [16]},
                "train": {"epochs": 2, "batch_size": 64, "verbose": 0}}
    return write_config(tmp_path / "dist.toml", sections)


def _weights(path):
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def test_mirrored_strategy_trains_over_two_logical_cpus(tmp_path, config):
    out = tmp_path / "mirrored"
    done = subprocess.run([sys.executable, "-c", TRAIN_SCRIPT, config, str(out), "mirrored", "2cpu", "0"],
                          env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "complete" and report["replicas"] == 2
    assert (out / "run.json").exists()


def test_two_workers_on_loopback_finish_with_identical_weights(tmp_path, config):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    out = tmp_path / "multi"
    workers = []
    try:
        for index in range(2):
            tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            workers.append(subprocess.Popen(
                [sys.executable, "-c", TRAIN_SCRIPT, config, str(out), "multiworker", "1cpu", str(index)],
                env=_env(TF_CONFIG=tf_config), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outputs = [w.communicate(timeout=TIMEOUT) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
            w.wait(timeout=30)
    for w, (_, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err[-3000:]
        assert "WARNING: TF_CONFIG names only loopback addresses, but TensorFlow's gRPC server listens on" in err
    reports = [json.loads(o.strip().splitlines()[-1]) for o, _ in outputs]
    assert [r["replicas"] for r in reports] == [2, 2]
    chief, other = _weights(f"{out}-weights-0.npz"), _weights(f"{out}-weights-1.npz")
    for a, b in zip(chief, other, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (out / "run.json").exists()  # the chief wrote the run directory
    assert not any(p.name.startswith("edgenn-worker-") for p in out.iterdir())


SERVER_SCRIPT = """
import json, sys
from models.backend import tf
server = tf.distribute.Server({"worker": [sys.argv[1]]}, job_name="worker", task_index=0, start=True)
print("started", flush=True)
sys.stdin.read()
"""


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                    found.add(address)
    return found


def test_a_loopback_cluster_still_listens_on_every_interface():
    """The reference for the warning: TensorFlow binds 0.0.0.0 (or ::) even for 127.0.0.1 in TF_CONFIG."""
    port = _free_ports(1)[0]
    server = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, f"127.0.0.1:{port}"], env=_env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "started"
        addresses = _listening(port)
    finally:
        server.kill()
        server.communicate(timeout=30)
    assert addresses & {"00000000", "00000000000000000000000000000000"}, addresses
    assert "0100007F" not in addresses  # not bound to 127.0.0.1 alone


def test_the_warning_names_the_port_and_is_loudest_for_loopback_clusters():
    from pipelines.strategy import exposure_warning

    loopback = {"cluster": {"worker": ["127.0.0.1:2222", "localhost:2223"]}, "task": {"type": "worker", "index": 1}}
    remote = {"cluster": {"worker": ["10.0.0.5:2222", "10.0.0.6:2222"]}, "task": {"type": "worker", "index": 0}}
    assert "names only loopback addresses" in exposure_warning(loopback) and "0.0.0.0:2223" in exposure_warning(loopback)
    assert "trusted network" in exposure_warning(remote) and "loopback" not in exposure_warning(remote)
