"""CPU clocks and governors: ``/sys/devices/system/cpu/cpu*/cpufreq/scaling_{cur_freq,governor}``.

``scaling_cur_freq`` is in kHz. A CPU whose file vanishes (hot-unplugged, a removed fake file)
reads as None rather than raising.
"""

from __future__ import annotations

from pathlib import Path

from edge_runtime.probes.sysfs import numbered, read_number, read_text, under

CPU_DIR = "/sys/devices/system/cpu"


class CpuFreq:
    """The CPUs under ``root`` that expose cpufreq, discovered once."""

    def __init__(self, root: str | Path = "/"):
        self.cpus: dict[str, Path] = {
            cpu.name: cpu / "cpufreq"
            for cpu in numbered(under(root, CPU_DIR), "cpu[0-9]*")
            if (cpu / "cpufreq").is_dir()
        }

    def frequencies_khz(self) -> dict[str, float | None]:
        """Current clock per CPU in kHz; None where missing."""
        return {name: read_number(path / "scaling_cur_freq") for name, path in self.cpus.items()}

    def governors(self) -> dict[str, str | None]:
        """Scaling governor per CPU ("schedutil", "performance", ...); None where missing."""
        return {name: read_text(path / "scaling_governor") or None for name, path in self.cpus.items()}

    def governor(self) -> str | None:
        """One governor for the machine: the common one, "a,b" when CPUs differ, None if unknown."""
        return summarize_governors(self.governors())


def summarize_governors(governors: dict[str, str | None]) -> str | None:
    """The distinct governors joined by commas in order of appearance, or None without any."""
    distinct = list(dict.fromkeys(g for g in governors.values() if g))
    return ",".join(distinct) if distinct else None
