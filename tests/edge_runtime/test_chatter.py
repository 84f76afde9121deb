"""Engine chatter is hidden from the CLI's stderr unless -v; every other line passes, in order."""

from __future__ import annotations

import subprocess
import sys

import pytest

from edge_runtime.chatter import CHATTER, is_chatter

#: the lines as the engines print them (copied from a real `edgenn demo` log)
XNNPACK = "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
E0000 = ("E0000 00:00:1796017334.019291    6435 node_def_util.cc:682] NodeDef mentions attribute "
         "use_unbounded_threadpool which is not in the op definition: Op<name=MapDataset; signature=...>")
FULLY = "fully_quantize: 0, inference_type: 6, input_inference_type: INT8, output_inference_type: INT8"

WRITER = f"""
import os, subprocess, sys
from edge_runtime.chatter import filtered_stderr
with filtered_stderr(enabled=sys.argv[1] == "on"):
    print("python line 1", file=sys.stderr, flush=True)
    os.write(2, b"{XNNPACK}\\n")
    subprocess.run(["sh", "-c", "printf '%s\\\\n' '{E0000}' 'E0000 another error that matters' >&2"], check=True)
    os.write(2, b"{FULLY}\\nWARNING: a real warning\\n")
    os.write(2, b"no newline at the end")
print("after", file=sys.stderr)
"""


def _stderr_of(mode: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", WRITER, mode], capture_output=True, text=True, timeout=60, check=True)
    return done.stderr.splitlines()


def test_chatter_lines_are_dropped_and_every_other_line_passes_in_order():
    assert _stderr_of("on") == ["python line 1", "E0000 another error that matters", "WARNING: a real warning",
                                "no newline at the endafter"]


def test_disabled_the_filter_passes_everything():
    assert _stderr_of("off") == ["python line 1", XNNPACK, E0000, "E0000 another error that matters", FULLY,
                                 "WARNING: a real warning", "no newline at the endafter"]


def test_each_pattern_matches_its_line_only_at_the_start_and_says_why():
    assert [is_chatter(line.encode()) for line in (XNNPACK, E0000, FULLY)] == [True, True, True]
    assert not is_chatter(b"ERROR: " + XNNPACK.encode()) and not is_chatter(b"E0000 00:00:1 other.cc:1] boom")
    assert all(len(why) > 20 for _, why in CHATTER)


def test_the_cli_hides_litert_chatter_unless_verbose():
    from edge_runtime.device import _cpuinfo, emulation
    from tests.edge_runtime.bundle_factory import tiny_bundle

    if emulation(_cpuinfo("/"), __import__("platform").machine()):
        pytest.skip("under qemu-user LiteRT creates no XNNPACK delegate (cpuinfo cannot read the CPU list): "
                    "no INFO line to hide")
    model = tiny_bundle().path / "models" / "fp32.tflite"
    quiet = subprocess.run([sys.executable, "-m", "pipelines.cli", "bench", str(model), "--runs", "5"],
                           capture_output=True, text=True, timeout=120, check=True)
    loud = subprocess.run([sys.executable, "-m", "pipelines.cli", "bench", "-v", str(model), "--runs", "5"],
                          capture_output=True, text=True, timeout=120, check=True)
    assert XNNPACK not in quiet.stderr and "tflite-model" in quiet.stdout
    assert XNNPACK in loud.stderr
