"""The textbook kernels are proven the way the layers are: the gradient checker on each (forward, backward)
pair (``check_function``), and the classes run them when asked (``kernels="textbook"``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, away_from_zero, seeds, uniform
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np import textbook
from autoencoder_np.gradcheck import check_function

shapes = st.tuples(st.integers(1, 4), st.integers(1, 5))


@given(batch=st.integers(1, 4), n_in=st.integers(1, 5), n_out=st.integers(1, 5), seed=seeds)
def test_dense(batch: int, n_in: int, n_out: int, seed: int) -> None:
    x, W, b = uniform(seed, (batch, n_in)), uniform(seed + 1, (n_in, n_out)), uniform(seed + 2, (n_out,))
    report = check_function(textbook.dense_forward, textbook.dense_backward, x, W, b, rtol=SMOOTH_RTOL)
    assert report.passed, str(report)
    assert [row.name for row in report.rows] == ["x", "W", "b"]


ACTIVATIONS: dict[str, tuple[Any, Any, tuple[Any, ...], dict[str, Any]]] = {
    "relu": (textbook.relu_forward, textbook.relu_backward, (), {"kinks": (0.0,)}),
    "leaky_relu": (textbook.leaky_relu_forward, textbook.leaky_relu_backward, (0.1,), {"kinks": (0.0,)}),
    "sigmoid": (textbook.sigmoid_forward, textbook.sigmoid_backward, (), {}),
    "tanh": (textbook.tanh_forward, textbook.tanh_backward, (), {}),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(shape=shapes, seed=seeds)
def test_activations(name: str, shape: tuple[int, int], seed: int) -> None:
    forward, backward, extra, options = ACTIVATIONS[name]
    x = away_from_zero(uniform(seed, shape))
    report = check_function(forward, backward, x, *extra, rtol=SMOOTH_RTOL, **options)
    assert report.passed, str(report)


@given(shape=shapes, seed=seeds, rate=st.sampled_from([0.25, 0.5, 0.3]))
def test_dropout_with_its_keep_mask_held_fixed(shape: tuple[int, int], seed: int, rate: float) -> None:
    keep = np.random.default_rng(seed).random(shape) >= rate
    report = check_function(textbook.dropout_forward, textbook.dropout_backward, uniform(seed, shape), keep, rate)
    assert report.passed, str(report)


def _loss_pair(ell: Any, derivative: Any) -> tuple[Any, Any]:
    """An element-wise ℓ and ℓ′ with the masked mean, as a (forward, backward) pair in the checker's convention."""

    def forward(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> tuple[Any, Any]:
        return textbook.masked_mean(ell(pred, target), mask), (pred, target, mask)

    def backward(cache: Any) -> np.ndarray:
        pred, target, mask = cache
        return textbook.masked_mean_backward(derivative(pred, target), mask)

    return forward, backward


LOSSES = {
    "mse": (textbook.mse, textbook.mse_derivative, "real"),
    "bce": (textbook.bce, textbook.bce_derivative, "probability"),
    "bce_with_logits": (textbook.bce_with_logits, textbook.bce_with_logits_derivative, "real"),
}


@pytest.mark.parametrize("name", LOSSES)
@given(shape=shapes, seed=seeds, masked=st.booleans())
def test_losses_with_and_without_a_mask(name: str, shape: tuple[int, int], seed: int, masked: bool) -> None:
    ell, derivative, domain = LOSSES[name]
    rng = np.random.default_rng(seed)
    pred = rng.uniform(0.05, 0.95, shape) if domain == "probability" else uniform(seed, shape)
    target = rng.random(shape)
    mask = (rng.random(shape) < 0.6).astype(float) if masked else None
    if mask is not None:
        mask.flat[0] = 1.0  # at least one observed entry
    forward, backward = _loss_pair(ell, derivative)
    report = check_function(forward, backward, pred, target, mask, wrt=["pred"], rtol=SMOOTH_RTOL)
    assert report.passed, str(report)


@given(shape=shapes, seed=seeds)
def test_softmax_log_likelihood(shape: tuple[int, int], seed: int) -> None:
    counts = (np.random.default_rng(seed).random(shape) < 0.5).astype(float)
    report = check_function(
        textbook.multinomial_forward, textbook.multinomial_backward, uniform(seed, shape), counts, wrt=["z"]
    )
    assert report.passed, str(report)


def test_a_wrong_textbook_function_gets_the_checkers_diagnosis() -> None:
    def bias_mean(grad_y: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        grad_x, grad_W, _ = textbook.dense_backward(grad_y, cache)
        return grad_x, grad_W, grad_y.mean(axis=0)

    x, W, b = uniform(0, (5, 3)), uniform(1, (3, 2)), uniform(2, (2,))
    report = check_function(textbook.dense_forward, bias_mean, x, W, b)
    assert not report.passed
    assert report["b"].hint_codes[0] == "batch_mean"  # the ratio is the batch size: a mean, not a sum


def test_adam_step_follows_the_paper_at_t_1_and_t_2() -> None:
    p, g1, g2 = np.array([1.0, -2.0]), np.array([0.5, -4.0]), np.array([-1.0, 2.0])
    lr, b1, b2, eps = 0.1, 0.9, 0.99, 1e-8
    zeros = np.zeros(2)
    p1, m1, v1 = textbook.adam_step(p, g1, zeros, zeros, 1, lr=lr, beta1=b1, beta2=b2, eps=eps)
    np.testing.assert_allclose(p1, p - lr * np.sign(g1), rtol=1e-7)  # at t = 1, m̂ = g and v̂ = g²
    p2, _, _ = textbook.adam_step(p1, g2, m1, v1, 2, lr=lr, beta1=b1, beta2=b2, eps=eps)
    m, v = b1 * (1 - b1) * g1 + (1 - b1) * g2, b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    m_hat, v_hat = m / (1 - b1**2), v / (1 - b2**2)
    np.testing.assert_allclose(p2, p1 - lr * m_hat / (np.sqrt(v_hat) + eps), rtol=1e-12)


# The choice of kernel set -------------------------------------------------------------------------------------


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(textbook, name)
    monkeypatch.setattr(textbook, name, lambda *a, **k: calls.append(1) or original(*a, **k))
    return calls


def test_a_model_built_with_the_textbook_kernels_runs_them_in_every_layer_and_its_optimizer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = ae.Autoencoder.from_sizes([6, 3], hidden_activation="tanh", kernels="textbook")
    assert {leaf.kernels for _, leaf in model._named_leaves()} == {"textbook"}
    calls = {name: _spy(monkeypatch, name) for name in ("dense_backward", "tanh_backward", "adam_step")}
    model.fit(uniform(0, (8, 6)) ** 2, epochs=1, batch_size=8, verbose=0)
    assert {name: len(c) for name, c in calls.items()} == {"dense_backward": 2, "tanh_backward": 1, "adam_step": 4}


def test_fit_can_pick_the_kernels_for_one_call_and_restores_the_models(monkeypatch: pytest.MonkeyPatch) -> None:
    model = ae.Autoencoder.from_sizes([6, 3], seed=0)
    assert model.kernels == "fast"
    calls = _spy(monkeypatch, "dense_forward")
    model.fit(uniform(0, (8, 6)) ** 2, epochs=1, batch_size=8, verbose=0, kernels="textbook")
    assert len(calls) == 2
    assert model.kernels == "fast"
    assert {leaf.kernels for _, leaf in model._named_leaves()} == {"fast"}
    model.fit(uniform(0, (8, 6)) ** 2, epochs=1, batch_size=8, verbose=0)
    assert len(calls) == 2  # the fast set again


@pytest.mark.parametrize("bad", ["slow", None, 3, ["fast"]])
def test_an_unknown_kernel_set_is_refused_by_name(bad: Any) -> None:
    model = ae.Autoencoder.from_sizes([4, 2], seed=0)
    with pytest.raises(ValueError, match=r"kernels must be one of \['fast', 'textbook'\], got"):
        model.kernels = bad
    with pytest.raises(ValueError, match=r"^Autoencoder\.fit: kernels must be one of"):
        model.fit(np.ones((2, 4)), batch_size=2, verbose=0, kernels=bad if bad is not None else "none")


def test_bce_refuses_probabilities_outside_0_1_instead_of_clipping_them() -> None:
    with pytest.raises(
        ValueError, match=r"^BCELoss\(\)\.forward: pred must lie in \[0, 1\], got values in \[-0\.5, 1\.0\]"
    ):
        ae.BCELoss()(np.array([[-0.5, 1.0]]), np.array([[0.0, 1.0]]))
    assert np.isfinite(ae.BCELoss()(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])))  # the ends are clipped to ε
