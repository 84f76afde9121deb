"""Engine chatter: log lines the inference and training engines write straight to file descriptor 2.

LiteRT, the TFLite converter and TensorFlow's runtime print some lines from C++ that no setting
turns off and that tell the user nothing (or read like a failure when nothing failed). The CLI runs
each command inside :func:`filtered_stderr`, which passes every other line through unchanged, as
it comes; ``-v`` shows everything. Each pattern says where it comes from and why it is harmless.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

#: (pattern matched at the start of a line, where it comes from and why it is dropped)
CHATTER: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."),
     "LiteRT's minimal logger, once per interpreter; no environment variable or API silences it"),
    (re.compile(rb"E0000 .*node_def_util\.cc:\d+\] NodeDef mentions attribute use_unbounded_threadpool "),
     "TensorFlow 2.21's tf.data graph names an attribute its own runtime ignores; training is unaffected"),
    (re.compile(rb"fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+, output_inference_type: \w+"),
     "the TFLite converter's quantizer echoes its settings on every full-integer conversion"),
)


def is_chatter(line: bytes) -> bool:
    """True for a line one of :data:`CHATTER`'s patterns matches (at its start)."""
    return any(pattern.match(line) for pattern, _ in CHATTER)


@contextlib.contextmanager
def filtered_stderr(enabled: bool = True) -> Iterator[None]:
    """Route file descriptor 2 through a thread that drops :data:`CHATTER` lines and forwards the rest.

    Lines written by Python and by native code alike pass in order; a line without its newline is
    forwarded when the block ends. With ``enabled`` False this does nothing.
    """
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_pump, args=(read_end, saved), name="edgenn-stderr-filter", daemon=True)
    pump.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end we hold: the pump sees end of file
        pump.join(timeout=5)
        os.close(saved)


def _pump(read_end: int, out: int) -> None:
    pending = b""
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            kept = b"".join(line + b"\n" for line in lines if not is_chatter(line))
            if kept:
                os.write(out, kept)
        if pending and not is_chatter(pending):
            os.write(out, pending)
