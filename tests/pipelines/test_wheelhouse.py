"""`edgenn wheelhouse`: the device's offline install set, resolved for the device's platform and Python."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from edge_runtime.errors import ConfigError
from pipelines.cli import main
from pipelines.commands.wheelhouse import find_interpreter, platform_tags


def test_platform_tags_accept_every_manylinux_up_to_the_device_glibc():
    tags = platform_tags("linux_aarch64", "2.35")
    assert tags[0] == "manylinux_2_35_aarch64" and "manylinux_2_17_aarch64" in tags
    assert "manylinux_2_36_aarch64" not in tags  # a wheel needing a newer glibc would not load on JetPack 6
    assert tags[-2:] == ["manylinux2014_aarch64", "linux_aarch64"]


def test_bad_versions_and_missing_interpreters_are_one_line_errors(tmp_path, capsys):
    with pytest.raises(ConfigError, match="--glibc as MAJOR.MINOR"):
        platform_tags("linux_aarch64", "2.x")
    with pytest.raises(ConfigError, match="Expected a Python 2.1 interpreter with pip"):
        find_interpreter("2.1")
    assert find_interpreter(f"{sys.version_info[0]}.{sys.version_info[1]}") == sys.executable
    code = main(["wheelhouse", "--platform", "linux_aarch64", "--python", "3.11", "--out", str(tmp_path / "w"),
                 "--wheel", str(tmp_path / "nope.whl")])
    assert code == 2 and "Expected --wheel to be an edgenn-*.whl file" in capsys.readouterr().err


def _tags(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/WHEEL"))
        return [line.split(": ", 1)[1] for line in z.read(meta).decode().splitlines() if line.startswith("Tag: ")]


@pytest.mark.slow
def test_python_3_10_aarch64_resolves_to_binary_wheels_for_that_python(tmp_path, capsys):
    out = tmp_path / "wh"
    try:
        find_interpreter("3.10")
    except ConfigError as exc:
        pytest.skip(f"no Python 3.10 here: {exc}")
    assert main(["wheelhouse", "--platform", "linux_aarch64", "--python", "3.10", "--out", str(out)]) == 0
    wheels = sorted(out.glob("*.whl"))
    names = [w.name for w in wheels]
    # pip evaluated the extra's markers for 3.10: JetPack's onnxruntime line and numpy 2.2, plus tomli
    assert any(n.startswith("onnxruntime-1.23.") for n in names) and any(n.startswith("numpy-2.2.") for n in names)
    assert any(n.startswith("tomli-") for n in names) and any(n.startswith("edgenn-0.") for n in names)
    for wheel in wheels:  # every WHEEL tag (read from the archive, not the name) installs on cp310 aarch64
        assert all(t.endswith("-any") or (t.split("-")[0] in {"cp310", "py3"} or "abi3" in t) and "aarch64" in t
                   for t in _tags(wheel)), (wheel.name, _tags(wheel))
    assert 'pip install --no-index --find-links' in capsys.readouterr().out
