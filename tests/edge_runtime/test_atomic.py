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
    with pytest.raises(atomic.OutputError, match="No space"):
        atomic.write_json(target, {"new": True})
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_write_with_keeps_the_suffix_for_format_sniffing_writers(tmp_path):
    import numpy as np

    target = tmp_path / "a.npz"
    atomic.write_with(target, lambda tmp: np.savez(tmp, x=np.arange(3)))
    with np.load(target) as data:
        assert data["x"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]


def test_write_with_removes_its_temp_file_when_the_writer_fails(tmp_path):
    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError):
        atomic.write_with(tmp_path / "fig.png", broken)
    assert list(tmp_path.iterdir()) == []
