"""The first layer from its input's non-zero entries: the gather kernels equal their textbook twins (the dense
products) to rounding, the layer equals RegularizedDense, and every neural model trains from CSR as from the
dense matrix, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import seeds
from hypothesis import given, settings
from hypothesis import strategies as st

from autoencoder_np import recsys as rs
from autoencoder_np import textbook
from autoencoder_np.gradcheck import check_layer
from autoencoder_np.recsys import neural
from autoencoder_np.recsys.layers import RegularizedDense
from autoencoder_np.recsys.sparse_input import (
    GATHER_DENSITY,
    SparseInputDense,
    gather_backward,
    gather_forward,
    nonzero_entries,
)


def _clicks(seed: int, shape: tuple[int, int], density: float, dtype: type = np.float64) -> np.ndarray:
    """Mostly zeros, the non-zero entries of mixed sign and size (as after L2Normalize and Dropout)."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(-2, 2, shape) * (rng.random(shape) < density)).astype(dtype)


def _bound(x: np.ndarray, W: np.ndarray, g: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rounding bound of the two summation orders: n·ε·Σ|terms| per entry of y = xW (and of dW = xᵀg)."""
    eps = np.finfo(x.dtype).eps
    n = max(x.shape)
    y = n * eps * (np.abs(x) @ np.abs(W))
    dW = None if g is None else n * eps * (np.abs(x).T @ np.abs(g))
    return y, dW


@given(
    seed=seeds,
    batch=st.integers(1, 12),
    n_in=st.integers(1, 60),
    n_out=st.integers(1, 9),
    density=st.sampled_from([0.0, 0.02, 0.1, 0.5, 1.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_the_gather_kernels_equal_the_textbook_dense_products_to_rounding(
    seed: int, batch: int, n_in: int, n_out: int, density: float, dtype: type
) -> None:
    rng = np.random.default_rng(seed + 1)
    x = _clicks(seed, (batch, n_in), density, dtype)
    W, b = rng.normal(size=(n_in, n_out)).astype(dtype), rng.normal(size=n_out).astype(dtype)
    g = rng.normal(size=(batch, n_out)).astype(dtype)
    rows, cols, values = nonzero_entries(x)
    np.testing.assert_array_equal(x[rows, cols], values)
    assert np.count_nonzero(x) == len(values)
    assert np.all(np.diff(rows) >= 0)

    y, cache = gather_forward(rows, cols, values, batch, W, b)
    y_textbook, textbook_cache = textbook.dense_forward(x, W, b)
    grad_W, grad_b = np.full_like(W, np.nan), np.full_like(b, np.nan)  # every entry must be written
    gather_backward(g, cache, grad_W, grad_b)
    _, grad_W_textbook, grad_b_textbook = textbook.dense_backward(g, textbook_cache)

    bound_y, bound_W = _bound(x, W, g)
    assert y.dtype == grad_W.dtype == dtype
    assert np.all(np.abs(y - y_textbook) <= bound_y + np.abs(b) * np.finfo(dtype).eps)
    assert np.all(np.abs(grad_W - grad_W_textbook) <= bound_W)
    np.testing.assert_array_equal(grad_W[np.count_nonzero(x, axis=0) == 0], 0.0)  # items nobody has: exactly 0
    np.testing.assert_allclose(grad_b, grad_b_textbook, rtol=batch * np.finfo(dtype).eps, atol=0)


def test_the_gather_by_hand() -> None:
    x = np.array([[0.0, 2.0, 0.0, 0.5], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    W = np.arange(8.0).reshape(4, 2)
    b = np.array([10.0, 20.0])
    y, cache = gather_forward(*nonzero_entries(x), 3, W, b)
    np.testing.assert_array_equal(y, [[2 * W[1, 0] + 0.5 * W[3, 0] + 10, 2 * W[1, 1] + 0.5 * W[3, 1] + 20],
                                      [10, 20], [W[0, 0] + 10, W[0, 1] + 20]])  # fmt: skip
    g = np.array([[1.0, -1.0], [5.0, 5.0], [3.0, 0.0]])
    grad_W, grad_b = np.empty_like(W), np.empty_like(b)
    gather_backward(g, cache, grad_W, grad_b)
    np.testing.assert_array_equal(grad_W, [[3.0, 0.0], [2.0, -2.0], [0.0, 0.0], [0.5, -0.5]])  # xᵀ g
    np.testing.assert_array_equal(grad_b, [9.0, 4.0])


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("density", [0.005, 0.3])  # below and above GATHER_DENSITY
def test_the_layer_equals_regularized_dense(l2: float, density: float) -> None:
    x = _clicks(3, (40, 500), density)
    sparse, dense = (kind(500, 7, l2=l2, rng=0) for kind in (SparseInputDense, RegularizedDense))
    g = np.random.default_rng(4).normal(size=(40, 7))
    y, y_dense = sparse.forward(x), dense.forward(x)
    grad_x, grad_x_dense = sparse.backward(g), dense.backward(g)
    gathered = np.count_nonzero(x) < GATHER_DENSITY * x.size
    assert ("rows" in sparse.cache) == gathered
    np.testing.assert_allclose(y, y_dense, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(sparse.grads["W"], dense.grads["W"], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(sparse.grads["b"], dense.grads["b"], rtol=1e-13)
    np.testing.assert_array_equal(grad_x, grad_x_dense)  # dL/dx = g·Wᵀ either way
    assert sparse.aux_loss() == dense.aux_loss()
    sparse.input_grad = False  # as fit sets it on a first layer
    sparse.forward(x)
    assert sparse.backward(g) is None


def test_a_gather_density_of_zero_takes_the_dense_products_bitwise() -> None:
    x = _clicks(6, (8, 300), 0.003)
    layer, reference = SparseInputDense(300, 4, rng=1), RegularizedDense(300, 4, rng=1)
    layer.gather_density = 0.0  # what the benchmark's dense twin sets
    np.testing.assert_array_equal(layer.forward(x), reference.forward(x))
    assert "x" in layer.cache


def test_the_textbook_kernels_take_the_dense_products() -> None:
    x = _clicks(5, (8, 300), 0.003)
    layer = SparseInputDense(300, 4, rng=1)
    layer.kernels = "textbook"
    reference = RegularizedDense(300, 4, rng=1)
    reference.kernels = "textbook"
    np.testing.assert_array_equal(layer.forward(x), reference.forward(x))
    assert "x" in layer.cache


@settings(max_examples=10)  # every entry checked: a few hundred forward passes per example
@given(seed=seeds, batch=st.integers(1, 4), n_in=st.integers(1, 3), n_out=st.integers(1, 3))
def test_the_gathered_layer_passes_the_gradient_check(seed: int, batch: int, n_in: int, n_out: int) -> None:
    x = np.zeros((batch, 101 * n_in))
    x[:, :n_in] = np.random.default_rng(seed).uniform(-2, 2, (batch, n_in))  # < 1% non-zero: gathered
    layer = SparseInputDense(101 * n_in, n_out, l2=0.1, rng=seed)
    layer.forward(x)
    assert "rows" in layer.cache
    report = check_layer(layer, x, seed=seed, large=None)  # every entry of x, W and b
    assert report.passed, str(report)


def test_a_shape_or_grad_mistake_is_a_clear_error() -> None:
    layer = SparseInputDense(50, 3, rng=0)
    with pytest.raises(ValueError, match=r"x has 49 features, expected 50"):
        layer.forward(np.zeros((2, 49)))
    layer.forward(_clicks(0, (4, 50), 0.005))
    with pytest.raises(ValueError, match=r"grad_y has shape \(3, 3\), expected \(4, 3\)"):
        layer.backward(np.ones((3, 3)))


# The neural models: from CSR as from the dense matrix ------------------------------------------------------

NEURAL = [
    lambda: rs.MultDAE((16,), epochs=3, batch_size=32, l2=0.01),
    lambda: rs.MultVAE((16, 8), epochs=3, batch_size=32),
    lambda: rs.MultVAE((8,), epochs=3, batch_size=32),
    lambda: rs.AutoRec("item", 8, epochs=3, batch_size=16),
    lambda: rs.AutoRec("user", 8, epochs=3, batch_size=16),
]


@pytest.mark.parametrize("make", NEURAL, ids=lambda m: repr(m()))
def test_a_neural_model_trains_from_csr_exactly_as_from_the_dense_matrix(make, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = rs.synthetic_ratings(200, 60, seed=4)
    rating = make().protocol == "ratings"
    if rating:
        split = rs.split_ratings(data, seed=1)
        train, validation = split.train.matrix(sparse=True), split.validation.matrix(sparse=True)
    else:
        split = rs.split_heldout_users(data, seed=1, sparse=True)
        train, validation = split.train, split.validation
    from_csr = make().fit(train, validation)
    seen = []
    original = neural.NeuralTraining._train

    def dense_train(self, X, *, mask=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(type(X).__name__)
        dense_mask = None if mask is None else mask.toarray()
        return original(self, X.toarray(), mask=dense_mask, **kwargs)

    monkeypatch.setattr(neural.NeuralTraining, "_train", dense_train)
    from_dense = make().fit(train, validation)
    assert seen == ["CSR"]  # the model hands the core fit its CSR
    for (name, p, _), (_, q, _) in zip(from_csr.network_.parameters(), from_dense.network_.parameters(), strict=True):
        np.testing.assert_array_equal(p, q, err_msg=name)
    np.testing.assert_array_equal(from_csr.validation_trace_, from_dense.validation_trace_)
