"""Every graph twin computes its numpy op: on all of MNIST-5k and on hypothesis-generated images.

The twin runs eagerly in TensorFlow on the float32 values of the op's input (what an exported
model computes); each case states its tolerance and why it is not 0 (``cases.CASES``).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from edge_runtime.preprocess import OPS
from tests.models.twins.cases import CASES, as_kind, fitted, mnist5k

#: eager chunks: equalize and Otsu compare every pixel with 256 levels (chunk x 784 x 256 floats)
CHUNK = 500


def _twin_output(pipeline, x):
    from models.backend import tf
    from models.twins.chain import TwinChain

    chain = TwinChain(pipeline, x.shape[1:], x.dtype)
    parts = [chain(tf.constant(x[i : i + CHUNK].astype(np.float32))).numpy() for i in range(0, len(x), CHUNK)]
    return np.concatenate(parts)


def _check(case, x, spec=None):
    spec, tolerance = spec or CASES[case][0], CASES[case][2]
    pipeline = fitted(spec, x)
    want = pipeline.transform(x)
    got = _twin_output(pipeline, x)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=0, atol=tolerance, err_msg=case)


def test_every_op_with_a_twin_is_compilable_and_only_those():
    from models.twins import TWINS

    assert {name for name, op in OPS.items() if op.compilable} == set(TWINS)
    assert {spec[0]["op"] for spec, _, _ in CASES.values()} <= set(TWINS)


def test_an_op_without_a_twin_says_which_have_one():
    from edge_runtime.errors import ConfigError
    from models.twins import get_twin

    with pytest.raises(ConfigError, match="'lbp' has no graph twin. Expected one of: .*sobel"):
        get_twin("lbp")


@pytest.mark.parametrize("case", sorted(CASES))
def test_twin_equals_the_numpy_op_on_mnist5k(case):
    _check(case, as_kind(mnist5k(), CASES[case][1]))


images = st.tuples(st.integers(2, 3), st.integers(6, 16), st.integers(6, 16), st.sampled_from([1, 3])).flatmap(
    lambda shape: arrays(np.uint8, shape, elements=st.integers(0, 255)))


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=10, deadline=None)
@given(x=images)
def test_twin_equals_the_numpy_op_on_generated_images(case, x):
    spec, kind, _ = CASES[case]
    if kind.startswith("rgb") and x.shape[-1] == 1:
        x = np.concatenate([x, x[::-1], x[:, ::-1]], axis=-1)
    if spec[0]["op"] == "center_crop":
        x = np.pad(x, ((0, 0), (10, 10), (10, 10), (0, 0)))  # at least the 20x19 window
    if spec[0]["op"] == "pca":
        spec = [{"op": "pca", "components": 2}]  # fitted on the 2-3 generated images themselves
    _check(case, x / np.float32(255) if kind.endswith("unit") else x, spec)


def test_an_in_model_preprocess_layer_gives_the_twins_the_dtype_their_numpy_ops_receive():
    from models.backend import keras
    from models.twins.layer import Preprocess

    rgb = as_kind(mnist5k()[:300], "rgb")
    pipeline = fitted([{"op": "grayscale"}, {"op": "invert"}, {"op": "scale"}], rgb)  # uint8 until scale
    raw = keras.Input(rgb.shape[1:], dtype="uint8")
    model = keras.Model(raw, Preprocess([{"op": s.op.name, **s.params} for s in pipeline.steps])(raw))
    got = model.predict(rgb, verbose=0)
    # invert's maximum 255 and Pillow's rounding; 1 ulp: in a graph, grappler turns scale's x / 255 into x * (1 / 255)
    np.testing.assert_allclose(got, pipeline.transform(rgb), rtol=0, atol=1.2e-7)


def test_the_sobel_magnitude_twin_has_a_finite_gradient_on_flat_regions():
    from models.backend import tf
    from models.twins import get_twin

    x = tf.constant(as_kind(mnist5k()[:20], "unit"))  # mostly flat 0 background
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(get_twin("sobel")(x))
    grad = tape.gradient(total, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).max() > 0


def test_otsus_twin_refuses_integer_input_wider_than_uint8():
    from models.backend import tf
    from models.twins import NotCompilable, get_twin

    with pytest.raises(NotCompilable, match="uint8 or float input. Received: dtype='uint16'"):
        get_twin("threshold")(tf.zeros((1, 4, 4, 1)), dtype="uint16")
