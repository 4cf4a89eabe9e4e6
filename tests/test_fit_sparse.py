"""fit, evaluate and predict on sparse data (a CSR, or scipy.sparse) densify one batch at a time into the same
dense batches: training from CSR equals training from the dense matrix, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import seeds
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np.sparse import CSR


def _clicks(seed: int, shape: tuple[int, int], density: float = 0.1) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < density).astype(float)


@given(
    seed=seeds,
    rows=st.integers(5, 40),
    batch_size=st.integers(1, 16),
    shuffle=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_an_autoencoder_fit_from_csr_equals_the_fit_from_the_dense_matrix(
    seed: int, rows: int, batch_size: int, shuffle: bool, dtype: type
) -> None:
    X = _clicks(seed, (rows, 12))
    X[0, 0] = 1.0  # never all zero
    batch_size = min(batch_size, rows)
    dense, sparse = (ae.Autoencoder.from_sizes([12, 4], seed=seed, dtype=dtype, input_dropout=0.5) for _ in "ab")
    settings = {"epochs": 2, "batch_size": batch_size, "seed": seed, "shuffle": shuffle, "verbose": 0, "loss": "bce"}
    history = dense.fit(X, validation_data=X[:3], **settings)
    history_sparse = sparse.fit(CSR.from_dense(X), validation_data=CSR.from_dense(X[:3]), **settings)
    np.testing.assert_array_equal(sparse.flat.params, dense.flat.params)
    assert history_sparse == history
    assert sparse.evaluate(CSR.from_dense(X)) == dense.evaluate(X)
    np.testing.assert_array_equal(sparse.predict(CSR.from_dense(X)), dense.predict(X))
    np.testing.assert_array_equal(sparse.encode(CSR.from_dense(X)), dense.encode(X))


def test_a_sparse_target_and_mask_train_as_their_dense_forms() -> None:
    rng = np.random.default_rng(0)
    observed = _clicks(1, (30, 8), 0.3)
    observed[:, 0] = 1.0
    ratings = rng.integers(1, 6, observed.shape) * observed
    inputs = rng.random((30, 5))
    dense, sparse = (ae.Sequential([ae.Dense(5, 8, rng=0), ae.Identity()]) for _ in "ab")
    settings = {"epochs": 3, "batch_size": 7, "seed": 2, "verbose": 0}
    dense.fit(inputs, ratings, mask=observed, **settings)
    sparse.fit(inputs, CSR.from_dense(ratings), mask=CSR.from_dense(observed), **settings)
    np.testing.assert_array_equal(sparse.flat.params, dense.flat.params)


def test_a_scipy_sparse_matrix_is_read_without_scipy_being_required() -> None:
    scipy_sparse = pytest.importorskip("scipy.sparse")
    X = _clicks(3, (20, 6))
    X[0, 0] = 1.0
    dense, sparse = (ae.Autoencoder.from_sizes([6, 2], seed=0) for _ in "ab")
    dense.fit(X, epochs=2, batch_size=5, seed=0, verbose=0)
    sparse.fit(scipy_sparse.csr_matrix(X), epochs=2, batch_size=5, seed=0, verbose=0)
    np.testing.assert_array_equal(sparse.flat.params, dense.flat.params)


def test_sparse_data_gets_the_same_boundary_checks() -> None:
    model = ae.Autoencoder.from_sizes([6, 2], seed=0)
    X = CSR.from_dense(_clicks(0, (10, 6)))
    with pytest.raises(ValueError, match=r"^Autoencoder\.fit: y has 4 rows, expected one per row of X \(10\)"):
        model.fit(X, CSR.from_dense(np.ones((4, 6))), verbose=0)
    with pytest.raises(ValueError, match=r"mask has shape \(10, 5\), expected the shape of y \(10, 6\)"):
        model.fit(X, mask=CSR.from_dense(np.ones((10, 5))), verbose=0)
    with pytest.raises(ValueError, match=r"mask must be non-negative weights"):
        model.fit(X, mask=CSR.from_dense(-np.ones((10, 6))), verbose=0)
    with pytest.raises(ValueError, match=r"Dense\(6→2\)\.forward: x has 5 features, expected 6"):
        model.fit(CSR.from_dense(np.ones((10, 5))), batch_size=5, verbose=0)
