"""Real OpenSSH servers on free 127.0.0.1 ports as test devices (Debian's openssh-server, not a mock).

Each server has its own generated host key, an authorized key, a log and a pid file under a temporary
directory; the client side is an ssh_config with one alias per device, a known_hosts holding the host
key and ``StrictHostKeyChecking yes``. Servers are ended by their pid. Traffic never leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")


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


def start_sshd(root: Path, authorized_keys: Path, home: Path | None = None) -> Sshd:
    """Start ``sshd -D`` on a free loopback port with a fresh host key; wait until it accepts connections.

    Sessions get HOME=``home`` (default ``root/home``): each device its own ``~/edgenn`` although we are
    root on all of them; a second server may share a device's home (the same board, reached again).
    """
    root.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    home = home or root / "home"
    home.mkdir(exist_ok=True)
    host_key = root / "host_ed25519"
    public = keygen(host_key)
    for _ in range(5):
        port = free_port()
        config = root / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {host_key}", f"AuthorizedKeysFile {authorized_keys}",
            f"PidFile {root / 'sshd.pid'}", "StrictModes no", "UsePAM no", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", "AllowTcpForwarding no",
            "X11Forwarding no", "LogLevel VERBOSE", f"SetEnv HOME={home}", ""]))
        log = root / "sshd.log"
        proc = subprocess.Popen([str(SSHD), "-D", "-f", str(config), "-E", str(log)])
        deadline = time.monotonic() + 10
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


def host_entry(alias: str, port: int, identity: Path, known_hosts: Path) -> str:
    """An ssh_config block for one device alias: its port, key and known_hosts; no agent, no system files."""
    return "\n".join([
        f"Host {alias}", "  HostName 127.0.0.1", f"  Port {port}", "  User root", f"  IdentityFile {identity}",
        "  IdentitiesOnly yes", "  IdentityAgent none", f"  UserKnownHostsFile {known_hosts}",
        "  GlobalKnownHostsFile /dev/null", "  LogLevel ERROR", ""])
