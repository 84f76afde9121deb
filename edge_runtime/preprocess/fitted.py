"""Steps that learn from training data: standardize (mean/std) and pca (a projection).

``Pipeline.fit`` calls each op's fit function on the training batch and stores what it returns
as the step's state; the state is plain numbers or arrays (written as ``.npy`` by ``to_spec``),
never pickle. Dtype contract: real in, float32 out; the statistics are fitted in float64.
"""

from __future__ import annotations

import numpy as np

from edge_runtime.errors import DataError
from edge_runtime.preprocess.registry import check_batch, check_choice, check_int, register_op

#: a feature with a smaller standard deviation than this is constant: it is divided by 1 instead
MIN_STD = 1e-12


# standardize --------------------------------------------------------------------------------------
def _std_validate(*, mode="global"):
    check_choice("standardize", "mode", mode, ("global", "per_channel"))


def _std_fit(x: np.ndarray, *, mode="global") -> dict:
    check_batch(x, "standardize", rank=None)
    data = x.astype(np.float64)
    axes = None if mode == "global" else tuple(range(x.ndim - 1))
    mean = data.mean(axis=axes)
    std = data.std(axis=axes)
    std = np.where(std < MIN_STD, 1.0, std)
    if mode == "global":
        return {"mean": float(mean), "std": float(std)}
    return {"mean": mean.astype(np.float32), "std": std.astype(np.float32)}


@register_op("standardize", output_shape=lambda shape, **_: tuple(shape), fit=_std_fit, state=("mean", "std"),
             compilable=True, differentiable=True, keeps_grid=True, pixelwise=True,
             validate=_std_validate, cost=lambda shape, **_: 2 * int(np.prod(shape)))
def standardize(x: np.ndarray, *, mode: str = "global", mean=None, std=None) -> np.ndarray:
    """(x - mean) / std with statistics fitted on training data, as sklearn's ``StandardScaler``
    (population std; a constant feature keeps std 1). ``mode="global"``: one mean and std;
    ``"per_channel"``: one per entry of the last axis (image channels, or features of (N, F))."""
    check_batch(x, "standardize", rank=None)
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    if mode == "per_channel" and mean.shape != (x.shape[-1],):
        raise DataError(
            f"standardize: fitted on {mean.shape[0] if mean.ndim else 1} channel(s). Received: shape={x.shape}"
        )
    return (x.astype(np.float32) - mean) / std


# pca ----------------------------------------------------------------------------------------------
def _pca_validate(*, components=32):
    check_int("pca", "components", components, 1)


def _pca_fit(x: np.ndarray, *, components=32) -> dict:
    """Principal axes of the centred, flattened training data; the largest |entry| of each is positive."""
    check_batch(x, "pca", rank=None)
    data = x.reshape(len(x), -1).astype(np.float64)
    if components > min(data.shape):
        raise DataError(
            f"pca: expected components <= min(samples, features) = {min(data.shape)}. "
            f"Received: components={components} for data of shape {x.shape}"
        )
    mean = data.mean(axis=0)
    _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
    basis = vt[:components]
    signs = np.sign(basis[np.arange(components), np.argmax(np.abs(basis), axis=1)])
    basis = basis * np.where(signs == 0, 1.0, signs)[:, None]
    return {"mean": mean.astype(np.float32), "basis": basis.astype(np.float32)}


def _pca_shape(shape, *, components=32, **_):
    return (int(components),)


@register_op("pca", output_shape=_pca_shape, fit=_pca_fit, state=("mean", "basis"), validate=_pca_validate,
             compilable=True, differentiable=True,
             cost=lambda shape, *, components=32, **_: 2 * int(np.prod(shape)) * (int(components) + 1))
def pca(x: np.ndarray, *, components: int = 32, mean=None, basis=None) -> np.ndarray:
    """Project flattened samples on the fitted principal axes: (x - mean) @ basis.T, as
    ``sklearn.decomposition.PCA(svd_solver="full").transform`` (same sign convention as its
    ``svd_flip(u_based_decision=False)``). (N, ...) real -> (N, components) float32."""
    check_batch(x, "pca", rank=None)
    flat = x.reshape(len(x), -1).astype(np.float32)
    mean = np.asarray(mean, dtype=np.float32)
    basis = np.asarray(basis, dtype=np.float32)
    if flat.shape[1] != mean.shape[0]:
        raise DataError(f"pca: fitted on {mean.shape[0]} features per sample. Received: shape={x.shape}")
    # one (1, F) @ (F, k) product per sample: the same BLAS call whatever the batch size, so a
    # sample projects bit-identically alone (device) and in a batch (training)
    return np.matmul((flat - mean)[:, None, :], basis.T)[:, 0, :]
