"""tfmot fine-tuning is seeded by ExportConfig.seed: the same run and seed give the same bytes."""

from __future__ import annotations

import pytest

from export.config import ExportConfig
from export.exporter import export_run

FINETUNED = ("pruned-int8", "clustered-int8")


def _hashes(run, out, seed):
    config = ExportConfig(variants=FINETUNED, formats=("tflite",), finetune_epochs=1, finetune_min_steps=40,
                          sparsity=0.5, validation_samples=200, seed=seed)
    manifest = export_run(run, out, config, log=lambda _: None)
    return {m["id"]: m["sha256"] for m in manifest["models"]}


@pytest.mark.slow  # three exports with fine-tuning: ~20 s
def test_same_seed_same_finetuned_models_other_seed_other_models(mlp_run, tmp_path):
    first = _hashes(mlp_run, tmp_path / "a", seed=3)
    assert _hashes(mlp_run, tmp_path / "b", seed=3) == first
    other = _hashes(mlp_run, tmp_path / "c", seed=4)
    assert all(other[k] != first[k] for k in first)  # the seed reaches every fine-tuning (order, init)
