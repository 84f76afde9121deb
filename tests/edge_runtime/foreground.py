"""Children that a test interrupts with Ctrl-C (SIGINT) start with SIGINT at its default, as in a terminal.

A shell without job control starts background commands with SIGINT ignored, and a child inherits that:
Python then installs no KeyboardInterrupt handler and the simulated Ctrl-C does nothing. CI may run the
suite that way, so every test that sends SIGINT passes ``preexec_fn=sigint_default`` to ``Popen``.
"""

from __future__ import annotations

import signal


def sigint_default() -> None:
    """``Popen(preexec_fn=...)``: SIGINT handled as in a foreground process (runs in the child before exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
