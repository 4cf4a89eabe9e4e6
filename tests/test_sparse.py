"""The CSR matrix: every operation against the same operation on the dense matrix, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoencoder_np import sparse
from autoencoder_np.sparse import CSR, as_csr

shapes = st.tuples(st.integers(1, 9), st.integers(1, 9))
densities = st.sampled_from([0.0, 0.2, 0.6, 1.0])


def _matrix(shape: tuple[int, int], density: float, seed: int, dtype: type = np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.random(shape) < density) * rng.integers(1, 5, shape)).astype(dtype)


def test_the_docstring_example_is_how_csr_stores_it() -> None:
    X = CSR.from_dense([[0, 1, 0, 2], [0, 0, 0, 0], [5, 0, 0, 0]])
    assert X.indptr.tolist() == [0, 2, 2, 3]
    assert X.indices.tolist() == [1, 3, 0]
    assert X.values.tolist() == [1.0, 2.0, 5.0]
    assert (X.shape, X.nnz, X.dtype) == ((3, 4), 3, np.float64)
    assert X.row(0)[0].tolist() == [1, 3]
    assert X.row_counts().tolist() == [2, 0, 1]


@given(shape=shapes, density=densities, seed=st.integers(0, 100), dtype=st.sampled_from([np.float32, np.float64]))
def test_every_view_equals_the_dense_one(shape: tuple[int, int], density: float, seed: int, dtype: type) -> None:
    A = _matrix(shape, density, seed, dtype)
    X = CSR.from_dense(A)
    assert X.dtype == dtype
    np.testing.assert_array_equal(X.toarray(), A)
    np.testing.assert_array_equal(X.T.toarray(), A.T)
    assert X.T.T is X
    rows = np.random.default_rng(seed).integers(0, shape[0], size=5)  # any order, repeats
    np.testing.assert_array_equal(X.rows(rows).toarray(), A[rows])
    np.testing.assert_array_equal(X.densify(rows), A[rows])
    cols = np.random.default_rng(seed + 1).permutation(shape[1])[: max(1, shape[1] // 2)]
    np.testing.assert_array_equal(X.columns(cols).toarray(), A[:, cols])
    np.testing.assert_allclose(X.sum(axis=0), A.sum(axis=0), rtol=1e-6)
    np.testing.assert_allclose(X.sum(axis=1), A.sum(axis=1), rtol=1e-6)
    assert X.sum() == pytest.approx(A.sum())
    mask = X.values > 2
    np.testing.assert_array_equal(X.keep(mask).toarray(), np.where(A > 2, A, 0))
    r, c = np.nonzero(A)
    np.testing.assert_array_equal(X.row_ids(), r)
    np.testing.assert_array_equal(X.indices, c)


def test_densify_writes_into_a_reused_buffer_and_clears_what_was_there() -> None:
    A = _matrix((6, 5), 0.4, 3)
    X = CSR.from_dense(A)
    buffer = np.full((4, 5), 9.0)
    out = X.densify([5, 0], out=buffer)
    assert np.shares_memory(out, buffer)
    np.testing.assert_array_equal(out, A[[5, 0]])
    np.testing.assert_array_equal(buffer[2:], 9.0)  # rows past len(rows) are left alone
    with pytest.raises(ValueError, match=r"out must have shape \(≥ 5, 5\)"):
        X.densify(np.arange(5), out=buffer)


@given(n=st.integers(1, 8), m=st.integers(1, 8), p=st.integers(1, 6), density=densities, seed=st.integers(0, 100))
def test_products_equal_the_dense_products(n: int, m: int, p: int, density: float, seed: int) -> None:
    A, B = _matrix((n, m), density, seed), _matrix((m, p), density, seed + 1)
    D = np.random.default_rng(seed).standard_normal((m, p))
    E = np.random.default_rng(seed).standard_normal((p, n))
    X = CSR.from_dense(A)
    np.testing.assert_allclose(X @ D, A @ D, rtol=1e-12, atol=1e-12)  # float bound: summation order only
    np.testing.assert_allclose(E @ X, E @ A, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(X @ CSR.from_dense(B), A @ B)  # small integers: exact


@pytest.mark.parametrize("density", [0.001, 0.5])
def test_product_picks_a_gather_or_blas_and_both_give_x_times_d(density: float) -> None:
    A = _matrix((40, 300), density, 5)
    D = np.random.default_rng(1).standard_normal((300, 6))
    np.testing.assert_allclose(sparse.product(CSR.from_dense(A), D), A @ D, rtol=1e-12, atol=1e-12)


def test_blocked_products_are_the_same_in_small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    A, B = _matrix((30, 20), 0.3, 1), _matrix((20, 25), 0.3, 2)
    D = np.random.default_rng(0).standard_normal((20, 7))
    whole = (CSR.from_dense(A) @ D, CSR.from_dense(A) @ CSR.from_dense(B))
    monkeypatch.setattr(sparse, "BLOCK_ENTRIES", 10)  # a block of a row or two
    np.testing.assert_array_equal(CSR.from_dense(A) @ D, whole[0])
    np.testing.assert_array_equal(CSR.from_dense(A) @ CSR.from_dense(B), whole[1])


def test_from_coo_sorts_sums_or_refuses_repeats() -> None:
    X = CSR.from_coo([2, 0, 2, 0], [1, 3, 1, 0], [1.0, 2.0, 3.0, 4.0], (3, 4))
    np.testing.assert_array_equal(X.toarray(), [[4, 0, 0, 2], [0, 0, 0, 0], [0, 4, 0, 0]])
    with pytest.raises(ValueError, match=r"the entry \(2, 1\) repeats"):
        CSR.from_coo([2, 0, 2], [1, 3, 1], [1.0, 2.0, 3.0], (3, 4), duplicates="error")
    with pytest.raises(ValueError, match="outside the shape"):
        CSR.from_coo([3], [0], [1.0], (3, 4))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1], [0], [1.0], (2, 2)), "indptr must be 3 offsets starting at 0"),
        (([0, 2, 1, 3], [0, 1, 0], [1.0, 1.0, 1.0], (3, 2)), "indptr must never decrease"),
        (([0, 1, 2], [0, 5], [1.0, 1.0], (2, 2)), r"column indices must lie in \[0, 2\)"),
        (([0, 2, 2], [1, 0], [1.0, 1.0], (2, 2)), "increase strictly within each row"),
        (([0, 2, 2], [1, 1], [1.0, 1.0], (2, 2)), "increase strictly within each row"),
        (([0, 1, 1], [0], [np.nan], (2, 2)), "values hold NaN or inf"),
        (([0, 1, 2], [0], [1.0], (2, 2)), "indptr.-1. = 2 entries"),
    ],
)
def test_a_broken_csr_is_refused_with_the_rule_it_breaks(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CSR(*args)


def test_rows_in_a_new_row_start_the_check_of_the_order() -> None:
    X = CSR([0, 2, 3], [1, 3, 0], [1.0, 1.0, 1.0], (2, 4))  # row 1 starts again at column 0: valid
    np.testing.assert_array_equal(X.toarray(), [[0, 1, 0, 1], [1, 0, 0, 0]])


def test_as_csr_takes_dense_lists_and_csr_and_checks_them() -> None:
    X = CSR.from_dense(np.eye(3))
    assert as_csr(X, "X", "f") is X
    np.testing.assert_array_equal(as_csr([[0, 2], [1, 0]], "X", "f").toarray(), [[0, 2], [1, 0]])
    with pytest.raises(ValueError, match="f: X holds 1 NaN"):
        as_csr(np.array([[np.nan, 1.0]]), "X", "f")
    with pytest.raises(ValueError, match="f: X must be 2-D"):
        as_csr(np.ones(3), "X", "f")
    with pytest.raises(ValueError, match=r"D must have shape \(3, k\)"):
        X @ np.ones((2, 2))


def test_a_scipy_sparse_matrix_converts_when_scipy_is_installed() -> None:
    scipy_sparse = pytest.importorskip("scipy.sparse")
    A = _matrix((5, 4), 0.5, 7)
    m = scipy_sparse.coo_matrix(A)
    np.testing.assert_array_equal(as_csr(m, "X", "f").toarray(), A)
    np.testing.assert_array_equal(as_csr(scipy_sparse.csc_matrix(A), "X", "f").toarray(), A)


def test_repr_and_bytes_say_the_size() -> None:
    X = CSR.from_dense(np.eye(4, dtype=np.float32))
    assert repr(X) == "CSR(shape=(4, 4), nnz=4, density=2.50e-01, dtype=float32)"
    assert X.nbytes == 5 * 8 + 4 * 8 + 4 * 4
    assert X.astype(np.float64).dtype == np.float64
