"""What one ``edgenn bench`` run measures and for how long: the settings, light enough for CLI start-up.

``edgenn bench``'s flags take their defaults and help from these fields (``edge_runtime.fields``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edge_runtime.errors import ConfigError

#: shortest sustained-mode window: below it a timeline point holds one inference and the
#: thermal reads dominate (``--window 0`` gave one point per inference)
MIN_WINDOW_S = 0.1


@dataclass
class BenchSettings:
    """What to run and for how long. ``runs`` and ``duration_s`` are exclusive (duration wins)."""

    runs: int = 1000  # timed runs per result: enough for a stable p99 (~10 samples beyond it)
    warmup: int = 50  # untimed runs first: caches, XNNPACK packing and the allocator settle within tens
    #: run for this many seconds instead of ``runs`` (sustained mode: prints and records latency and
    #: temperature per window; throttling only with evidence, else the latency drift; e.g. 600)
    duration_s: float | None = None
    window_s: float = 1.0  # sustained mode: seconds per timeline point (at least MIN_WINDOW_S)
    threads: tuple[int, ...] = (1,)  # thread counts to run, one result each
    batch: int = 1  # samples per inference
    #: measure energy where a sensor exists (MLPerf Tiny shape: energy_windows windows of
    #: energy_seconds plus an idle baseline each, about 100 s per result): opt in
    energy: bool = False
    energy_windows: int = 5
    energy_seconds: float = 10.0
    probe_root: str = "/"  # where /sys and /proc are read (a fake tree in tests)
    extra: dict = field(default_factory=dict)

    def check(self) -> None:
        if self.duration_s is None and (not isinstance(self.runs, int) or self.runs < 1):
            raise ConfigError(f"Expected runs >= 1. Received: runs={self.runs!r}")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ConfigError(f"Expected duration > 0 seconds. Received: duration={self.duration_s!r}")
        if not isinstance(self.warmup, int) or self.warmup < 0:
            raise ConfigError(f"Expected warmup >= 0. Received: warmup={self.warmup!r}")
        if not self.threads or any(not isinstance(t, int) or t < 1 for t in self.threads):
            raise ConfigError(f"Expected thread counts >= 1. Received: threads={self.threads!r}")
        if not isinstance(self.batch, int) or self.batch < 1:
            raise ConfigError(f"Expected batch >= 1. Received: batch={self.batch!r}")
        if not (isinstance(self.window_s, (int, float)) and MIN_WINDOW_S <= self.window_s < float("inf")):
            raise ConfigError(f"Expected a timeline window of at least {MIN_WINDOW_S} s (each point needs several "
                              f"inferences and a temperature reading). Received: window={self.window_s!r}")
