"""FGSM (Goodfellow et al. 2015) and adversarial training, checked against hand-computed gradients."""

import numpy as np
import pytest

from edge_runtime.errors import ConfigError
from tests.pipelines.digits_models import digits_uint8, mlp, train


def softmax_regression(weights, bias):
    from models.backend import keras

    model = keras.Sequential([keras.layers.Input((weights.shape[0],)), keras.layers.Dense(weights.shape[1], activation="softmax")])
    model.layers[-1].set_weights([weights, bias])
    return model


def numpy_ce_input_gradient(x, y, weights, bias):
    """d/dx of the mean cross-entropy of softmax(x W + b): (p - onehot(y)) W^T / N, by hand."""
    logits = x @ weights + bias
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return p @ weights.T / len(y)


def random_problem(seed, n, features, classes, low=0.0, high=1.0):
    """(weights, bias, x, y) of a random softmax regression and a batch of inputs in [low, high)."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(features, classes)).astype(np.float32)
    bias = rng.normal(size=classes).astype(np.float32)
    x = rng.uniform(low, high, size=(n, features)).astype(np.float32)
    return weights, bias, x, rng.integers(0, classes, n)


def test_fgsm_moves_every_input_by_eps_times_the_sign_of_the_hand_computed_gradient():
    from pipelines.adversarial import fgsm

    weights, bias, x, y = random_problem(1, 40, 6, 4, low=-2.0, high=2.0)
    expected = x + 0.3 * np.sign(numpy_ce_input_gradient(x.astype(np.float64), y, weights, bias))
    x_adv = fgsm(softmax_regression(weights, bias), x, y, 0.3, clip=None, batch_size=16)
    assert x_adv.dtype == np.float32 and x_adv.shape == x.shape
    np.testing.assert_allclose(x_adv, expected, atol=1e-6)


def test_fgsm_clips_to_the_valid_range_and_eps_zero_is_the_identity():
    from pipelines.adversarial import fgsm

    weights, bias, x, y = random_problem(2, 20, 5, 3)
    model = softmax_regression(weights, bias)
    x_adv = fgsm(model, x, y, 0.5)
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    unclipped = x + 0.5 * np.sign(numpy_ce_input_gradient(x.astype(np.float64), y, weights, bias))
    np.testing.assert_allclose(x_adv, np.clip(unclipped, 0, 1), atol=1e-6)
    np.testing.assert_array_equal(fgsm(model, x, y, 0.0), x)


def test_fgsm_rejects_bad_eps_clip_and_label_count():
    from pipelines.adversarial import fgsm

    model = softmax_regression(np.ones((2, 2), np.float32), np.zeros(2, np.float32))
    x, y = np.zeros((3, 2), np.float32), np.zeros(3, int)
    for eps in (-0.1, float("nan"), "big"):
        with pytest.raises(ConfigError, match="eps="):
            fgsm(model, x, y, eps)
    with pytest.raises(ConfigError, match="clip="):
        fgsm(model, x, y, 0.1, clip=(1.0, 0.0))
    with pytest.raises(ConfigError, match="len\\(y\\)=2"):
        fgsm(model, x, y[:2], 0.1)


def test_default_loss_matches_the_output_activation():
    from models.backend import keras
    from pipelines.adversarial import default_loss

    probs = softmax_regression(np.ones((2, 3), np.float32), np.zeros(3, np.float32))
    logits = keras.Sequential([keras.layers.Input((2,)), keras.layers.Dense(3)])
    assert default_loss(probs).get_config()["from_logits"] is False
    assert default_loss(logits).get_config()["from_logits"] is True
    assert isinstance(default_loss(probs, np.eye(3)), keras.losses.CategoricalCrossentropy)


@pytest.fixture(scope="module")
def digits():
    x, y = digits_uint8()
    return x[:1200], y[:1200], x[1200:].astype(np.float32) / 255.0, y[1200:]


def test_accuracy_on_fgsm_examples_falls_as_eps_grows(digits):
    from pipelines.adversarial import fgsm

    x_train, y_train, x_test, y_test = digits
    model = train(mlp(), x_train, y_train, epochs=20)
    accuracy = [float(np.mean(model.predict(fgsm(model, x_test, y_test, eps), verbose=0).argmax(1) == y_test))
                for eps in (0.0, 0.05, 0.1, 0.2)]
    assert accuracy[0] > 0.9
    assert accuracy == sorted(accuracy, reverse=True) and accuracy[-1] < accuracy[0] - 0.3


@pytest.mark.slow
def test_adversarial_training_raises_accuracy_on_fgsm_examples(digits):
    from pipelines.adversarial import AdversarialModel, fgsm

    x_train, y_train, x_test, y_test = digits
    eps = 0.1
    plain = train(mlp(seed=3), x_train, y_train, epochs=20)
    wrapped = train(AdversarialModel(mlp(seed=3), eps=eps, ratio=0.5), x_train, y_train, epochs=20)
    robust = wrapped.inner

    def fgsm_accuracy(model):
        return float(np.mean(model.predict(fgsm(model, x_test, y_test, eps), verbose=0).argmax(1) == y_test))

    clean = float(np.mean(robust.predict(x_test, verbose=0).argmax(1) == y_test))
    assert clean > 0.85
    assert fgsm_accuracy(robust) > fgsm_accuracy(plain) + 0.08  # measured +0.11..+0.18 over seeds 0-3


def test_adversarial_model_replaces_the_first_ratio_of_each_batch():
    from pipelines.adversarial import AdversarialModel, fgsm

    weights, bias, x, y = random_problem(4, 8, 5, 3, low=0.2, high=0.8)
    inner = softmax_regression(weights, bias)
    mixed = AdversarialModel(inner, eps=0.1, ratio=0.25).mix_batch(x, y).numpy()
    np.testing.assert_allclose(mixed[:2], fgsm(inner, x[:2], y[:2], 0.1), atol=1e-6)
    np.testing.assert_array_equal(mixed[2:], x[2:])
    with pytest.raises(ConfigError, match="ratio=1.5"):
        AdversarialModel(inner, eps=0.1, ratio=1.5)


def test_adversarial_model_weights_files_are_the_inner_models(tmp_path):
    from pipelines.adversarial import AdversarialModel

    weights, bias, x, y = random_problem(5, 8, 5, 3)
    wrapped = AdversarialModel(softmax_regression(weights, bias), eps=0.1)
    wrapped.save_weights(tmp_path / "best.weights.h5")
    bare = softmax_regression(np.zeros_like(weights), np.zeros_like(bias))
    bare.load_weights(tmp_path / "best.weights.h5")  # a checkpoint of the wrapper loads into the bare model
    np.testing.assert_array_equal(bare.predict(x, verbose=0), wrapped.predict(x, verbose=0))
    wrapped.load_weights(tmp_path / "best.weights.h5")
