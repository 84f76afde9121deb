"""Device facts from recorded trees, and from this machine through the real files."""

import shutil

from edge_runtime.device import _cpuinfo, device_facts, emulated_cpu_model, emulation
from tests.edge_runtime.probes.conftest import FIXTURES


def test_raspberry_pi_5_facts():
    facts = device_facts(FIXTURES / "rpi5")
    assert facts["board"] == "Raspberry Pi 5 Model B Rev 1.0"  # NUL terminator of device-tree stripped
    assert facts["cpu_model"] == "ARM Cortex-A76"  # implementer 0x41, part 0xd0b
    assert facts["cores"] == 4 and facts["governor"] == "ondemand"
    assert facts["os"] == "Debian GNU/Linux 12 (bookworm)"
    assert facts["virtual_machine"] is None  # ARM has no hypervisor flag, no DMI: cannot tell


def test_x86_vm_is_recognised_by_its_hypervisor_flag():
    facts = device_facts(FIXTURES / "x86_kvm")
    assert facts["cpu_model"] == "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz" and facts["cores"] == 3
    assert facts["virtual_machine"] is True and facts["virtualization_evidence"] == "cpuinfo flag: hypervisor"
    assert facts["governor"] == "performance,powersave" and facts["board"] is None


def test_dmi_names_reveal_a_vm_without_the_cpu_flag(tmp_path):
    root = tmp_path / "x86"
    shutil.copytree(FIXTURES / "x86_kvm", root)
    cpuinfo = root / "proc/cpuinfo"
    cpuinfo.write_text(cpuinfo.read_text().replace(" hypervisor", ""))
    facts = device_facts(root)
    assert facts["virtual_machine"] is True and facts["virtualization_evidence"] == "DMI: Standard PC (Q35 + ICH9, 2009)"
    (root / "sys/class/dmi/id/product_name").write_text("ThinkPad X1 Carbon\n")
    (root / "sys/class/dmi/id/sys_vendor").write_text("LENOVO\n")
    assert device_facts(root)["virtual_machine"] is False


def test_systemd_detect_virt_answer_comes_first():
    assert device_facts(FIXTURES / "x86_kvm", run=lambda argv: "none")["virtual_machine"] is False
    facts = device_facts(FIXTURES / "rpi5", run=lambda argv: "kvm")
    assert facts["virtual_machine"] is True and facts["virtualization_evidence"] == "systemd-detect-virt: kvm"


def test_this_machine_reports_its_runtimes_and_python():
    import platform
    from importlib import metadata

    facts = device_facts()
    assert facts["python"] == platform.python_version() and facts["arch"] == platform.machine()
    assert facts["runtimes"]["onnxruntime"] == metadata.version("onnxruntime")
    assert facts["runtimes"]["ai_edge_litert"] == metadata.version("ai-edge-litert")
    assert facts["cores"] >= 1 and facts["hostname"]


def test_an_arm64_interpreter_on_a_kernel_describing_an_x86_cpu_is_labelled_emulated():
    # qemu-user passes the host's /proc/cpuinfo through: the recorded x86 VM's, read by an aarch64 Python
    x86 = _cpuinfo(FIXTURES / "x86_kvm")
    emulated = emulation(x86, "aarch64", environ={"QEMU_CPU": "cortex-a72"})
    assert emulated == {"emulator": "qemu-user", "cpu": "cortex-a72",
                        "host_cpu": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"}
    assert emulated_cpu_model(emulated) == "cortex-a72, emulated (qemu-user) on Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"
    assert emulation(x86, "aarch64", environ={})["cpu"] == "max"  # qemu's default CPU when QEMU_CPU is unset


def test_hardware_is_never_labelled_emulated():
    assert emulation(_cpuinfo(FIXTURES / "rpi5"), "aarch64", environ={"QEMU_CPU": "cortex-a76"}) is None
    assert emulation(_cpuinfo(FIXTURES / "x86_kvm"), "x86_64", environ={}) is None
    assert emulation([], "aarch64", environ={"QEMU_CPU": "cortex-a76"}) is None  # no cpuinfo: cannot tell
    assert device_facts(FIXTURES / "rpi5")["emulated"] is None


def test_device_id_tells_machines_apart_without_revealing_the_machine_id(tmp_path):
    """Two Pis with one hostname differ by machine-id; the raw id (confidential, machine-id(5)) never leaves."""
    import hashlib
    import platform

    from edge_runtime.device import IDENTITY_SALT

    ids = []
    for machine in ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"):
        root = tmp_path / machine
        shutil.copytree(FIXTURES / "rpi5", root)
        (root / "etc/hostname").write_text("raspberrypi\n")
        (root / "etc/machine-id").write_text(machine + "\n")
        facts = device_facts(root)
        assert facts["hostname"] == "raspberrypi" and machine not in str(facts)
        ids.append(facts["device_id"])
    expected = hashlib.sha256(b"\0".join([IDENTITY_SALT, b"0123456789abcdef0123456789abcdef",
                                          platform.machine().encode(), b"Raspberry Pi 5 Model B Rev 1.0",
                                          b"ARM Cortex-A76"])).hexdigest()[:16]
    assert ids[0] == expected and ids[0] != ids[1]
    assert device_facts(FIXTURES / "rpi5")["device_id"] is None  # no machine-id: unknown, never invented
