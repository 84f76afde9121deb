"""A loopback fleet for the deploy tests, built once per session: two real sshd devices and the client side.

- ``dev-a`` and ``dev-b``: sshd on free 127.0.0.1 ports, each with its own home (so its own ~/edgenn);
- ``closed``: a free port with nothing listening; ``wrong-key``: dev-a with a key it never authorized;
  ``changed-key``: dev-a with a known_hosts that holds another host key; ``unknown-host``: an empty one;
- a wheelhouse of the edge extra (from the local pip cache), so the devices install offline;
- a bundle whose directory name tries shell injection: deploy must quote it.
The first deploy (both devices, with bench) creates the devices' venvs; later tests reuse them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.edge_runtime.deploy.sshd import Sshd, free_port, host_entry, keygen, start_sshd

REPO = Path(__file__).resolve().parents[3]
#: the bundle's directory name: a remote shell that saw it unquoted would create a file called INJECTED
EVIL_NAME = "tiny cnn; touch INJECTED $(touch INJECTED)"
BENCH = ["--runs", "50", "--warmup", "5"]


@dataclass
class Fleet:
    root: Path
    config: Path
    known_hosts: Path
    user_key: Path
    authorized_keys: Path
    devices: dict[str, Sshd] = field(default_factory=dict)

    def add_device(self, alias: str, home: Path | None = None) -> Sshd:
        """Start another sshd, trust its host key and give it an alias (``home`` shares a device's)."""
        server = start_sshd(self.root / alias, self.authorized_keys, home)
        self.devices[alias] = server
        with self.known_hosts.open("a") as f:
            f.write(server.known_hosts_line() + "\n")
        with self.config.open("a") as f:
            f.write(host_entry(alias, server.port, self.user_key, self.known_hosts))
        return server

    def deploy(self, *args: str, bench: list[str] | None = None, timeout: float = 600) -> tuple[int, str, dict]:
        """Run ``edgenn deploy`` as a user would; returns exit code, output and the --json record."""
        record = self.root / f"deploy-{time.monotonic_ns()}.json"
        done = subprocess.run(self.command(*args, "--json", str(record), bench=bench), cwd=self.root, env=self.env(),
                              capture_output=True, text=True, timeout=timeout)
        data = json.loads(record.read_text()) if record.exists() else {}
        return done.returncode, done.stdout + done.stderr, data

    def command(self, *args: str, bench: list[str] | None = None) -> list[str]:
        return [sys.executable, "-m", "pipelines.cli", "deploy", "--ssh-config", str(self.config), *args,
                *([] if bench is None else ["--bench", *bench])]

    @staticmethod
    def env() -> dict:
        return {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.fixture(scope="session")
def fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("fleet")
    user_key, stranger = root / "id_user", root / "id_stranger"
    authorized = root / "authorized_keys"
    authorized.write_text(keygen(user_key) + "\n")
    keygen(stranger)
    fleet = Fleet(root, root / "ssh_config", root / "known_hosts", user_key, authorized)
    fleet.config.write_text("")
    fleet.known_hosts.write_text("")
    try:
        a = fleet.add_device("dev-a")
        fleet.add_device("dev-b")
        other_host_key = keygen(root / "other_host_key")
        (root / "known_hosts_changed").write_text(a.known_hosts_line(other_host_key) + "\n")
        (root / "known_hosts_empty").write_text("")
        with fleet.config.open("a") as f:
            f.write(host_entry("closed", free_port(), user_key, fleet.known_hosts))
            f.write(host_entry("wrong-key", a.port, stranger, fleet.known_hosts))
            f.write(host_entry("changed-key", a.port, user_key, root / "known_hosts_changed"))
            f.write(host_entry("unknown-host", a.port, user_key, root / "known_hosts_empty"))
        yield fleet
    finally:
        for server in fleet.devices.values():
            server.stop()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory):
    """The edge extra's wheels for this Python, as a user would prepare them for offline devices."""
    from edge_runtime.deploy.wheel import build_wheel

    root = tmp_path_factory.mktemp("wheelhouse")
    wheel = build_wheel(root / "build")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "-d",
                    str(root / "wheels"), "-c", str(REPO / "constraints.txt"), f"{wheel}[edge]"],
                   check=True, timeout=600, capture_output=True)
    (root / "wheels" / wheel.name).unlink()  # deploy builds its own edgenn wheel
    return root / "wheels"


@pytest.fixture(scope="session")
def evil_bundle(tmp_path_factory):
    from tests.edge_runtime.bundle_factory import copy_bundle

    root = tmp_path_factory.mktemp("bundles")
    return copy_bundle(root).rename(root / EVIL_NAME)


@pytest.fixture(scope="session")
def first_deploy(fleet, wheelhouse, evil_bundle):
    """Both devices from nothing: copy, venv, offline install, inspect, bench, fetch, report."""
    start = time.monotonic()
    code, output, record = fleet.deploy("dev-a", "dev-b", "--bundle", str(evil_bundle), "--wheelhouse",
                                        str(wheelhouse), "--out", str(fleet.root / "results"), bench=BENCH)
    return code, output, record, time.monotonic() - start
