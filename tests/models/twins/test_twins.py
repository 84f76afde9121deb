"""Graph twins equal their numpy ops (the reference) within stated float32 tolerances.

Inputs: real digits (MNIST-5k, a stratified 1,000) and Hypothesis-generated uint8 images. The
tolerances are absolute, in the op's output units:
- scale, flatten: exact (the same float32 division; a reshape).
- deskew: 1e-3 grey levels on 0-255 input (times |skew| when that exceeds 1, as generated noise
  images do). The twin's skew and shifts are float32 where the numpy op uses float64, and it
  blends (1 - f) a + f b where numpy computes a + f (b - a).
- hog interpolated: 1e-5 per feature (features are L2-Hys normalized, <= 0.2 before the last
  normalization). The polynomial atan is within 1.4e-7 rad; the bin weights are continuous in it.
- hog skimage: 2e-5 per feature where every gradient is a whole multiple of one grey level (raw
  or scaled pixels). After deskew the gradients are arbitrary floats and a float32 angle can land
  on the other side of a hard bin edge than skimage's float64 one: at most 0.5% of images differ
  beyond 2e-5 (measured: 0.18% of MNIST-5k).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from edge_runtime.preprocess import OPS
from models.backend import tf
from pipelines.datasets.mnist5k import data_file, read_mnist5k


@pytest.fixture(scope="module")
def twins():
    import models.twins

    return models.twins


@pytest.fixture(scope="module")
def digits():
    """1,000 real digits, 100 per class (the file is sorted by class)."""
    x, _ = read_mnist5k(data_file())
    return np.ascontiguousarray(x.reshape(10, 500, 28, 28, 1)[:, :100].reshape(-1, 28, 28, 1))


def _twin(twins, name, x, **params):
    return twins.get_twin(name)(tf.constant(np.asarray(x, np.float32)), **params).numpy()


def test_the_ops_that_compile_are_exactly_the_ops_with_a_twin(twins):
    assert {name for name, op in OPS.items() if op.compilable} == set(twins.TWINS)


def test_a_differentiable_or_grid_keeping_op_is_a_registered_op():
    assert all(not op.differentiable or op.compilable for op in OPS.values())
    assert OPS["scale"].keeps_grid and OPS["deskew"].keeps_grid
    assert not OPS["hog"].keeps_grid and not OPS["flatten"].keeps_grid


def test_scale_and_flatten_twins_are_exact(twins, digits):
    np.testing.assert_array_equal(_twin(twins, "scale", digits, divisor=255.0), OPS["scale"].fn(digits))
    np.testing.assert_array_equal(_twin(twins, "scale", digits, divisor=7.5), OPS["scale"].fn(digits, divisor=7.5))
    np.testing.assert_array_equal(_twin(twins, "flatten", digits), OPS["flatten"].fn(digits))


def test_deskew_twin_matches_numpy_on_real_digits(twins, digits):
    expected = OPS["deskew"].fn(digits)
    assert np.abs(_twin(twins, "deskew", digits) - expected).max() <= 1e-3
    scaled = digits / np.float32(255)  # after scale: same shear, 1/255 the units
    assert np.abs(_twin(twins, "deskew", scaled) - OPS["deskew"].fn(scaled)).max() <= 1e-3 / 255


@pytest.mark.parametrize("variant", ["interpolated", "skimage"])
def test_hog_twin_matches_numpy_on_real_digits(twins, digits, variant):
    for x in (digits, digits / np.float32(255)):
        x = x.astype(np.float32)
        error = np.abs(_twin(twins, "hog", x, variant=variant) - OPS["hog"].fn(x, variant=variant))
        assert error.max() <= (1e-5 if variant == "interpolated" else 2e-5)


@pytest.mark.parametrize("variant", ["interpolated", "skimage"])
def test_hog_twin_after_deskew_matches_numpy(twins, digits, variant):
    x = OPS["deskew"].fn(digits) / np.float32(255)
    error = np.abs(_twin(twins, "hog", x, variant=variant) - OPS["hog"].fn(x, variant=variant)).max(axis=1)
    if variant == "interpolated":
        assert error.max() <= 1e-5
    else:  # hard bin edges: a float32 angle may fall on the other side (see the module docstring)
        assert np.mean(error > 2e-5) <= 0.005


@pytest.mark.parametrize("cell,block,orientations", [(4, 3, 6), (5, 2, 12)])
def test_hog_twin_other_geometries(twins, digits, cell, block, orientations):
    x = digits[:200].astype(np.float32)
    for variant in ("interpolated", "skimage"):
        params = dict(variant=variant, cell=cell, block=block, orientations=orientations)
        error = np.abs(_twin(twins, "hog", x, **params) - OPS["hog"].fn(x, **params)).max(axis=1)
        assert np.mean(error > 2e-5) <= 0.005, variant


images = arrays(np.uint8, st.tuples(st.integers(14, 32), st.integers(14, 32)).map(lambda s: (2, *s, 1)))


@settings(max_examples=25, deadline=None)
@given(images)
def test_twins_match_numpy_on_generated_images(x):
    import models.twins as twins
    from edge_runtime.preprocess.moments import _moments, _skew

    # noise images can have skews far beyond a digit's (|skew| ~ 1): the float32 shift error, and
    # with it the tolerance, grows with |skew|
    n, h, w, _ = x.shape
    skew = np.abs(_skew(*_moments(x.reshape(n, h * w), h, w).T)).max()
    assert np.abs(_twin(twins, "deskew", x) - OPS["deskew"].fn(x)).max() <= 1e-3 * max(1.0, skew)
    xf = x.astype(np.float32)
    for variant, tol in (("interpolated", 1e-5), ("skimage", 2e-5)):
        np.testing.assert_allclose(_twin(twins, "hog", xf, variant=variant), OPS["hog"].fn(xf, variant=variant),
                                   rtol=0, atol=tol)


def test_twins_of_blank_and_constant_images_equal_numpy(twins):
    for value in (0, 255):
        x = np.full((1, 28, 28, 1), value, np.uint8)
        np.testing.assert_array_equal(_twin(twins, "deskew", x), OPS["deskew"].fn(x))
        for variant in ("interpolated", "skimage"):
            np.testing.assert_allclose(_twin(twins, "hog", x, variant=variant), OPS["hog"].fn(x, variant=variant),
                                       atol=1e-6)


def test_a_twin_refuses_what_it_cannot_express(twins):
    with pytest.raises(twins.NotCompilable, match="1 channel"):
        _twin(twins, "hog", np.zeros((1, 28, 28, 3), np.float32))


def test_hog_twin_gradient_is_finite_on_digits(twins, digits):
    x = tf.constant(digits[:8] / np.float32(255))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(twins.get_twin("hog")(twins.get_twin("deskew")(x)) ** 2)
    grad = tape.gradient(y, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0


def test_preprocess_layer_config_round_trips_and_a_saved_model_reloads(tmp_path, digits):
    from edge_runtime.preprocess import Pipeline
    from models import custom_objects
    from models.backend import keras
    from models.twins.layer import Preprocess, compilable_prefix, in_model, prefix_spec

    pipeline = Pipeline.from_spec([{"op": "deskew"}, {"op": "scale"}, {"op": "hog", "variant": "skimage"}])
    assert compilable_prefix(pipeline, (28, 28, 1)) == 3
    assert compilable_prefix(pipeline, (28, 28, 3)) == 0  # the deskew twin refuses 3 channels: all on the host
    layer = Preprocess(prefix_spec(pipeline, 3), name="preprocess")
    config = layer.get_config()
    assert config["steps"] == prefix_spec(pipeline, 3)
    assert Preprocess.from_config(config).get_config() == config
    inputs = keras.Input((324,))
    network = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(inputs))
    model = in_model(network, pipeline, {"shape": [28, 28, 1], "dtype": "uint8"}, 3)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects=custom_objects(), safe_mode=True)
    x = digits[:16]
    expected = network.predict(pipeline.transform(x), verbose=0)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-4)
