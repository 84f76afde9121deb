"""Real OpenSSH servers on free 127.0.0.1 ports as test devices (Debian's openssh-server, not a mock).

Each server has its own generated host key, an authorized key, a log and a pid file under a temporary
directory; the client side is an ssh_config with one alias per device, a known_hosts holding the host
key and ``StrictHostKeyChecking yes``. Servers are ended by their pid. Traffic never leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path) -> str:
    """A new ed25519 key pair at ``path``; returns the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True)
    return path.with_suffix(".pub").read_text().strip()


@dataclass
class Sshd:
    """One running sshd: a device reachable at 127.0.0.1:port."""

    port: int
    home: Path
    host_public_key: str
    proc: subprocess.Popen
    log: Path

    def known_hosts_line(self, key: str | None = None) -> str:
        kind, blob = (key or self.host_public_key).split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {blob}"

    def tree(self) -> list[int]:
        """The server and every process below it (its sessions and what they run), from /proc."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                parents[int(stat.parent.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
        found, frontier = [], [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            found.append(pid)
            frontier += [child for child, parent in parents.items() if parent == pid]
        return found

    def kill_device(self) -> None:
        """A power cut: SIGKILL the server, its sessions and everything they started."""
        for pid in reversed(self.tree()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def start_sshd(root: Path, authorized_keys: Path, home: Path | None = None, cpu: int | None = None,
               chroot: Path | None = None, env: dict[str, str] | None = None) -> Sshd:
    """Start ``sshd -D`` on a free loopback port with a fresh host key; wait until it accepts connections.

    Sessions get HOME=``home`` (default ``root/home``): each device its own ``~/edgenn`` although we are
    root on all of them; a second server may share a device's home (the same board, reached again).
    ``chroot``: run the sshd of that root filesystem inside it (``root``, ``home`` and ``authorized_keys``
    then lie inside it too); ``env`` is set for its sessions (SetEnv), e.g. QEMU_CPU.
    """
    def guest(path: Path) -> str:  # a path as the server sees it
        return "/" + str(path.relative_to(chroot)) if chroot else str(path)

    root.mkdir(parents=True, exist_ok=True)
    ((chroot or Path("/")) / "run/sshd").mkdir(parents=True, exist_ok=True)  # privilege-separation directory
    home = home or root / "home"
    home.mkdir(exist_ok=True)
    host_key = root / "host_ed25519"
    public = keygen(host_key)
    set_env = " ".join(f"{k}={v}" for k, v in {"HOME": guest(home), **(env or {})}.items())
    for _ in range(5):
        port = free_port()
        config = root / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {guest(host_key)}",
            f"AuthorizedKeysFile {guest(authorized_keys)}", f"PidFile {guest(root / 'sshd.pid')}", "StrictModes no",
            "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password", "AllowTcpForwarding no", "X11Forwarding no", "LogLevel VERBOSE",
            f"SetEnv {set_env}", ""]))
        log = root / "sshd.log"
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []  # a board of its own: one core
        inside = ["chroot", str(chroot)] if chroot else []
        proc = subprocess.Popen([*pin, *inside, str(SSHD), "-D", "-f", guest(config), "-E", guest(log)],
                                env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return Sshd(port, home, public, proc, log)
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
    raise RuntimeError(f"sshd did not start; its log: {log.read_text() if log.exists() else '(none)'}")


def edge_wheelhouse(root: Path) -> Path:
    """``root/wheels``: the edge extra's wheels for this Python (pip download, from the local cache), without
    an edgenn wheel (deploy builds its own)."""
    from edge_runtime.deploy.wheel import build_wheel

    wheel = build_wheel(root / "build")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "-d",
                    str(root / "wheels"), "-c", str(REPO / "constraints.txt"), f"{wheel}[edge]"],
                   check=True, timeout=600, capture_output=True)
    (root / "wheels" / wheel.name).unlink()
    return root / "wheels"


def host_entry(alias: str, port: int, identity: Path, known_hosts: Path) -> str:
    """An ssh_config block for one device alias: its port, key and known_hosts; no agent, no system files."""
    return "\n".join([
        f"Host {alias}", "  HostName 127.0.0.1", f"  Port {port}", "  User root", f"  IdentityFile {identity}",
        "  IdentitiesOnly yes", "  IdentityAgent none", f"  UserKnownHostsFile {known_hosts}",
        "  GlobalKnownHostsFile /dev/null", "  LogLevel ERROR", ""])


@dataclass
class Fleet:
    root: Path
    config: Path
    known_hosts: Path
    user_key: Path
    authorized_keys: Path
    devices: dict[str, Sshd] = field(default_factory=dict)

    def add_device(self, alias: str, home: Path | None = None, cpu: int | None = None, chroot: Path | None = None,
                   env: dict[str, str] | None = None) -> Sshd:
        """Start another sshd, trust its host key and give it an alias (``home`` shares a device's; ``cpu``
        pins it and all it runs to one core; ``chroot`` runs that root filesystem's sshd inside it)."""
        if chroot is None:
            server = start_sshd(self.root / alias, self.authorized_keys, home, cpu)
        else:
            inside = chroot / "etc" / "edgenn-test"
            inside.mkdir(parents=True, exist_ok=True)
            keys = inside / "authorized_keys"
            keys.write_text(self.authorized_keys.read_text())
            server = start_sshd(inside / alias, keys, home, cpu, chroot=chroot, env=env)
        self.devices[alias] = server
        with self.known_hosts.open("a") as f:
            f.write(server.known_hosts_line() + "\n")
        with self.config.open("a") as f:
            f.write(host_entry(alias, server.port, self.user_key, self.known_hosts))
        return server

    @classmethod
    def create(cls, root: Path, pin: bool = False) -> Fleet:
        """dev-a and dev-b, plus aliases that fail: closed, wrong-key, changed-key, unknown-host."""
        root.mkdir(parents=True, exist_ok=True)
        user_key, stranger = root / "id_user", root / "id_stranger"
        authorized = root / "authorized_keys"
        authorized.write_text(keygen(user_key) + "\n")
        keygen(stranger)
        fleet = cls(root, root / "ssh_config", root / "known_hosts", user_key, authorized)
        fleet.config.write_text("")
        fleet.known_hosts.write_text("")
        try:
            a = fleet.add_device("dev-a", cpu=0 if pin else None)
            fleet.add_device("dev-b", cpu=1 if pin else None)
            (root / "known_hosts_changed").write_text(a.known_hosts_line(keygen(root / "other_host_key")) + "\n")
            (root / "known_hosts_empty").write_text("")
            with fleet.config.open("a") as f:
                f.write(host_entry("closed", free_port(), user_key, fleet.known_hosts))
                f.write(host_entry("wrong-key", a.port, stranger, fleet.known_hosts))
                f.write(host_entry("changed-key", a.port, user_key, root / "known_hosts_changed"))
                f.write(host_entry("unknown-host", a.port, user_key, root / "known_hosts_empty"))
        except BaseException:
            fleet.stop()
            raise
        return fleet

    def stop(self) -> None:
        for server in self.devices.values():
            server.stop()

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
