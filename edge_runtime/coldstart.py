"""Cold start measured the same way for every bench row: in a fresh Python process of its own.

In the bench's own process the first row pays the engine's import and one-time set-up (and the
sha256 and model checks of a file) that later rows of the same engine or file skip, so their
cold starts were not comparable. Each row therefore starts ``python -m edge_runtime.coldstart``,
which times, after the interpreter and numpy are up: ``import`` (the engine module), ``load``
(bundle manifest, sha256 and model check, engine creation) and ``first_inference`` (one
end-to-end call on the bench's sample input). A zip bundle is timed on its extracted directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

METHOD = ("fresh child process per row (python -m edge_runtime.coldstart): engine import + load (manifest, "
          "sha256 and model check, engine creation) + first end-to-end inference; interpreter and numpy "
          "start-up and zip extraction not included")
TIMEOUT_S = 300


def measure_here(path: str, model_id: str, fmt: str, backend: str, threads: int, options: dict, batch: int) -> dict:
    """The three cold-start parts in microseconds, timed in this (fresh) process."""
    from edge_runtime.backends import backend_for
    from edge_runtime.bench import sample_input
    from edge_runtime.bundle import open_bundle

    pc = time.perf_counter_ns
    chosen = backend_for(fmt, backend)
    fresh = not any(name in sys.modules for name in chosen.modules)
    t0 = pc()
    chosen.import_engine()
    t1 = pc()
    with open_bundle(path) as bundle:
        session = bundle.session(model_id, chosen.name, threads, **options)
        t2 = pc()
        x = sample_input(bundle, session, batch)
        t3 = pc()
        session.predict(x)
        t4 = pc()
    parts = {"import": (t1 - t0) / 1e3, "load": (t2 - t1) / 1e3, "first_inference": (t4 - t3) / 1e3}
    return ({k: round(v, 1) for k, v in parts.items()} | {"total": round(sum(parts.values()), 1)}
            | {"engine_imported_before": not fresh})


def measure_in_child(path: str, model_id: str, fmt: str, backend: str, threads: int, options: dict | None,
                     batch: int) -> dict:
    """:func:`measure_here` in a new interpreter; the dict also says how (``method``)."""
    args = json.dumps({"path": str(path), "model_id": model_id, "fmt": fmt, "backend": backend,
                       "threads": threads, "options": options or {}, "batch": batch})
    done = subprocess.run([sys.executable, "-m", "edge_runtime.coldstart", args],  # noqa: S603 (our own module)
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"cold-start child exited {done.returncode}: {tail}")
    return json.loads(lines[-1]) | {"method": METHOD}


def main(argv: list[str] | None = None) -> int:
    spec = json.loads((argv if argv is not None else sys.argv[1:])[0])
    print(json.dumps(measure_here(spec["path"], spec["model_id"], spec["fmt"], spec["backend"], spec["threads"],
                                  spec["options"], spec["batch"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
