"""Run one fuzz target under atheris (libFuzzer): ``python -m tests.fuzz.harness TARGET [libFuzzer flags] CORPUS...``.

``edge_runtime`` is instrumented for coverage feedback. libFuzzer prints its statistics on exit
(``-print_final_stats=1``); a finding is written to ``-artifact_prefix`` and the exit code is non-zero.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["edge_runtime"]):
    import edge_runtime.bundle  # noqa: F401
    import edge_runtime.images  # noqa: F401
    import edge_runtime.manifest  # noqa: F401
    import edge_runtime.report  # noqa: F401
    import edge_runtime.safezip  # noqa: F401

from tests.fuzz.targets import TARGETS  # noqa: E402


def main() -> None:
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
