"""Custom layers and the activation registry: configs round-trip, values match a numpy reference."""

import numpy as np
import pytest

from edge_runtime.errors import ConfigError
from models import custom_objects
from models.activations import ACTIVATIONS, resolve_activation


def test_maxout_takes_the_max_of_each_group_of_pieces():
    from models.layers import Maxout

    x = np.arange(12, dtype=np.float32).reshape(2, 6) * np.array([1, -1, 1, -1, 1, -1], np.float32)
    expected = x.reshape(2, 3, 2).max(axis=-1)  # numpy reference
    np.testing.assert_array_equal(Maxout(pieces=2)(x).numpy(), expected)


def test_maxout_works_on_feature_maps():
    from models.layers import Maxout

    x = np.random.default_rng(0).normal(size=(2, 3, 3, 6)).astype(np.float32)
    np.testing.assert_array_equal(Maxout(pieces=3)(x).numpy(), x.reshape(2, 3, 3, 2, 3).max(axis=-1))


def test_maxout_get_config_round_trips_and_loads_from_a_saved_model(tmp_path):
    from models.backend import keras
    from models.layers import Maxout

    layer = Maxout(pieces=3, name="mx")
    config = layer.get_config()
    assert config["pieces"] == 3
    clone = Maxout.from_config(config)
    assert clone.get_config() == config
    inputs = keras.Input((4,))
    model = keras.Model(inputs, Maxout(pieces=2)(keras.layers.Dense(6)(inputs)))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects=custom_objects())
    x = np.ones((1, 4), np.float32)
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy())


@pytest.mark.parametrize("bad", [1, 0, 2.5, True])
def test_maxout_refuses_fewer_than_two_pieces(bad):
    from models.layers import Maxout

    with pytest.raises(ConfigError, match="pieces an integer >= 2"):
        Maxout(pieces=bad)


def test_maxout_refuses_a_width_that_is_not_a_multiple_of_pieces():
    from models.layers import Maxout

    with pytest.raises(ConfigError, match="multiple of pieces=4"):
        Maxout(pieces=4)(np.ones((1, 6), np.float32))


def test_the_registry_has_every_activation_of_the_brief():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "softmax", "maxout"}
    assert resolve_activation("leaky_relu").params == {"alpha": 0.1}
    assert resolve_activation({"name": "elu", "alpha": 2}).params == {"alpha": 2.0}
    assert resolve_activation({"name": "maxout", "pieces": 4}).widen == 4


@pytest.mark.parametrize(("name", "reference"), [
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", np.tanh),
    ("relu", lambda x: np.maximum(x, 0)),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.1 * x)),
    ("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    ("selu", lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))),
    ("softplus", lambda x: np.log1p(np.exp(x))),
    ("softmax", lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
])
def test_activation_layers_match_their_formulas(name, reference):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_allclose(resolve_activation(name).layer()(x).numpy(), reference(x.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("spec", "message"), [
    ("gelu", "unknown activation 'gelu'"),
    ({"alpha": 1}, "expected an activation name or a table"),
    ({"name": "leaky_relu", "alpha": "big"}, "expected leaky_relu.alpha a float"),
    ({"name": "maxout", "pieces": 1}, "maxout pieces >= 2"),
])
def test_bad_activation_specs_name_what_is_wrong(spec, message):
    with pytest.raises(ConfigError, match=message):
        resolve_activation(spec)
