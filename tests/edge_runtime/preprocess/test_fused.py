"""The fused one-frame path of the hybrid stage gives the step-by-step pipeline's bits."""

import numpy as np
import pytest

from edge_runtime.preprocess import Pipeline
from edge_runtime.preprocess import fused as fused_module
from edge_runtime.preprocess.moments import deskew, deskew_frame
from tests.edge_runtime.preprocess.digits import mnist

HYBRID = [{"op": "deskew"}, {"op": "scale", "divisor": 255.0},
          {"op": "hog", "variant": "interpolated", "cell": 7, "block": 2, "orientations": 9}]


def step_by_step(pipe, x):
    for step in pipe.steps:
        x = step.op.fn(x, **step.params)
    return x


def frames():
    rng = np.random.default_rng(5)
    bar = np.zeros((28, 28, 1), np.uint8)
    bar[np.arange(28), np.clip(np.arange(28) // 2 + 4, 0, 27)] = 255  # a strong slant
    extra = [np.zeros((28, 28, 1), np.uint8), np.full((28, 28, 1), 255, np.uint8), bar,
             rng.integers(0, 256, (28, 28, 1), dtype=np.uint8)]
    return np.concatenate([mnist(200), np.stack(extra)])


@pytest.mark.parametrize("spec", [HYBRID, [HYBRID[0], {"op": "scale", "divisor": 3.0},
                                           {"op": "hog", "cell": 6, "block": 3, "orientations": 8}]])
def test_one_uint8_frame_takes_the_fused_path_with_the_same_bits(spec):
    pipe = Pipeline.from_spec(spec)
    for img in frames():
        x = img[None]
        fast = fused_module.one_frame(pipe.steps, x)
        assert fast is not None
        np.testing.assert_array_equal(fast, step_by_step(pipe, x))
        np.testing.assert_array_equal(pipe.transform(x), fast)


def test_deskew_frame_equals_the_deskew_op_bit_for_bit():
    for img in frames():
        np.testing.assert_array_equal(deskew_frame(img[..., 0]), deskew(img[None])[0, ..., 0])


@pytest.mark.parametrize("x", [mnist(2), mnist(1).astype(np.float32), np.zeros((1, 28, 28, 3), np.uint8)])
def test_batches_floats_and_colour_go_step_by_step(x):
    pipe = Pipeline.from_spec(HYBRID)
    assert fused_module.one_frame(pipe.steps, x) is None


def test_other_pipelines_go_step_by_step():
    spec = [HYBRID[0], HYBRID[1], {"op": "hog", "variant": "skimage"}]
    assert fused_module.one_frame(Pipeline.from_spec(spec).steps, mnist(1)) is None
    assert fused_module.one_frame(Pipeline.from_spec(HYBRID[:2]).steps, mnist(1)) is None


def test_fused_paths_are_registered_by_op_sequence():
    assert ("deskew", "scale", "hog") in fused_module.FUSED
    with pytest.raises(ValueError, match="registered twice"):
        fused_module.register_fused("deskew", "scale", "hog")(lambda steps, x: None)
    x = mnist(1)
    assert fused_module.one_frame(Pipeline.from_spec([{"op": "scale"}, {"op": "deskew"}]).steps, x) is None
