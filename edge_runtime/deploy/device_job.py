"""One device's deploy: probe, copy (changed files only, verified), install, inspect, bench, fetch.

Each step either returns a one-line detail for the progress output or raises :class:`StepFailed` with
the reason a person reads; the first failure ends this device's job (the others go on). Remote commands
that can run long (venv, pip, inspect, bench) run under the agent's ``guard``, so a dropped connection
or Ctrl-C on the workstation ends them on the device too.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge_runtime.deploy import agent
from edge_runtime.deploy.payload import INSTALLED, RESULTS, VENV, WHEELS, LocalFile, Payload
from edge_runtime.deploy.ssh import Completed, Connection, Processes, SshSettings, ssh_failure

AGENT_SOURCE = Path(agent.__file__).read_text("utf-8")
MIN_PYTHON = (3, 10)


@dataclass(frozen=True)
class DeployConfig:
    """Settings shared by every device of one deploy."""

    out: Path  # fetched results land in out/<destination>/<bundle>.json
    remote_dir: str = "~/edgenn"  # a leading ~/ is the device user's home
    remote_python: str = "python3"  # the interpreter that creates the venv (e.g. python3.11)
    bench: tuple[str, ...] | None = None  # None: no bench; otherwise extra `edgenn bench` arguments
    offline: bool = False  # install from the copied wheelhouse only (pip --no-index)
    ssh: SshSettings = field(default_factory=SshSettings)


@dataclass
class Outcome:
    """What happened on one device (the --json file holds one per device)."""

    destination: str
    ok: bool = False
    failed_step: str | None = None
    reason: str | None = None
    elapsed_s: float = 0.0
    probe: dict | None = None
    steps: list[dict] = field(default_factory=list)
    transfer: dict = field(default_factory=dict)
    results: list[str] = field(default_factory=list)


class StepFailed(Exception):
    """A step failed for a reason worth one line."""


def remote_root(remote_dir: str) -> str:
    """The remote directory without a trailing slash; ``~`` and ``~/x`` stay for the device's shell to expand."""
    root = remote_dir.rstrip("/") or "/"
    return "~/." if root == "~" else root


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("ERROR", "edgenn", "Error"))]
    return (errors or lines or ["no message"])[-1]


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


class DeviceJob:
    """Runs the steps for one destination and reports progress through ``report(dest, step, text)``."""

    def __init__(self, destination: str, payload: Payload, config: DeployConfig, processes: Processes, report):
        self.conn = Connection(destination, config.ssh, processes)
        self.payload, self.config, self.report = payload, config, report
        self.root = remote_root(config.remote_dir)
        self.outcome = Outcome(destination)
        self.remote: dict = {}  # what the probe found: hashes of our files, venv, installed.txt

    # --- plumbing -------------------------------------------------------------------------------------
    def path(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def ssh(self, argv: list[str], *, what: str, guarded: bool = False, **kwargs) -> Completed:
        if guarded:
            argv = [self.config.remote_python, "-c", AGENT_SOURCE, "guard", "--", *argv]
        done = self.conn.run(argv, hold_stdin=guarded, **kwargs)
        reason = ssh_failure(done.returncode, done.stderr)
        if reason is not None:
            raise StepFailed(f"{reason} ({what})")
        if done.returncode < 0:
            raise StepFailed(f"interrupted ({what})")
        if done.returncode:
            full = "disk full on the device: " if "No space left on device" in done.stderr else ""
            raise StepFailed(f"{full}{what} failed (exit code {done.returncode}): {_last_line(done.stderr)}")
        return done

    def agent(self, command: str, *, what: str, **kwargs) -> Completed:
        argv = [self.config.remote_python, "-c", AGENT_SOURCE, command, self.root]
        done = self.conn.run(argv, **kwargs)
        reason = ssh_failure(done.returncode, done.stderr)
        if reason is not None:
            raise StepFailed(f"{reason} ({what})")
        if done.returncode == 127:
            raise StepFailed(f"{self.config.remote_python} not found on the device (install Python 3.10+)")
        if done.returncode == agent.DISK_FULL:
            raise StepFailed(f"disk full on the device: {_last_line(done.stderr)}")
        if done.returncode == agent.MISMATCH:
            raise StepFailed(f"sha256 verification failed on the device: {_last_line(done.stderr)}")
        if done.returncode:
            raise StepFailed(f"{what} failed (exit code {done.returncode}): {_last_line(done.stderr)}")
        return done

    # --- the steps -----------------------------------------------------------------------------------
    def probe(self) -> str:
        paths = json.dumps([f.remote for f in self.payload.files()]).encode()
        facts = json.loads(self.agent("probe", what="probe", data=paths).stdout)
        self.remote = {k: facts.pop(k) for k in ("hashes", "venv_exists", "installed")}
        self.outcome.probe = facts
        self.payload = self.payload.for_device(facts["arch"], facts["python"])
        version = tuple(int(p) for p in facts["python"].split(".")[:2])
        what = ", ".join(filter(None, [facts["arch"], facts["os"], f"Python {facts['python']}",
                                       f"{_size(facts['free_bytes'])} free", facts.get("board")]))
        if version < MIN_PYTHON:
            raise StepFailed(f"Python {facts['python']} on the device; edgenn needs 3.10+ ({what})")
        return what

    def copy(self) -> str:
        files = self.payload.files()
        send = [f for f in files if self.remote["hashes"].get(f.remote) != f.sha256]
        size = sum(f.size for f in send)
        free = (self.outcome.probe or {}).get("free_bytes")
        if free is not None and size > free:
            raise StepFailed(f"disk full on the device: {_size(size)} to copy, {_size(free)} free in {self.root}")
        if send:
            self.send(send)
        models = {f.remote for b in self.payload.bundles for f in b.files}
        self.outcome.transfer = {
            "files_sent": len(send), "bytes_sent": size, "files_unchanged": len(files) - len(send),
            "bytes_unchanged": sum(f.size for f in files) - size,
            "bundle_bytes_sent": sum(f.size for f in send if f.remote in models)}
        return (f"sent {len(send)} file(s), {_size(size)}; {len(files) - len(send)} unchanged; "
                f"sha256 of all {len(files)} verified on the device")

    def send(self, files: list[LocalFile | tuple[str, bytes]]) -> None:
        def feed(pipe) -> None:
            for item in files:
                if isinstance(item, tuple):
                    remote, data = item
                    pipe.write(self._header(remote, len(data), hashlib.sha256(data).hexdigest()) + data)
                    continue
                pipe.write(self._header(item.remote, item.size, item.sha256))
                with open(item.path, "rb") as handle:
                    while block := handle.read(agent.CHUNK):
                        pipe.write(block)
        self.agent("receive", what="copy", feed=feed)

    @staticmethod
    def _header(remote: str, size: int, sha256: str) -> bytes:
        return json.dumps({"path": remote, "size": size, "sha256": sha256}).encode() + b"\n"

    def install(self) -> str:
        python = self.path(f"{VENV}/bin/python")
        created = not self.remote["venv_exists"]
        if created:
            if not (self.outcome.probe or {}).get("venv", True):
                raise StepFailed(f"{self.config.remote_python} -m venv does not work on the device: install "
                                 "python3-venv (Debian, Raspberry Pi OS, Ubuntu: sudo apt install python3-venv)")
            # pip separately: venv hides ensurepip's own error (a full disk would read "exit status 1")
            self.ssh([self.config.remote_python, "-m", "venv", "--without-pip", self.path(VENV)],
                     what="create the venv", guarded=True)
            self.ssh([python, "-m", "ensurepip", "--default-pip"], what="install pip into the venv", guarded=True)
        key = self.payload.install_key()
        if not created and self.remote["installed"] == key.strip():
            return "venv up to date (the same wheels are installed)"
        wheel = self.path(self.payload.wheel.remote)
        index = ["--no-index", "--find-links", self.path(WHEELS)] if self.config.offline else []
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *index]
        self.ssh([*pip, f"{wheel}[edge]"], what="pip install edgenn[edge]", guarded=True)
        self.ssh([*pip, "--force-reinstall", "--no-deps", wheel], what="pip install the edgenn wheel", guarded=True)
        self.send([(INSTALLED, key.encode())])
        return f"{'created the venv and ' if created else ''}installed {Path(wheel).name}[edge]" + (
            " from the wheelhouse" if self.config.offline else "")

    def edgenn(self, *args: str, what: str) -> Completed:
        return self.ssh([self.path(f"{VENV}/bin/edgenn"), *args], what=what, guarded=True)

    def inspect(self) -> str:
        for bundle in self.payload.bundles:
            self.edgenn("inspect", self.path(bundle.remote), what=f"edgenn inspect {bundle.name}")
        return f"{len(self.payload.bundles)} bundle(s) valid, every sha256 checked by edgenn inspect"

    def bench(self) -> str:
        extra = list(self.config.bench or ())
        select = [] if "--variant" in extra or "--all" in extra else ["--all"]
        for bundle in self.payload.bundles:
            self.report(self.outcome.destination, "bench", f"{bundle.name} ...")
            self.edgenn("bench", self.path(bundle.remote), *select, "--json",
                        self.path(f"{RESULTS}/{bundle.name}.json"), *extra, what=f"edgenn bench {bundle.name}")
        return f"{len(self.payload.bundles)} bundle(s) benchmarked"

    def fetch(self) -> str:
        from edge_runtime.atomic import write_json
        from edge_runtime.report.load import validate_bench

        folder = self.config.out / safe_name(self.outcome.destination)
        for bundle in self.payload.bundles:
            done = self.ssh(["cat", self.path(f"{RESULTS}/{bundle.name}.json")], what=f"fetch {bundle.name}.json")
            doc = json.loads(done.stdout)
            problems = validate_bench(doc)
            if problems:
                raise StepFailed(f"{bundle.name}.json from the device is not a bench result: {problems[0]}")
            doc["device"]["label"] = self.outcome.destination
            self.outcome.results.append(str(write_json(folder / f"{bundle.name}.json", doc)))
        return f"{len(self.outcome.results)} result file(s) -> {folder}"

    # --- the job ------------------------------------------------------------------------------------
    def steps(self) -> list[tuple[str, object]]:
        steps = [("probe", self.probe), ("copy", self.copy), ("install", self.install), ("inspect", self.inspect)]
        if self.config.bench is not None:
            steps += [("bench", self.bench), ("fetch", self.fetch)]
        return steps

    def run(self) -> Outcome:
        start = time.monotonic()
        for name, step in self.steps():
            begun = time.monotonic()
            try:
                detail = step()
            except StepFailed as exc:
                self.outcome.failed_step, self.outcome.reason = name, str(exc)
                break
            except InterruptedError:
                self.outcome.failed_step, self.outcome.reason = name, "interrupted"
                break
            seconds = time.monotonic() - begun
            self.outcome.steps.append({"step": name, "seconds": round(seconds, 3), "detail": detail})
            self.report(self.outcome.destination, name, f"{detail} ({seconds:.1f} s)")
        else:
            self.outcome.ok = True
        self.outcome.elapsed_s = round(time.monotonic() - start, 3)
        if not self.outcome.ok:
            self.report(self.outcome.destination, self.outcome.failed_step, f"FAILED: {self.outcome.reason}")
        return self.outcome


def safe_name(destination: str) -> str:
    """A destination as a folder name: user@host:22 -> user@host_22."""
    return "".join(c if c.isalnum() or c in "@.-_" else "_" for c in destination) or "device"
