"""`edgenn datasets [URI]`: every dataset with its task and whether it loads offline right now.

Given a URI it instead loads that dataset and prints its one-line summary (split sizes, input,
source): a quick check of a folder or CSV before training. Works on edge-only installs (no TensorFlow).
"""

from __future__ import annotations

import argparse
import shutil
import textwrap

HELP = "list the datasets (task, offline availability now, description); with URI, load that one and summarize it"
JSON_KIND = "edgenn-datasets"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("uri", nargs="?", metavar="URI",
                        help="a dataset name or URI (e.g. mnist-5k, folder:DIR, csv:FILE?label=COL) to load and summarize")
    parser.add_argument("--seed", type=int, default=0, help="split seed when loading URI (default: %(default)s)")
    parser.add_argument("--on-error", choices=("fail", "skip"), default="fail",
                        help="unreadable images in a folder dataset: fail, or skip and list them (default: %(default)s)")
    parser.add_argument("--json", metavar="FILE", help="also write the listing (and the loaded summary) as JSON")


def listing() -> list[dict]:
    """One dict per registry entry: usage, task, description, available_offline, reason."""
    from pipelines.datasets import DATASETS

    rows = []
    for info in DATASETS.values():
        ok, reason = info.available_offline()
        rows.append({"name": info.name, "usage": info.usage, "task": info.task, "description": info.description,
                     "available_offline": ok, "reason": reason})
    return rows


def format_table(rows: list[dict], width: int = 120) -> str:
    """A fixed-width table; the reason goes on a second line under the description."""
    name_w = max(len("NAME"), *(len(r["usage"]) for r in rows)) + 2
    task_w = max(len("TASK"), *(len(r["task"]) for r in rows)) + 2
    indent = " " * (name_w + task_w + 9)
    text_w = max(40, width - len(indent))
    lines = [f"{'NAME':<{name_w}}{'TASK':<{task_w}}{'OFFLINE':<9}DESCRIPTION / WHY"]
    for r in rows:
        first = textwrap.wrap(r["description"], text_w, break_on_hyphens=False) or [""]
        lines.append(f"{r['usage']:<{name_w}}{r['task']:<{task_w}}{'yes' if r['available_offline'] else 'no':<9}{first[0]}")
        lines += [indent + more for more in first[1:]]
        lines += [indent + part for part in textwrap.wrap(f"-> {r['reason']}", text_w, break_on_hyphens=False)]
    return "\n".join(lines)


def summarize(dataset) -> dict:
    """The JSON form of a loaded dataset (everything but the arrays)."""
    return {"name": dataset.name, "task": dataset.task, "class_names": dataset.class_names,
            "input_spec": dataset.input_spec, "source": dataset.source, "official_test": dataset.official_test,
            "sizes": {s: len(dataset.split(s)[1]) for s in ("train", "val", "test")},
            "skipped": [{"path": p, "reason": why} for p, why in dataset.skipped],
            "converted": [{"path": p, "conversion": what} for p, what in dataset.converted],
            "input_note": dataset.input_note or None, "summary": dataset.summary()}




def run(args: argparse.Namespace) -> int:
    from edge_runtime import atomic

    rows = listing()
    result = {"schema_version": 1, "kind": JSON_KIND, "datasets": rows}
    if not args.uri:
        print(format_table(rows, shutil.get_terminal_size((120, 24)).columns))
    else:
        from pipelines.datasets import load

        dataset = load(args.uri, seed=args.seed, on_error=args.on_error)
        print(dataset.summary())
        if dataset.input_note:
            print(f"  {dataset.input_note}")
        for path, why in dataset.skipped:
            print(f"  skipped {path}: {why}")
        result["loaded"] = summarize(dataset)
    if args.json:
        print(f"wrote {atomic.write_json(args.json, result)}")
    return 0
