"""Atomic writes: the old file survives a failed write, and no temp file is left behind."""

import json

import numpy as np
import pytest

from edge_runtime import atomic


def test_json_write_handles_numpy_and_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "r.json"
    atomic.write_json(target, {"a": np.float32(1.5), "b": np.arange(3)})
    atomic.write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


def test_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    atomic.write_json(target, {"old": True})

    def disk_full(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        atomic.write_json(target, {"new": True})
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
