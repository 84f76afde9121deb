"""Experiment configs: TOML validated into dataclasses; unknown keys, wrong types and bad values are refused."""

from pathlib import Path

import pytest

from edge_runtime.errors import ConfigError
from pipelines.config import config_from_dict, load_config, parse_override

CONFIGS = sorted((Path(__file__).parents[2] / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_loads(path):
    config = load_config(path)
    assert config.name == path.stem
    assert config.model_params() is not None
    assert isinstance(config.preprocess_spec(), list)


def test_defaults_fill_every_section():
    config = config_from_dict({"model": {"builder": "cnn"}})
    assert config.train.epochs == 20 and config.optimizer.name == "adam"
    assert config.model["filters"] == [16, 32] and config.model["builder"] == "cnn"


@pytest.mark.parametrize(("data", "message"), [
    ({"trian": {}}, "unknown key 'trian'. Expected one of: data, model, name, optimizer, preprocess, seed, train"),
    ({"train": {"epochz": 1}}, "unknown key 'train.epochz'. Expected one of: batch_size"),
    ({"model": {"builder": "mlp", "dropuot": 0.1}}, "unknown key 'model.dropuot'. Expected one of: activation"),
    ({"train": {"epochs": "ten"}}, "expected train.epochs of type int. Received: epochs='ten'"),
    ({"train": {"epochs": 2.5}}, "expected train.epochs of type int"),
    ({"train": {"restore_best": 1}}, "expected train.restore_best of type bool"),
    ({"model": {"builder": "mlp", "hidden": ["64"]}}, "expected model.hidden of type list[int]"),
    ({"model": {"builder": "transformer"}}, "Unknown model builder 'transformer'. Expected one of: perceptron, mlp, cnn, hybrid"),
    ({"model": {"builder": "mlp", "activation": "swish"}}, "unknown activation 'swish'. Expected one of: sigmoid"),
    ({"model": {"builder": "mlp", "activation": {"name": "leaky_relu", "beta": 1}}}, "leaky_relu has no parameter 'beta'"),
    ({"model": {"builder": "mlp", "dropout": 1.5}}, "Expected model.dropout in [0, 1)"),
    ({"model": {"builder": "mlp", "hidden": [8, 8], "dropout": [0.1]}}, "model.dropout with 2 entries"),
    ({"optimizer": {"lr": 0}}, "expected optimizer.lr > 0"),
    ({"optimizer": {"name": "rmsprop"}}, "expected optimizer.name one of ('adam', 'sgd')"),
    ({"train": {"strategy": "tpu"}}, "expected train.strategy one of"),
    ({"data": "mnist"}, "expected [data] to be a table"),
])
def test_bad_configs_fail_with_one_line_naming_the_key(data, message):
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, "exp.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("exp.toml: ")
    assert "\n" not in str(info.value)


def test_ints_widen_to_floats_and_single_values_to_lists():
    config = config_from_dict({"optimizer": {"lr": 1}, "model": {"builder": "mlp", "hidden": 32}})
    assert config.optimizer.lr == 1.0 and isinstance(config.optimizer.lr, float)
    assert config.model["hidden"] == [32]


@pytest.mark.parametrize(("item", "expected"), [
    ("optimizer.lr=1e-3", ("optimizer.lr", 0.001)),
    ("train.epochs=3", ("train.epochs", 3)),
    ("train.restore_best=false", ("train.restore_best", False)),
    ("model.hidden=[64, 32]", ("model.hidden", [64, 32])),
    ("model.hidden=64,32", ("model.hidden", [64, 32])),
    ("data.dataset=folder:/tmp/x y", ("data.dataset", "folder:/tmp/x y")),
    ('model.activation={name = "elu", alpha = 0.5}', ("model.activation", {"name": "elu", "alpha": 0.5})),
])
def test_overrides_parse_values_as_toml_else_text(item, expected):
    assert parse_override(item) == expected


def test_overrides_apply_with_type_checks(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('name = "exp"\n[model]\nbuilder = "mlp"\n[train]\nepochs = 5\n')
    config = load_config(path, ["train.epochs=2", "optimizer.lr=0.5", "model.hidden=16"])
    assert (config.train.epochs, config.optimizer.lr, config.model["hidden"]) == (2, 0.5, [16])
    with pytest.raises(ConfigError, match="expected train.epochs of type int. Received: epochs='many'"):
        load_config(path, ["train.epochs=many"])
    with pytest.raises(ConfigError, match="Expected --set key=value"):
        load_config(path, ["train.epochs"])
    with pytest.raises(ConfigError, match="unknown key 'train.epoch'"):
        load_config(path, ["train.epoch=2"])


def test_missing_and_malformed_files_name_the_path(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nepochs = 1")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_config(bad)


def test_preprocess_file_is_read_relative_to_the_config(tmp_path):
    (tmp_path / "pre.json").write_text('[{"op": "scale"}, {"op": "flatten"}]')
    path = tmp_path / "exp.toml"
    path.write_text('[preprocess]\nfile = "pre.json"\n')
    assert [s["op"] for s in load_config(path).preprocess_spec()] == ["scale", "flatten"]
    path.write_text('[preprocess]\nfile = "missing.json"\n')
    with pytest.raises(ConfigError, match="missing.json"):
        load_config(path).preprocess_spec()
