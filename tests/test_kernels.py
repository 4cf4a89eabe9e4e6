"""Each fast kernel equals its textbook twin (``autoencoder_np.fast`` against ``autoencoder_np.textbook``).

Bitwise where both run the same floating-point operations in the same order (a different order of the
operands of one + or ×, or an in-place form of the same operation, rounds the same). Else within a stated
bound: a sum taken in another order differs by at most about n·ε·Σ|terms| (n terms, ε the dtype's machine
epsilon); one extra rounding (a product by a reciprocal instead of a division) by at most 1 ulp of the result.
Shapes, dtypes, masks and values are drawn by hypothesis.
"""

from __future__ import annotations

import numpy as np
from helpers import seeds
from hypothesis import given
from hypothesis import strategies as st

from autoencoder_np import fast, textbook

dtypes = st.sampled_from([np.float32, np.float64])
sides = st.integers(1, 9)


def _normal(seed: int, shape: tuple[int, ...], dtype: type, scale: float = 1.0) -> np.ndarray:
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def _eps(dtype: type) -> float:
    return float(np.finfo(dtype).eps)


def _same(fast_value: np.ndarray, textbook_value: np.ndarray) -> None:
    assert fast_value.dtype == textbook_value.dtype
    np.testing.assert_array_equal(fast_value, textbook_value, strict=True)


@given(batch=sides, n_in=sides, n_out=sides, dtype=dtypes, seed=seeds)
def test_dense_forward_is_bitwise_the_textbook(batch: int, n_in: int, n_out: int, dtype: type, seed: int) -> None:
    x, W, b = (
        _normal(seed, (batch, n_in), dtype),
        _normal(seed + 1, (n_in, n_out), dtype),
        _normal(seed + 2, (n_out,), dtype),
    )
    (y_fast, cache_fast), (y_book, cache_book) = fast.dense_forward(x, W, b), textbook.dense_forward(x, W, b)
    _same(y_fast, y_book)  # x W, then + b: the same two roundings per entry
    assert cache_fast.keys() == cache_book.keys()


@given(batch=sides, n_in=sides, n_out=sides, dtype=dtypes, seed=seeds, input_grad=st.booleans())
def test_dense_backward_equals_the_textbook(
    batch: int, n_in: int, n_out: int, dtype: type, seed: int, input_grad: bool
) -> None:
    x, W = _normal(seed, (batch, n_in), dtype), _normal(seed + 1, (n_in, n_out), dtype)
    grad_y = _normal(seed + 2, (batch, n_out), dtype)
    cache = {"x": x, "W": W}
    grad_x, grad_W, grad_b = textbook.dense_backward(grad_y, cache)
    out_W, out_b = np.full_like(grad_W, np.nan), np.full_like(grad_b, np.nan)
    fast_x = fast.dense_backward(grad_y, cache, out_W, out_b, input_grad)
    _same(out_W, grad_W)  # the same matmul into a buffer
    if input_grad:
        _same(fast_x, grad_x)
    else:
        assert fast_x is None
    # dL/db: 1ᵀ·dL/dy (BLAS) adds the batch rows in another order than sum(axis=0): within batch·ε·Σ|dL/dy|.
    bound = batch * _eps(dtype) * np.abs(grad_y).sum(axis=0)
    assert (np.abs(out_b.astype(np.float64) - grad_b) <= bound).all()


@given(shape=st.tuples(sides, sides), dtype=dtypes, seed=seeds, scale=st.sampled_from([1.0, 30.0, 1e3]))
def test_sigmoid_and_its_backward_are_bitwise_the_textbook(
    shape: tuple[int, int], dtype: type, seed: int, scale: float
) -> None:
    x = _normal(seed, shape, dtype, scale)
    (y_fast, cache_fast), (y_book, cache_book) = fast.sigmoid_forward(x), textbook.sigmoid_forward(x)
    _same(y_fast, y_book)  # max(z, 1[x ≥ 0]) / (1 + z) is np.where's two branches, entry by entry
    grad_y = _normal(seed + 1, shape, dtype)
    _same(fast.sigmoid_backward(grad_y, cache_fast), textbook.sigmoid_backward(grad_y, cache_book))


@given(shape=st.tuples(sides, sides), dtype=dtypes, seed=seeds)
def test_tanh_backward_is_bitwise_the_textbook(shape: tuple[int, int], dtype: type, seed: int) -> None:
    _, cache = textbook.tanh_forward(_normal(seed, shape, dtype))
    grad_y = _normal(seed + 1, shape, dtype)
    _same(fast.tanh_backward(grad_y, cache), textbook.tanh_backward(grad_y, cache))


@given(shape=st.tuples(sides, sides), dtype=dtypes, seed=seeds, alpha=st.floats(0.0, 1.0))
def test_leaky_relu_is_bitwise_the_textbook(shape: tuple[int, int], dtype: type, seed: int, alpha: float) -> None:
    x = _normal(seed, shape, dtype)
    x[0, 0] = 0.0  # the kink: both take the slope α there
    (y_fast, cache), (y_book, _) = fast.leaky_relu_forward(x, alpha), textbook.leaky_relu_forward(x, alpha)
    _same(y_fast, y_book)
    grad_y = _normal(seed + 1, shape, dtype)
    _same(fast.leaky_relu_backward(grad_y, cache), textbook.leaky_relu_backward(grad_y, cache))


@given(shape=st.tuples(sides, sides), dtype=dtypes, seed=seeds, rate=st.sampled_from([0.5, 0.75, 0.2, 0.3, 0.9]))
def test_dropout_equals_the_textbook_within_one_ulp(
    shape: tuple[int, int], dtype: type, seed: int, rate: float
) -> None:
    x, grad_y = _normal(seed, shape, dtype), _normal(seed + 1, shape, dtype)
    keep = np.random.default_rng(seed + 2).random(shape) >= rate
    (y_fast, cache), (y_book, _) = fast.dropout_forward(x, keep, rate), textbook.dropout_forward(x, keep, rate)
    pairs = [(y_fast, y_book), (fast.dropout_backward(grad_y, cache), textbook.dropout_backward(grad_y, cache))]
    for a, b in pairs:
        assert a.dtype == b.dtype == dtype
        if (1 - rate) in (0.5, 0.25):  # 1 / (1 − rate) is a power of two: the product is exact, as the division
            _same(a, b)
        else:  # x·(1/(1 − rate)) rounds twice, x/(1 − rate) once: at most 1 ulp apart
            np.testing.assert_array_max_ulp(a, b, maxulp=1)


@given(batch=sides, items=st.integers(2, 12), dtype=dtypes, seed=seeds, scale=st.sampled_from([1.0, 20.0]))
def test_fused_multinomial_equals_the_textbook(batch: int, items: int, dtype: type, seed: int, scale: float) -> None:
    z = _normal(seed, (batch, items), dtype, scale)
    counts = (np.random.default_rng(seed + 1).random((batch, items)) < 0.4).astype(dtype)
    (L_fast, cache_fast), (L_book, cache_book) = (
        fast.multinomial_forward(z, counts),
        textbook.multinomial_forward(z, counts),
    )
    # The fused form sums the same terms in another order: within a few ε times the terms' size.
    terms = float(np.abs(counts * z).sum() + counts.sum() * np.abs(z).max() + batch) / batch
    assert abs(L_fast - float(L_book)) <= 8 * items * _eps(dtype) * terms
    g_fast, g_book = fast.multinomial_backward(cache_fast), textbook.multinomial_backward(cache_book)
    assert g_fast.dtype == g_book.dtype == dtype
    bound = 8 * items * _eps(dtype) * (counts.sum(axis=1, keepdims=True) + 1) / batch  # per row: (T_u + 1)/B
    assert (np.abs(g_fast.astype(np.float64) - g_book) <= bound).all()


@given(
    shape=st.tuples(sides, sides),
    dtype=dtypes,
    seed=seeds,
    momentum=st.sampled_from([0.0, 0.5, 0.9]),
    nesterov=st.booleans(),
    weight_decay=st.sampled_from([0.0, 0.1]),
    steps=st.integers(1, 4),
)
def test_sgd_update_is_bitwise_the_textbook(
    shape: tuple[int, int], dtype: type, seed: int, momentum: float, nesterov: bool, weight_decay: float, steps: int
) -> None:
    nesterov = nesterov and momentum > 0
    settings = {"lr": 0.1, "momentum": momentum, "nesterov": nesterov, "weight_decay": weight_decay}
    p_fast = p_book = _normal(seed, shape, dtype)
    p_fast = p_fast.copy()
    u_fast, u_book = np.zeros(shape, dtype), np.zeros(shape, dtype)
    work = np.empty(shape, dtype)
    for step in range(steps):
        g = _normal(seed + 1 + step, shape, dtype)
        fast.sgd_update(p_fast, g, u_fast if momentum else None, work, **settings)
        p_book, u_book = textbook.sgd_step(p_book, g, u_book if momentum else None, **settings)
        _same(p_fast, p_book)
        if momentum:
            _same(u_fast, u_book)


@given(
    shape=st.tuples(sides, sides),
    dtype=dtypes,
    seed=seeds,
    weight_decay=st.sampled_from([0.0, 0.01]),
    decoupled=st.booleans(),
    steps=st.integers(1, 6),
)
def test_adam_update_equals_the_paper_form(
    shape: tuple[int, int], dtype: type, seed: int, weight_decay: float, decoupled: bool, steps: int
) -> None:
    settings = {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": weight_decay}
    p_book = _normal(seed, shape, dtype)
    p_fast, m_fast, v_fast = p_book.copy(), np.zeros(shape, dtype), np.zeros(shape, dtype)
    m_book, v_book = m_fast.copy(), v_fast.copy()
    work = np.empty(shape, dtype)
    for t in range(1, steps + 1):
        g = _normal(seed + t, shape, dtype, scale=10.0 ** (t % 3 - 1))
        p_before = p_book.copy()
        fast.adam_update(p_fast, g, m_fast, v_fast, work, t, decoupled=decoupled, **settings)
        p_book, m_book, v_book = textbook.adam_step(p_book, g, m_book, v_book, t, decoupled=decoupled, **settings)
        _same(m_fast, m_book)  # the moments run the same operations
        _same(v_fast, v_book)
        # The step folds the bias corrections into lr_t and ε_t: a few roundings of the step, ≤ lr, apart.
        step = np.abs(p_book.astype(np.float64) - p_before)
        assert (np.abs(p_fast.astype(np.float64) - p_book) <= 8 * _eps(dtype) * (step + np.abs(p_book))).all()
        p_fast[...] = p_book  # compare one step at a time: the next starts from the same p


@given(shape=st.tuples(sides, sides), dtype=dtypes, seed=seeds)
def test_the_stable_forms_equal_the_naive_ones_where_those_do_not_overflow(
    shape: tuple[int, int], dtype: type, seed: int
) -> None:
    z = _normal(seed, shape, dtype, 3.0)
    with np.errstate(over="raise"):
        naive_sigmoid = 1 / (1 + np.exp(-z))
        naive_lse = np.log(np.exp(z).sum(axis=1))
    np.testing.assert_allclose(textbook.sigmoid(z), naive_sigmoid, rtol=4 * _eps(dtype))
    np.testing.assert_allclose(textbook.log_sum_exp(z), naive_lse, rtol=8 * _eps(dtype), atol=8 * _eps(dtype))
    np.testing.assert_allclose(textbook.softmax(z).sum(axis=1), 1.0, rtol=shape[1] * 4 * _eps(dtype))
    big = np.array([[-1e4, 0.0, 1e4]], dtype=dtype)
    assert np.isfinite(textbook.log_sum_exp(big)).all()
    np.testing.assert_array_equal(textbook.sigmoid(big), [[0.0, 0.5, 1.0]])
