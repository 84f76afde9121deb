"""Model builders: shapes, heads, data/model mismatches caught before training, the classic demos."""

import numpy as np
import pytest

from edge_runtime.errors import ConfigError, DataError
from models.cnn import CnnParams
from models.hybrid import HybridParams
from models.mlp import MlpParams
from models.perceptron import PerceptronParams, perceptron_error
from models.registry import Head, build_model, builders, get_builder

TRUTH_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
TABLES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}


def test_registry_lists_the_four_builders_and_rejects_unknown_names():
    assert set(builders()) == {"perceptron", "mlp", "cnn", "hybrid"}
    with pytest.raises(ConfigError, match="Unknown model builder 'rnn'. Expected one of: perceptron, mlp, cnn, hybrid"):
        get_builder("rnn")


def test_default_cnn_is_the_57k_parameter_mnist_network():
    model = build_model("cnn", CnnParams(), (28, 28, 1), Head("classification", 10))
    assert model.count_params() == 56_714
    assert model.output_shape == (None, 10)


def test_mlp_flattens_images_and_counts_parameters_by_hand():
    model = build_model("mlp", MlpParams(hidden=[5]), (4, 4, 1), Head("classification", 3))
    # 16*5 + 5 hidden, 5*3 + 3 head
    assert model.count_params() == 16 * 5 + 5 + 5 * 3 + 3


def test_maxout_widens_the_layer_before_it():
    params = MlpParams(hidden=[6], activation={"name": "maxout", "pieces": 3})
    model = build_model("mlp", params, (4,), Head("classification", 2))
    assert model.get_layer("dense_0").units == 18
    assert model.get_layer("head").input_shape == (None, 6)


def test_regression_head_has_the_chosen_output_activation_and_starts_at_the_mean():
    params = MlpParams(hidden=[3], output_activation="softplus")
    model = build_model("mlp", params, (10,), Head("regression", 1, target_mean=150.0))
    head = model.get_layer("head")
    assert head.activation.__name__ == "softplus"
    assert float(head.bias.numpy()[0]) == 150.0


def test_per_layer_activation_dropout_and_batch_norm():
    params = MlpParams(hidden=[8, 4], activation=["tanh", {"name": "leaky_relu"}], dropout=[0.5, 0.0], batch_norm=True)
    model = build_model("mlp", params, (3,), Head("classification", 2))
    names = [layer.__class__.__name__ for layer in model.layers]
    assert names == ["InputLayer", "Dense", "BatchNormalization", "Activation", "Dropout",
                     "Dense", "BatchNormalization", "LeakyReLU", "Dense"]
    assert model.layers[7].alpha == pytest.approx(0.1)  # leaky_relu's default


def test_separable_cnn_uses_depthwise_separable_blocks_after_the_first():
    model = build_model("cnn", CnnParams(filters=[4, 8], separable=True, batch_norm=True), (12, 12, 1),
                        Head("classification", 3))
    kinds = [layer.__class__.__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 1 and kinds.count("SeparableConv2D") == 1
    assert kinds.count("BatchNormalization") == 3  # one per conv block and one in the dense head


@pytest.mark.parametrize(("builder", "params", "shape", "message"), [
    ("cnn", CnnParams(), (324,), "expected images (H, W, C) after preprocessing. Received: sample shape=(324,)"),
    ("hybrid", HybridParams(), (28, 28, 1), "expected feature vectors (F,)"),
    ("perceptron", PerceptronParams(), (8, 8, 1), "expected feature vectors (F,)"),
])
def test_data_that_does_not_fit_the_model_fails_before_building(builder, params, shape, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_model(builder, params, shape, Head("classification", 10))


def test_perceptron_refuses_regression_and_heads_refuse_one_class():
    with pytest.raises(DataError, match="supports classification only"):
        build_model("perceptron", PerceptronParams(), (10,), Head("regression", 1))
    with pytest.raises(DataError, match="at least 2 classes"):
        Head("classification", 1)


def _fit_perceptron(table: str, epochs: int = 20):
    from models.backend import keras

    keras.utils.set_random_seed(0)
    model = build_model("perceptron", PerceptronParams(), (2,), Head("classification", 2))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=perceptron_error, metrics=["accuracy"])
    y = np.array(TABLES[table])
    model.fit(TRUTH_X, y, epochs=epochs, batch_size=1, shuffle=False, verbose=0)
    return model, float(np.mean(model.predict(TRUTH_X, verbose=0).argmax(1) == y))


@pytest.mark.parametrize("table", ["and", "or"])
def test_perceptron_learns_linearly_separable_tables_to_100_percent(table):
    _, accuracy = _fit_perceptron(table)
    assert accuracy == 1.0


def test_perceptron_stays_at_or_below_75_percent_on_xor():
    model, accuracy = _fit_perceptron("xor", epochs=50)
    assert accuracy <= 0.75


def test_perceptron_rule_is_the_textbook_update_not_gradient_descent():
    """One online step from zero weights, computed by hand: w += eta (y - y_hat) x."""
    from models.backend import keras

    model = build_model("perceptron", PerceptronParams(), (2,), Head("classification", 2))
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=perceptron_error)
    # zero weights: net 0 -> fires (y_hat = 1); target 0 -> error -1
    model.fit(np.array([[2.0, 3.0]], np.float32), np.array([0]), epochs=1, batch_size=1, verbose=0)
    kernel, bias = model.get_layer("tlu").get_weights()
    np.testing.assert_array_equal(kernel[:, 0], [-1.0, -1.5])
    np.testing.assert_array_equal(bias, [-0.5])
