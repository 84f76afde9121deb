"""Shape and dtype contracts of every op on hypothesis-generated images, and bad input handling."""

import numpy as np
import pytest

from edge_runtime.errors import DataError
from edge_runtime.preprocess import OPS, Pipeline
from tests.edge_runtime.oracles import oracle

given, settings = oracle("hypothesis").given, oracle("hypothesis").settings
st = oracle("hypothesis.strategies")
arrays = oracle("hypothesis.extra.numpy").arrays

# op name -> (params, channels accepted, output dtype given the input dtype)
FLOAT = lambda dtype: np.float32  # noqa: E731
SAME = lambda dtype: dtype  # noqa: E731
U8_OR_FLOAT = lambda dtype: np.uint8 if dtype == np.uint8 else np.float32  # noqa: E731
CONTRACTS = {
    "scale": ({}, None, FLOAT),
    "flatten": ({}, None, SAME),
    "grayscale": ({}, (1, 3), U8_OR_FLOAT),
    "invert": ({}, None, U8_OR_FLOAT),
    "equalize": ({}, None, SAME),
    "resize": ({"size": [10, 12]}, None, U8_OR_FLOAT),
    "center_crop": ({"size": [12, 12]}, None, SAME),
    "pad": ({"width": [1, 0, 2, 3], "mode": "reflect"}, None, SAME),
    "gaussian_blur": ({"sigma": 0.8}, None, FLOAT),
    "sobel": ({"output": "all"}, None, FLOAT),
    "threshold": ({}, None, FLOAT),
    "morphology": ({"operation": "open"}, None, SAME),
    "deskew": ({}, (1,), FLOAT),
    "center_of_mass": ({}, None, SAME),
    "hog": ({"cell": 4}, None, FLOAT),
    "lbp": ({"grid": 2}, (1,), FLOAT),
    "standardize": ({"mode": "per_channel"}, None, FLOAT),
    "pca": ({"components": 2}, None, FLOAT),
}


def test_the_contract_table_covers_every_registered_op():
    assert set(CONTRACTS) == set(OPS)


images = st.tuples(
    st.integers(1, 3), st.integers(14, 20), st.integers(14, 20), st.sampled_from([1, 3]),
    st.sampled_from([np.uint8, np.float32]),
).flatmap(lambda t: arrays(t[4], t[:4], elements=st.integers(0, 255) if t[4] == np.uint8 else
                           st.floats(0, 1, width=32)))


@pytest.mark.parametrize("name", sorted(CONTRACTS))
@settings(max_examples=12, deadline=None)
@given(x=images)
def test_output_shape_and_dtype_follow_the_contract(name, x):
    params, channels, out_dtype = CONTRACTS[name]
    if channels is not None and x.shape[-1] not in channels:
        x = x[..., :1]
    if name == "equalize" and x.dtype != np.uint8:
        x = (x * 255).astype(np.uint8)
    if name == "pca" and len(x) < 2:
        x = np.concatenate([x, x[::-1] * 0.5])
    pipe = Pipeline.from_spec([{"op": name, **params}])
    out = pipe.fit_transform(x) if pipe.requires_fit else pipe.transform(x)
    assert out.shape == (len(x), *pipe.output_shape(x.shape[1:]))
    assert out.dtype == out_dtype(x.dtype)
    assert np.isfinite(out.astype(np.float64)).all()


GOOD = np.zeros((2, 28, 28, 1), np.uint8)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
@pytest.mark.parametrize(("bad", "message"), [
    (np.zeros((0, 28, 28, 1), np.uint8), r"expected a non-empty batch. Received: shape=\(0, 28, 28, 1\) dtype=uint8"),
    (np.full((1, 28, 28, 1), np.nan, np.float32), r"input holds NaN or inf. Received: shape=\(1, 28, 28, 1\) dtype=float32"),
    (np.full((1, 28, 28, 1), np.inf, np.float64), "input holds NaN or inf"),
    (np.zeros((1, 28, 28, 1), bool), r"expected an integer or float array. Received: shape=\(1, 28, 28, 1\) dtype=bool"),
    ([[1, 2]], "expected a numpy array. Received: list"),
])
def test_every_op_rejects_empty_non_finite_and_non_numeric_input(name, bad, message):
    params = CONTRACTS[name][0]
    pipe = Pipeline.from_spec([{"op": name, **params}])
    if pipe.requires_fit:
        pipe.fit(GOOD.astype(np.float32) + np.arange(2, dtype=np.float32)[:, None, None, None])
    with pytest.raises(DataError, match=f"{name}: {message}"):
        pipe.transform(bad)


IMAGE_OPS = sorted(n for n in CONTRACTS if n not in ("scale", "flatten", "standardize", "pca"))


@pytest.mark.parametrize("name", IMAGE_OPS)
def test_image_ops_reject_a_batch_without_the_channel_axis(name):
    with pytest.raises(DataError, match=rf"{name}: expected a batch \(N, H, W, C\). Received: shape=\(2, 28, 28\) dtype=uint8"):
        Pipeline.from_spec([{"op": name, **CONTRACTS[name][0]}]).transform(GOOD[..., 0])


@pytest.mark.parametrize(("name", "channels"), [("deskew", 3), ("lbp", 3), ("grayscale", 2)])
def test_ops_with_a_channel_contract_name_the_shape_received(name, channels):
    with pytest.raises(DataError, match=rf"{name}: expected .*channel\(s\). Received: shape=\(1, 28, 28, {channels}\)"):
        Pipeline.from_spec([{"op": name}]).transform(np.zeros((1, 28, 28, channels), np.uint8))


def test_mixed_infinities_and_huge_finite_values_give_no_numpy_warnings():
    mixed = np.zeros((1, 28, 28, 1), np.float32)
    mixed[0, 0, 0], mixed[0, 1, 1] = np.inf, -np.inf
    with pytest.raises(DataError, match="NaN or inf"):
        Pipeline.from_spec([{"op": "hog"}]).transform(mixed)
    huge = np.full((1, 28, 28, 1), 3e38, np.float32)  # finite, but its sum overflows float32
    assert Pipeline.from_spec([{"op": "hog"}]).transform(huge).shape == (1, 324)
