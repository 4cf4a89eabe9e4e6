"""The speed-ups keep the numbers: skipped input gradients, chunked flat updates, gathered batches, fused losses,
the array check's shortcut for fit's common case."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import batch_sizes, feature_sizes, seeds, uniform
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np.validation import all_finite, as_array


def _autoencoder(n: int, seed: int, dropout: float) -> ae.Autoencoder:
    return ae.Autoencoder.from_sizes([n, 3, 2], hidden_activation="tanh", seed=seed, input_dropout=dropout)


@given(batch=batch_sizes, n=feature_sizes, seed=seeds, dropout=st.sampled_from([0.0, 0.5]))
def test_skipping_the_input_gradient_leaves_every_parameter_gradient_unchanged(
    batch: int, n: int, seed: int, dropout: float
) -> None:
    # check_model proves the full backward; here the shortened walk must fill the very same numbers.
    x = uniform(seed, (batch, n))
    grads = []
    for input_grad in (True, False):
        model = _autoencoder(n, seed, dropout)
        model.input_grad = input_grad
        pred = model.forward(x)
        grad_x = model.backward(np.ones_like(pred))
        assert (grad_x is None) == (not input_grad)
        grads.append(model.flat.grads.copy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_input_grad_goes_to_the_first_layer_with_parameters_only() -> None:
    model = _autoencoder(4, 0, dropout=0.5)
    dropout, first_dense, _, second_dense, _ = model.encoder.layers
    model.input_grad = False
    assert model.encoder.input_grad is False
    assert first_dense.input_grad is False
    assert second_dense.input_grad is True
    assert model.decoder.input_grad is True
    assert dropout.input_grad is True  # never reached: the walk stops at the first Dense
    model.input_grad = True
    assert first_dense.input_grad is True


def test_fit_skips_the_input_gradient_and_restores_the_flag() -> None:
    model = _autoencoder(4, 0, dropout=0.0)
    seen = []
    first_dense = model.encoder.layers[0]
    backward = first_dense.backward

    def spy(grad_y: np.ndarray) -> np.ndarray | None:
        seen.append(backward(grad_y))
        return seen[-1]

    first_dense.backward = spy
    model.fit(np.ones((6, 4)), epochs=1, batch_size=3, verbose=0)
    assert seen == [None, None]
    assert model.input_grad is True
    assert first_dense.input_grad is True


@pytest.mark.parametrize("make", [lambda: ae.Adam(lr=0.01, weight_decay=0.01), lambda: ae.SGD(0.1, momentum=0.9)])
def test_chunked_flat_update_equals_the_per_parameter_update(monkeypatch: pytest.MonkeyPatch, make) -> None:
    monkeypatch.setattr(ae.fast.optimizers, "CHUNK_BYTES", 5 * 8)  # 5 float64 per chunk: chunks cut across W and b
    model = ae.Sequential([ae.Dense(4, 3, rng=0), ae.Tanh(), ae.Dense(3, 2, rng=1)])
    lone = [ae.Dense(4, 3, rng=0), ae.Dense(3, 2, rng=1)]
    opt_model, opt_lone = make(), [make(), make()]
    rng = np.random.default_rng(2)
    for _ in range(4):
        model.flat.grads[:] = rng.normal(size=model.flat.grads.size)
        for k, (layer, opt) in enumerate(zip(lone, opt_lone, strict=True)):
            layer.grads["W"] = model.grads[f"{2 * k}.W"]
            layer.grads["b"] = model.grads[f"{2 * k}.b"]
            opt.step(layer)
        opt_model.step(model)
    for k, layer in enumerate(lone):
        np.testing.assert_array_equal(model.params[f"{2 * k}.W"], layer.params["W"])
        np.testing.assert_array_equal(model.params[f"{2 * k}.b"], layer.params["b"])


def test_shuffled_fit_equals_a_hand_loop_over_the_same_permutation() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.random((10, 4)), rng.random((10, 3))
    mask = (rng.random((10, 3)) < 0.7).astype(float)
    mask[:, 0] = 1.0  # every batch has an observed entry
    model = ae.Sequential([ae.Dense(4, 3, rng=1), ae.Sigmoid()])
    twin = ae.Sequential([ae.Dense(4, 3, rng=1), ae.Sigmoid()])
    model.fit(X, y, mask=mask, epochs=2, batch_size=4, optimizer=ae.Adam(1e-2), seed=5, verbose=0)
    loss, opt, order_rng = ae.MSELoss(), ae.Adam(1e-2), np.random.default_rng(5)
    for _ in range(2):
        order = order_rng.permutation(10)
        for start in range(0, 10, 4):
            rows = order[start : start + 4]
            loss.forward(twin.forward(X[rows]), y[rows], mask[rows])
            twin.backward(loss.backward())
            opt.step(twin)
    np.testing.assert_array_equal(model.flat.params, twin.flat.params)


@given(batch=batch_sizes, n=feature_sizes, seed=seeds)
def test_fused_multinomial_loss_equals_the_log_softmax_form(batch: int, n: int, seed: int) -> None:
    z = uniform(seed, (batch, n), -30, 30)
    t = np.floor(uniform(seed + 1, (batch, n), 0, 3))
    loss = ae.MultinomialLoss()
    value = loss.forward(z, t)
    shifted = z - z.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    assert value == pytest.approx(-(t * log_softmax).sum() / batch, rel=1e-12, abs=1e-12)
    softmax = np.exp(log_softmax)
    np.testing.assert_allclose(loss.backward(), (softmax * t.sum(axis=1, keepdims=True) - t) / batch, atol=1e-15)


@given(
    shape=st.sampled_from([(5,), (300_000,), (1000, 700), (3, 200_000), (2, 3, 50_000)]),
    where=st.floats(0.0, 1.0, exclude_max=True),
    value=st.sampled_from([np.nan, np.inf, -np.inf, 1.0]),
    dtype=st.sampled_from([np.float32, np.float64, np.complex128]),
)
def test_blocked_finite_check_equals_isfinite_all(shape: tuple[int, ...], where: float, value: float, dtype) -> None:
    x = np.zeros(shape, dtype)
    x.flat[int(where * x.size)] = value
    assert all_finite(x) == bool(np.isfinite(x).all()) == (value == 1.0)


@given(
    source=st.sampled_from([np.bool_, np.int64, np.float16, np.float32, np.float64, np.complex128]),
    wanted=st.sampled_from([None, np.float32, np.float64, np.complex128]),
    nan=st.booleans(),
    inside_fit=st.booleans(),
    seed=seeds,
)
def test_as_array_returns_x_itself_when_no_cast_is_needed_else_its_cast(
    source: type, wanted: type | None, nan: bool, inside_fit: bool, seed: int
) -> None:
    # fit's common case (a float array of the wanted dtype) takes a shortcut; it must agree with the full path.
    x = (10 * uniform(seed, (3, 4))).astype(source)
    if nan and x.dtype.kind in "fc":
        x[1, 2] = np.nan
    dtype = None if wanted is None else np.dtype(wanted)
    where = (ae.ReLU(), "forward")
    # inside fit the layers ask for no finite scan (check_inputs False): finite=False
    if source is np.complex128 and (dtype is None or dtype.kind != "c"):
        with pytest.raises(TypeError, match=r"^ReLU\(\)\.forward: x must be real"):
            as_array(x, "x", where, ndim=2, dtype=dtype, finite=not inside_fit)
        return
    with pytest.raises(ValueError, match=r"^ReLU\(\)\.forward: x must be 3-D"):
        as_array(x, "x", where, ndim=3, dtype=dtype, finite=not inside_fit)
    if nan and x.dtype.kind in "fc" and not inside_fit:
        with pytest.raises(ValueError, match=r"x holds 1 NaN or inf value"):
            as_array(x, "x", where, ndim=2, dtype=dtype)
        return
    out = as_array(x, "x", where, ndim=2, dtype=dtype, finite=not inside_fit)
    expected = dtype if dtype is not None else np.dtype(np.float64) if x.dtype.kind in "biu" else x.dtype
    assert type(out) is np.ndarray
    assert out.dtype == expected
    assert (out is x) == (x.dtype == expected)
    np.testing.assert_array_equal(out, x.astype(expected))
