"""The README's table of report columns names exactly the columns the report's main table has."""

from __future__ import annotations

import re
from pathlib import Path

from edge_runtime.report import merge
from edge_runtime.report.sections import results_sections
from tests.edge_runtime.report.examples import x86_run

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_columns() -> set[str]:
    text = README.read_text("utf-8")
    table = text[text.index("| column | meaning |"):].split("\n\n", 1)[0].splitlines()[2:]
    return {name.strip() for row in table for name in row.split("|")[1].split(",")}


def _report_columns() -> set[str]:
    run = x86_run()
    for r in run["results"]:
        r["agreement"], r["agreement_samples"] = 0.99, 3000  # the Agreement column shows when a result carries it
    table = next(b for b in results_sections(merge([run]))[0].blocks if hasattr(b, "columns"))
    # "Backend (1 thread)", "... (estimate)" and "... (3,000 samples)" carry what every row shares in the header
    return {re.sub(r" \((\d+ threads?|estimate|[\d,]+ samples)\)$", "", c) for c in table.columns}


def test_the_readme_lists_every_report_column_and_no_other():
    assert _readme_columns() == _report_columns()
