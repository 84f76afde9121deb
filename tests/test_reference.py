"""The reference of everything configurable is generated from the registries, so it cannot drift."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from edge_runtime.preprocess import OPS
from models.registry import builders
from pipelines import config as config_module
from pipelines.cli import main
from pipelines.reference import markdown

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"


def test_docs_reference_is_the_generated_reference():
    assert REFERENCE.read_text("utf-8") == markdown(), (
        "docs/reference.md is stale: regenerate it with `python -m pipelines.reference > docs/reference.md`")


def test_edgenn_ops_lists_every_op_with_every_parameter_and_its_default(capsys):
    assert main(["ops"]) == 0
    text = capsys.readouterr().out
    for name, op in OPS.items():
        line = next(line for line in text.splitlines() if line.startswith(f"{name}("))
        for param, default in op.defaults.items():
            if param not in op.state:
                assert f"{param}={default!r}" in line or f"{param}=none" in line, (name, param)
    # the ones a new user had to read the source for (issue 13)
    assert "sobel(output='magnitude')" in text and "hog(variant='interpolated'" in text and "lbp(points=8" in text


def test_edgenn_config_keys_lists_every_section_key_and_every_builder_key(capsys):
    assert main(["config", "--keys"]) == 0
    text = capsys.readouterr().out
    sections = [config_module.DataConfig, config_module.PreprocessConfig, config_module.OptimizerConfig,
                config_module.TrainConfig]
    for cls in sections:
        section = cls.__doc__.split("``")[1].strip("[]")  # "``[data]``: ..." -> data
        for f in dataclasses.fields(cls):
            assert f"\n{section}.{f.name} (" in text, f"{section}.{f.name}"
    for name, builder in builders().items():
        assert f"[model] builder = {name!r}" in text
        for f in dataclasses.fields(builder.params):
            assert f"model.{f.name} (" in text, (name, f.name)
    assert "data.stream (bool, default False)" in text and "model.separable (bool, default False)" in text


def test_edgenn_config_shows_a_config_resolved_or_says_what_it_needs(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('[train]\nepochs = 3\n')
    assert main(["config", str(path), "--set", "optimizer.lr=0.01"]) == 0
    out = capsys.readouterr().out
    assert '"epochs": 3' in out and '"lr": 0.01' in out and '"batch_size": 64' in out
    assert main(["config"]) == 2
    assert "Expected a config FILE or --keys" in capsys.readouterr().err
