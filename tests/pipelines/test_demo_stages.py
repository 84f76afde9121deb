"""Cached stages: a finished stage is reused, a changed one re-runs with everything after it,
an interrupted one is redone from scratch, and a foreign output directory is refused."""

import json

import pytest

from pipelines.stages import MARKER_DIR, Stage, WorkspaceError, claim_workspace, run_stages


def _recording_plan(calls, inputs_b=None, fail_b=False):
    """Three stages a -> b -> c; each writes a file and records that it ran."""

    def write(name, text):
        def run(ctx):
            calls.append(name)
            out = ctx.path(f"{name}.txt")
            out.write_text(text(ctx))
            if name == "b" and fail_b:
                raise KeyboardInterrupt
            return {"file": out.name, "text": out.read_text()}
        return run

    return [
        Stage("a", "stage a", write("a", lambda ctx: "A"), inputs={"n": 1}, outputs=("a.txt",)),
        Stage("b", "stage b", write("b", lambda ctx: ctx.results["a"]["text"] + "B"), inputs=inputs_b or {"n": 2},
              after=("a",), outputs=("b.txt",)),
        Stage("c", "stage c", write("c", lambda ctx: ctx.results["b"]["text"] + "C"), after=("b",),
              outputs=("c.txt",)),
    ]


def test_a_second_run_reuses_every_finished_stage(tmp_path):
    calls, lines = [], []
    first = run_stages(tmp_path, _recording_plan(calls), log=lines.append)
    second = run_stages(tmp_path, _recording_plan(calls), log=lines.append)
    assert calls == ["a", "b", "c"]
    assert first == second == {"a": {"file": "a.txt", "text": "A"}, "b": {"file": "b.txt", "text": "AB"},
                               "c": {"file": "c.txt", "text": "ABC"}}
    assert sum("reused" in line for line in lines) == 3
    assert lines[0].startswith("[1/3] stage a")


def test_changing_a_stage_input_reruns_it_and_everything_after_it_only(tmp_path):
    calls = []
    run_stages(tmp_path, _recording_plan(calls), log=lambda _: None)
    calls.clear()
    run_stages(tmp_path, _recording_plan(calls, inputs_b={"n": 3}), log=lambda _: None)
    assert calls == ["b", "c"]


def test_an_interrupted_run_finishes_without_redoing_completed_stages(tmp_path):
    calls = []
    with pytest.raises(KeyboardInterrupt):
        run_stages(tmp_path, _recording_plan(calls, fail_b=True), log=lambda _: None)
    assert (tmp_path / "b.txt").exists()  # a partial output of the interrupted stage
    assert not (tmp_path / MARKER_DIR / "b.json").exists()
    calls.clear()
    results = run_stages(tmp_path, _recording_plan(calls), log=lambda _: None)
    assert calls == ["b", "c"]
    assert results["c"]["text"] == "ABC"


def test_a_resumable_stage_keeps_its_partial_outputs_for_itself(tmp_path):
    (tmp_path / "half.txt").write_text("epoch 3 of 10")
    seen = []
    stage = Stage("t", "train", lambda ctx: seen.append(ctx.path("half.txt").read_text()), outputs=("half.txt",),
                  resumable=True)
    run_stages(tmp_path, [stage], log=lambda _: None)
    assert seen == ["epoch 3 of 10"]


def test_outputs_of_stages_left_by_another_plan_are_removed(tmp_path):
    run_stages(tmp_path, _recording_plan([]), log=lambda _: None)
    only_a = _recording_plan([])[:1]
    run_stages(tmp_path, only_a, log=lambda _: None)
    assert (tmp_path / "a.txt").exists()
    assert not (tmp_path / "b.txt").exists() and not (tmp_path / "c.txt").exists()
    assert sorted(p.name for p in (tmp_path / MARKER_DIR).iterdir()) == ["a.json"]


def test_the_marker_records_key_time_and_result(tmp_path):
    run_stages(tmp_path, _recording_plan([]), log=lambda _: None)
    marker = json.loads((tmp_path / MARKER_DIR / "a.json").read_text())
    assert marker["result"] == {"file": "a.txt", "text": "A"}
    assert len(marker["key"]) == 64 and marker["seconds"] >= 0


def test_a_stage_may_not_name_a_later_or_unknown_stage_as_its_input(tmp_path):
    bad = [Stage("x", "x", lambda ctx: None, after=("y",))]
    with pytest.raises(ValueError, match="comes after"):
        run_stages(tmp_path, bad, log=lambda _: None)


def test_a_directory_holding_other_files_is_refused_unless_overwrite(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious")
    with pytest.raises(WorkspaceError, match="--overwrite"):
        claim_workspace(tmp_path, "demo")
    assert (tmp_path / "thesis.tex").read_text() == "precious"
    claim_workspace(tmp_path, "demo", overwrite=True)
    assert not (tmp_path / "thesis.tex").exists()


def test_our_own_workspace_is_reused_and_a_file_is_refused(tmp_path):
    root = claim_workspace(tmp_path / "out", "demo")
    (root / "kept.txt").write_text("x")
    claim_workspace(root, "demo")
    assert (root / "kept.txt").exists()
    with pytest.raises(WorkspaceError, match="other-job"):
        claim_workspace(root, "other-job")
    with pytest.raises(WorkspaceError, match="existing file"):
        claim_workspace(root / "kept.txt", "demo")
