"""lbp: codes equal skimage.feature.local_binary_pattern(method="uniform"); histograms per grid cell."""

import numpy as np
import pytest

from edge_runtime.preprocess.lbp import lbp, lbp_codes
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.preprocess.digits import mnist

local_binary_pattern = oracle("skimage.feature").local_binary_pattern


@pytest.mark.parametrize(("points", "radius"), [(8, 1.0), (16, 2.0), (8, 1.5), (12, 3.0)])
def test_uniform_codes_equal_skimage_exactly(points, radius):
    x = mnist(20)[..., 0]
    ref = np.stack([local_binary_pattern(img, points, radius, "uniform") for img in x])
    np.testing.assert_array_equal(lbp_codes(x, points, radius), ref)


def test_histograms_are_the_normalized_code_counts_of_each_cell():
    x = mnist(6)
    out = lbp(x, points=8, radius=1.0, grid=2)
    assert out.shape == (6, 2 * 2 * 10) and out.dtype == np.float32
    for img, got in zip(x[..., 0], out, strict=True):
        codes = local_binary_pattern(img, 8, 1, "uniform").astype(int)
        cells = [codes[:14, :14], codes[:14, 14:], codes[14:, :14], codes[14:, 14:]]
        ref = np.concatenate([np.bincount(c.ravel(), minlength=10) / c.size for c in cells])
        np.testing.assert_allclose(got, ref, atol=1e-7)
