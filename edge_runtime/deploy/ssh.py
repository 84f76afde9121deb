"""The system OpenSSH client, run the way an engineer expects: batch mode, host keys checked, quoted.

Why the system ``ssh`` and not a Python SSH library: it already honours everything the user set up -
``~/.ssh/config`` (or ``--ssh-config``), host aliases with their port, user and key, the agent, jump hosts
(``ProxyJump``), hardware keys, known_hosts - and it adds no dependency to the device-side install.

Every connection forces ``BatchMode=yes`` (never a password or passphrase prompt that hangs; a missing
key is an error), ``StrictHostKeyChecking=yes`` (an unknown or changed host key is refused, never silently
accepted; ``accept-new`` only when the user asks, and a *changed* key is refused even then), a connect
timeout and keep-alives (a device that dies is detected in seconds). Options on the command line take
precedence over the config file, so no config can switch these off.

The remote side runs the command through the user's login shell, so every argument is quoted with
:func:`shlex.quote`: paths, bundle names and bench arguments can hold spaces, quotes, ``$( )`` or ``;``
without running anything (only a leading ``~/`` is left for the shell, to mean the device's home). The destination itself is validated (it can never start with ``-`` and become an option).
"""

from __future__ import annotations

import shlex
import subprocess
import threading
from dataclasses import dataclass, field

from edge_runtime.errors import UserError


@dataclass(frozen=True)
class SshSettings:
    """How every SSH connection is made (defaults chosen for a fleet of small boards on a LAN)."""

    config: str | None = None  # -F FILE; None: the user's own ~/.ssh/config, as ssh reads it
    connect_timeout_s: int = 10  # an unreachable board fails after this, not after the OS's 2 minutes
    alive_interval_s: int = 5  # keep-alive probes: a device that stops answering is lost after
    alive_count: int = 3  # interval x count seconds (15 s), even mid-bench
    accept_new_host_keys: bool = False  # True: trust a first-seen host (TOFU); a changed key is still refused
    program: str = "ssh"

    def options(self) -> list[str]:
        checking = "accept-new" if self.accept_new_host_keys else "yes"
        opts = ["-T", "-o", "BatchMode=yes", "-o", f"StrictHostKeyChecking={checking}",
                "-o", f"ConnectTimeout={self.connect_timeout_s}", "-o", f"ServerAliveInterval={self.alive_interval_s}",
                "-o", f"ServerAliveCountMax={self.alive_count}"]
        return (["-F", self.config] if self.config else []) + opts


def check_destination(destination: str) -> str:
    """``user@host`` or a config alias; refuses what ssh would read as an option or a second argument."""
    if not destination or destination.startswith("-") or any(c.isspace() or ord(c) < 32 for c in destination):
        raise UserError(f"Expected an SSH destination like user@host or a host alias from the SSH config. "
                        f"Received: destination={destination!r}")
    return destination


def quote(argument: str) -> str:
    """One argument for the remote shell; a leading ``~/`` stays unquoted so it means the device's home."""
    if argument.startswith("~/"):
        return "~/" + shlex.quote(argument[2:])
    return shlex.quote(argument)


def remote_command(argv: list[str]) -> str:
    """One command line for the remote login shell with every argument quoted."""
    return " ".join(quote(str(a)) for a in argv)


#: (what ssh prints, the reason a person reads): first match wins
FAILURES = (
    ("REMOTE HOST IDENTIFICATION HAS CHANGED", "host key changed: the device's SSH host key differs from "
     "known_hosts (refused; if the device was reinstalled, check its new key and remove the old one with "
     "ssh-keygen -R)"),
    ("Host key verification failed", "host key unknown: connect once with ssh and check the fingerprint, "
     "or pass --accept-new-host-keys"),
    ("Permission denied", "authentication refused: the device accepts no key offered (batch mode never asks "
     "for a password; add the key to ssh-agent or IdentityFile in the SSH config)"),
    ("Connection refused", "connection refused: no SSH server listening"),
    ("Could not resolve hostname", "unknown host: the name does not resolve"),
    ("No route to host", "unreachable: no route to host"),
    ("Network is unreachable", "unreachable: network is unreachable"),
    ("timed out", "unreachable: connection timed out"),
    ("Timeout, server", "connection lost: the device stopped answering keep-alives"),
    ("closed by remote host", "connection lost: closed by the device"),
    ("Connection reset", "connection lost: reset"),
    ("Broken pipe", "connection lost: broken pipe"),
    ("Connection closed", "connection lost: closed"),
)


def ssh_failure(returncode: int, stderr: str) -> str | None:
    """The reason an SSH connection failed, or None when ssh itself succeeded (exit 255 is ssh's own)."""
    if returncode != 255:
        return None
    for needle, reason in FAILURES:
        if needle in stderr:
            return reason
    lines = [line for line in stderr.splitlines() if line.strip()]
    return "ssh failed: " + (lines[-1].strip() if lines else "exit code 255")


@dataclass
class Completed:
    returncode: int
    stdout: bytes
    stderr: str


@dataclass
class Processes:
    """Every ssh process still running, so Ctrl-C can end them all (the remote guard then ends its command)."""

    live: set = field(default_factory=set)
    stopped: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, argv: list[str]) -> subprocess.Popen:
        with self.lock:
            if self.stopped:
                raise InterruptedError("deploy interrupted")
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603
                                    stderr=subprocess.PIPE)
            self.live.add(proc)
            return proc

    def done(self, proc: subprocess.Popen) -> None:
        with self.lock:
            self.live.discard(proc)

    def stop_all(self) -> None:
        with self.lock:
            self.stopped = True
            for proc in self.live:
                proc.terminate()


def _drain(stream, sink: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: sink.append(stream.read()), daemon=True)
    thread.start()
    return thread


class Connection:
    """Commands on one device through the system ``ssh``."""

    def __init__(self, destination: str, settings: SshSettings, processes: Processes):
        self.destination = check_destination(destination)
        self.settings = settings
        self.processes = processes

    def argv(self, remote_argv: list[str]) -> list[str]:
        return [self.settings.program, *self.settings.options(), "--", self.destination, remote_command(remote_argv)]

    def run(self, remote_argv: list[str], *, data: bytes | None = None, feed=None, hold_stdin: bool = False,
            timeout: float | None = None) -> Completed:
        """Run ``remote_argv``; ``data`` or ``feed(pipe)`` supply stdin. ``hold_stdin`` keeps stdin open until
        the command ends, which the remote guard needs (its stdin closing means: stop)."""
        proc = self.processes.start(self.argv(remote_argv))
        out: list = []
        err: list = []
        readers = [_drain(proc.stdout, out), _drain(proc.stderr, err)]
        try:
            try:
                if data is not None:
                    proc.stdin.write(data)
                elif feed is not None:
                    feed(proc.stdin)
                if not hold_stdin:
                    proc.stdin.close()
            except (BrokenPipeError, ValueError):  # the connection ended early: its stderr says why
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                err.append(b"\nConnection timed out (edgenn deploy: no answer)")
        finally:
            if not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
            for reader in readers:
                reader.join()
            self.processes.done(proc)
        return Completed(proc.returncode, b"".join(out), b"".join(err).decode("utf-8", "replace"))
