"""`edgenn datasets`: the table, --json, loading one URI, and the edge-only view of the registry."""

import json
import subprocess
import sys

from pipelines.cli import main
from pipelines.datasets import DATASETS


def test_table_lists_every_dataset_with_task_and_offline_state(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "TASK", "OFFLINE"]
    for info in DATASETS.values():
        row = next(line for line in lines if line.startswith(info.usage + " "))
        assert row.split()[1] == info.task
        assert row.split()[2] == ("yes" if info.available_offline()[0] else "no")
    assert "not cached" in out or "cached in" in out  # the keras sets say why


def test_json_holds_the_same_listing(tmp_path, capsys):
    target = tmp_path / "out" / "datasets.json"
    assert main(["datasets", "--json", str(target)]) == 0
    data = json.loads(target.read_text())
    assert data["kind"] == "edgenn-datasets" and data["schema_version"] == 1
    by_name = {row["name"]: row for row in data["datasets"]}
    assert set(by_name) == set(DATASETS)
    assert by_name["mnist-5k"]["available_offline"] is True and by_name["xor"]["usage"] == "xor"
    assert not list(target.parent.glob("*.tmp"))


def test_a_uri_is_loaded_and_summarized(tmp_path, capsys):
    target = tmp_path / "d.json"
    assert main(["datasets", "digits", "--seed", "3", "--json", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digits: 10 classes, images 8x8x1 L") and "seed 3" in out
    loaded = json.loads(target.read_text())["loaded"]
    assert loaded["sizes"] == {"train": 1258, "val": 180, "test": 359}
    assert loaded["input_spec"]["shape"] == [8, 8, 1]


def test_a_bad_uri_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["datasets", f"folder:{tmp_path / 'missing'}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("edgenn datasets: error: Expected") and "missing" in err


EDGE_ONLY = """
import sys
for name in ("sklearn", "mlxtend", "tf_keras", "tensorflow", "matplotlib"):
    sys.modules[name] = None  # what an edge-only install looks like to import and find_spec
from pipelines.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_edge_only_view_marks_train_datasets_unavailable_and_names_the_extra(tmp_path):
    target = tmp_path / "d.json"
    done = subprocess.run([sys.executable, "-c", EDGE_ONLY, "datasets", "--json", str(target)],
                          capture_output=True, text=True, check=True)
    rows = {row["name"]: row for row in json.loads(target.read_text())["datasets"]}
    for name in ("digits", "diabetes", "mnist-5k"):
        assert rows[name]["available_offline"] is False and 'edgenn[train]' in rows[name]["reason"], rows[name]
    assert rows["xor"]["available_offline"] and rows["folder"]["available_offline"]
    assert "digits" in done.stdout
    failed = subprocess.run([sys.executable, "-c", EDGE_ONLY, "datasets", "digits"], capture_output=True, text=True)
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1 and 'pip install "edgenn[train]"' in failed.stderr
