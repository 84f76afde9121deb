"""Device facts for a bench result: what ran the numbers, so results from two boards compare fairly.

Everything comes from files under a replaceable ``root`` (tests use recorded trees) plus the
running interpreter: CPU model and cores (``/proc/cpuinfo``), OS (``/etc/os-release``), board
(``/proc/device-tree/model``), governor (cpufreq), virtual machine or not (``systemd-detect-virt``,
the cpuinfo ``hypervisor`` flag, DMI product and vendor names), runtime versions (package metadata), and
user-mode emulation (qemu-user: an arm64 interpreter on a kernel describing an x86 CPU).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import socket
from pathlib import Path

from edge_runtime.probes.command import Runner, default_runner
from edge_runtime.probes.cpufreq import CpuFreq
from edge_runtime.probes.sysfs import read_text, under

#: (CPU implementer, CPU part) from ARM's /proc/cpuinfo -> core name (ARM TRMs); boards we target
ARM_PARTS = {
    ("0x41", "0xd03"): "ARM Cortex-A53", ("0x41", "0xd04"): "ARM Cortex-A35", ("0x41", "0xd05"): "ARM Cortex-A55",
    ("0x41", "0xd07"): "ARM Cortex-A57", ("0x41", "0xd08"): "ARM Cortex-A72", ("0x41", "0xd09"): "ARM Cortex-A73",
    ("0x41", "0xd0a"): "ARM Cortex-A75", ("0x41", "0xd0b"): "ARM Cortex-A76", ("0x41", "0xd0c"): "ARM Neoverse-N1",
    ("0x41", "0xd0d"): "ARM Cortex-A77", ("0x41", "0xd41"): "ARM Cortex-A78", ("0x41", "0xd42"): "ARM Cortex-A78AE",
    ("0x4e", "0x004"): "NVIDIA Carmel",
}

#: substrings of DMI product/vendor names that only virtual machines report
VM_DMI_NAMES = ("kvm", "qemu", "virtualbox", "vmware", "virtual machine", "hvm domu", "xen", "bochs",
                "google compute engine", "amazon ec2", "standard pc (", "openstack", "parallels")


def _cpuinfo(root: str | Path) -> list[dict[str, str]]:
    """``/proc/cpuinfo`` as one dict per blank-line separated block."""
    blocks: list[dict[str, str]] = [{}]
    for line in (read_text(under(root, "/proc/cpuinfo")) or "").splitlines():
        if not line.strip():
            blocks.append({})
        elif ":" in line:
            key, value = line.split(":", 1)
            blocks[-1][key.strip()] = value.strip()
    return [b for b in blocks if b]


def cpu_model(cpuinfo: list[dict[str, str]]) -> str | None:
    """"model name" on x86; the core name from implementer/part on ARM; None when neither is known."""
    for block in cpuinfo:
        if block.get("model name"):
            return block["model name"]
    for block in cpuinfo:
        part = (block.get("CPU implementer", "").lower(), block.get("CPU part", "").lower())
        if part[1]:
            return ARM_PARTS.get(part, f"ARM implementer {part[0]} part {part[1]}")
    return None


def os_name(root: str | Path) -> str:
    """PRETTY_NAME from os-release, plus the kernel when describing this machine."""
    text = read_text(under(root, "/etc/os-release")) or ""
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.MULTILINE)
    name = match.group(1) if match else platform.system()
    return f"{name}; {platform.system()} {platform.release()}" if _is_real(root) else name


def virtual_machine(root: str | Path, cpuinfo: list[dict[str, str]], run: Runner | None) -> tuple[bool | None, str]:
    """(True/False, evidence) from the first source that knows; (None, "") when none can tell."""
    if run is not None:
        answer = run(["systemd-detect-virt", "--vm"])
        if answer:
            return answer != "none", f"systemd-detect-virt: {answer}"
    if any("hypervisor" in b.get("flags", "").split() for b in cpuinfo):
        return True, "cpuinfo flag: hypervisor"
    dmi = [read_text(under(root, f"/sys/class/dmi/id/{f}")) for f in ("product_name", "sys_vendor")]
    for name in filter(None, dmi):
        if any(vm in name.lower() for vm in VM_DMI_NAMES):
            return True, f"DMI: {name}"
    if any(dmi) or any("flags" in b for b in cpuinfo):
        return False, "no hypervisor flag or virtual DMI name"
    return None, ""


#: platform.machine() -> the CPU family it names, to see an interpreter built for another CPU than the kernel's
MACHINE_FAMILY = {"aarch64": "arm", "arm64": "arm", "armv7l": "arm", "armv8l": "arm", "armv6l": "arm",
                  "x86_64": "x86", "amd64": "x86", "i686": "x86", "i386": "x86"}


def cpu_family(cpuinfo: list[dict[str, str]]) -> str | None:
    """The CPU family /proc/cpuinfo describes: x86 ("vendor_id"), arm ("CPU implementer"), or None."""
    if any("vendor_id" in b for b in cpuinfo):
        return "x86"
    if any("CPU implementer" in b for b in cpuinfo):
        return "arm"
    return None


def emulation(cpuinfo: list[dict[str, str]], machine: str, environ=os.environ) -> dict | None:
    """qemu-user's signature: this interpreter is built for another CPU family than the kernel describes.

    Returns the emulator, the emulated CPU (``QEMU_CPU``; qemu's default is "max") and the host CPU, or
    None on hardware (or when /proc/cpuinfo says nothing). Emulated timings are never a device's.
    """
    host, guest = cpu_family(cpuinfo), MACHINE_FAMILY.get(machine.lower())
    if host is None or guest is None or host == guest:
        return None
    return {"emulator": "qemu-user", "cpu": environ.get("QEMU_CPU") or "max", "host_cpu": cpu_model(cpuinfo)}


def emulated_cpu_model(emulated: dict) -> str:
    """"cortex-a76, emulated (qemu-user) on Intel(R) Xeon(R) ...": the label bench results and reports show."""
    return f"{emulated['cpu']}, emulated ({emulated['emulator']}) on {emulated['host_cpu'] or 'an unknown host'}"


#: salt of the device id: machine-id(5) asks that the raw id never leave the machine, only an app-specific hash
IDENTITY_SALT = b"edgenn-device-id-v1"


def device_id(root: str | Path, arch: str, board: str | None, cpu: str | None) -> str | None:
    """A stable, anonymous identity: the salted sha256 of /etc/machine-id with architecture, board and CPU.

    Two Raspberry Pis that both keep the hostname ``raspberrypi`` differ here, and so does an emulated
    arm64 userland from its x86 host. None when the machine has no machine-id (results then group by label).
    """
    machine = read_text(under(root, "/etc/machine-id")) or read_text(under(root, "/var/lib/dbus/machine-id"))
    if not machine:
        return None
    parts = [IDENTITY_SALT, machine.encode(), arch.encode(), (board or "").encode(), (cpu or "").encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def _runtimes() -> dict[str, str]:
    try:
        from edge_runtime.backends import runtime_versions
    except ImportError:  # a runtime without backends still reports its device
        return {}
    return runtime_versions()


def _is_real(root: str | Path) -> bool:
    return Path(root).resolve() == Path("/")


def device_facts(root: str | Path = "/", run: Runner | None = None) -> dict:
    """The ``device`` object of a bench result (docs/architecture.md), plus the VM evidence."""
    runner = default_runner(root, run)
    info = _cpuinfo(root)
    is_vm, evidence = virtual_machine(root, info, runner)
    real = _is_real(root)
    hostname = read_text(under(root, "/etc/hostname")) or (socket.gethostname() if real else "unknown")
    board = read_text(under(root, "/proc/device-tree/model")) or None
    emulated = emulation(info, platform.machine()) if real else None
    cpu = (emulated_cpu_model(emulated) if emulated else cpu_model(info)) or (
        (platform.processor() or platform.machine()) if real else "unknown")
    return {
        "hostname": hostname,
        "device_id": device_id(root, platform.machine(), board, cpu),
        "cpu_model": cpu,
        "cores": sum(1 for b in info if "processor" in b) or (os.cpu_count() if real else None) or 1,
        "arch": platform.machine(),
        "os": os_name(root),
        "python": platform.python_version(),
        "runtimes": _runtimes(),
        "governor": CpuFreq(root).governor(),
        "virtual_machine": is_vm,
        "virtualization_evidence": evidence or None,
        "board": board,
        "emulated": emulated,
    }
