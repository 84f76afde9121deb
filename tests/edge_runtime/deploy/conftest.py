"""A loopback fleet for the deploy tests, built once per session: two real sshd devices and the client side.

- ``dev-a`` and ``dev-b``: sshd on free 127.0.0.1 ports, each with its own home (so its own ~/edgenn);
- ``closed``: a free port with nothing listening; ``wrong-key``: dev-a with a key it never authorized;
  ``changed-key``: dev-a with a known_hosts that holds another host key; ``unknown-host``: an empty one;
- a wheelhouse of the edge extra (from the local pip cache), so the devices install offline;
- a bundle whose directory name tries shell injection: deploy must quote it.
The first deploy (both devices, with bench) creates the devices' venvs; later tests reuse them.
"""

from __future__ import annotations

import time

import pytest

from tests.edge_runtime.deploy.sshd import Fleet, edge_wheelhouse

#: the bundle's directory name: a remote shell that saw it unquoted would create a file called INJECTED
EVIL_NAME = "tiny cnn; touch INJECTED $(touch INJECTED)"
BENCH = ["--runs", "50", "--warmup", "5"]


@pytest.fixture(scope="session")
def fleet(tmp_path_factory):
    fleet = Fleet.create(tmp_path_factory.mktemp("fleet"))
    try:
        yield fleet
    finally:
        fleet.stop()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory):
    """The edge extra's wheels for this Python, as a user would prepare them for offline devices."""
    return edge_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


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
