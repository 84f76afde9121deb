"""standardize vs sklearn's StandardScaler, pca vs sklearn's PCA (full SVD, its sign convention)."""

import numpy as np
import pytest

from edge_runtime.errors import DataError
from edge_runtime.preprocess import Pipeline
from tests.edge_runtime.oracles import oracle
from tests.edge_runtime.preprocess.digits import mnist

PCA = oracle("sklearn.decomposition").PCA
StandardScaler = oracle("sklearn.preprocessing").StandardScaler


def test_standardize_per_channel_equals_standard_scaler_on_features():
    x = np.random.default_rng(0).normal(3.0, 2.0, (50, 6)).astype(np.float32)
    x[:, 2] = 5.0  # a constant feature keeps std 1, as in sklearn
    pipe = Pipeline.from_spec([{"op": "standardize", "mode": "per_channel"}]).fit(x)
    np.testing.assert_allclose(pipe.transform(x), StandardScaler().fit_transform(x), atol=1e-5)


def test_standardize_global_uses_one_mean_and_std():
    x = mnist(20)
    pipe = Pipeline.from_spec([{"op": "standardize"}]).fit(x)
    ref = (x - x.astype(np.float64).mean()) / x.astype(np.float64).std()
    np.testing.assert_allclose(pipe.transform(x), ref, atol=1e-5)
    assert isinstance(pipe.to_spec()[0]["mean"], float)


def test_pca_equals_sklearn_full_svd_including_signs():
    x = mnist(80)
    pipe = Pipeline.from_spec([{"op": "scale"}, {"op": "pca", "components": 12}]).fit(x)
    flat = x.reshape(80, -1) / 255.0
    ref = PCA(12, svd_solver="full").fit(flat).transform(flat)
    np.testing.assert_allclose(pipe.transform(x), ref, atol=1e-4)  # float32 projection of 784 values


def test_pca_with_more_components_than_samples_is_a_data_error():
    with pytest.raises(DataError, match=r"components <= min\(samples, features\) = 5"):
        Pipeline.from_spec([{"op": "pca", "components": 6}]).fit(np.zeros((5, 10), np.float32))


def test_a_fitted_step_used_before_fit_is_a_data_error():
    with pytest.raises(DataError, match="call Pipeline.fit"):
        Pipeline.from_spec([{"op": "standardize"}]).transform(np.zeros((1, 3), np.float32))


def test_pca_single_sample_equals_its_row_in_a_batch_bit_for_bit():
    x = mnist(30)
    pipe = Pipeline.from_spec([{"op": "pca", "components": 5}]).fit(x)
    batch = pipe.transform(x)
    np.testing.assert_array_equal(np.concatenate([pipe.transform(x[i : i + 1]) for i in range(30)]), batch)
