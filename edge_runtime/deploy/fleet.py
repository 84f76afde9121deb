"""Deploy to many devices at once: a bounded pool of device jobs, progress lines, Ctrl-C, one report.

Each device runs in its own thread (the work is waiting on ssh, not computing), at most ``jobs`` at a
time. A failed device is reported with its reason and the others go on. Ctrl-C ends every ssh process;
the device-side guard sees its connection close and ends the remote command, so nothing keeps running
on the boards.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from edge_runtime.deploy.device_job import DeployConfig, DeviceJob, Outcome
from edge_runtime.deploy.payload import Payload
from edge_runtime.deploy.ssh import Processes


class Progress:
    """One line per device step: ``[m:ss.s] destination  step  detail`` on a shared clock."""

    def __init__(self, destinations: list[str], stream=None):
        self.start = time.monotonic()
        self.width = max(len(d) for d in destinations)
        self.stream = stream or sys.stdout
        self.lock = threading.Lock()

    def elapsed(self) -> str:
        seconds = time.monotonic() - self.start
        return f"{int(seconds // 60)}:{seconds % 60:04.1f}"

    def __call__(self, destination: str, step: str, text: str) -> None:
        with self.lock:
            print(f"[{self.elapsed()}] {destination:<{self.width}}  {step:<7}  {text}", file=self.stream, flush=True)


def run_fleet(destinations: list[str], payload: Payload, config: DeployConfig, jobs: int,
              progress: Progress) -> list[Outcome]:
    """Every destination's outcome, in the order given; KeyboardInterrupt after stopping every device."""
    processes = Processes()
    device_jobs = [DeviceJob(d, payload, config, processes, progress) for d in destinations]
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="deploy")
    futures = [pool.submit(job.run) for job in device_jobs]
    try:
        wait(futures)
    except KeyboardInterrupt:
        processes.stop_all()  # the remote guards see their connections close and end their commands
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [f.result() for f in futures]


def summary_lines(outcomes: list[Outcome]) -> list[str]:
    """The closing table: one line per device with its state, time and reason."""
    width = max(len(o.destination) for o in outcomes)
    lines = []
    for o in outcomes:
        state = "ok" if o.ok else f"FAILED at {o.failed_step}: {o.reason}"
        lines.append(f"  {o.destination:<{width}}  {o.elapsed_s:7.1f} s  {state}")
    failed = sum(not o.ok for o in outcomes)
    lines.insert(0, f"edgenn deploy: {len(outcomes) - failed} of {len(outcomes)} device(s) succeeded")
    return lines


def deploy_record(outcomes: list[Outcome], wall_s: float, report: dict | None) -> dict:
    """The --json document: per device what happened, and where the merged report is."""
    return {"kind": "edgenn-deploy", "schema_version": 1,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "ok": all(o.ok for o in outcomes), "wall_s": round(wall_s, 3),
            "devices": [asdict(o) for o in outcomes], "report": report}


def write_report(outcomes: list[Outcome], html_path: Path) -> dict | None:
    """Merge every fetched result into one HTML report (plus Markdown and JSON beside it)."""
    from edge_runtime.atomic import write_json, write_text
    from edge_runtime.report import load_runs, render_html, render_markdown, summary
    from edge_runtime.report.devices import device_count

    paths = [p for o in outcomes for p in o.results]
    if not paths:
        return None
    runs = load_runs(paths)
    title = "edgenn deploy: " + ", ".join(o.destination for o in outcomes if o.results)
    markdown, merged = html_path.with_suffix(".md"), html_path.with_suffix(".json")
    write_text(html_path, render_html(runs, title, sources=paths))
    write_text(markdown, render_markdown(runs, title, sources=paths))
    write_json(merged, summary(runs))
    return {"html": str(html_path), "markdown": str(markdown), "json": str(merged), "runs": len(runs),
            "devices": device_count(runs), "results": sum(len(r["results"]) for r in runs)}
