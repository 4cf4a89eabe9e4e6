"""The textbook kernels are proven the way the layers are: the gradient checker on each (forward, backward)
pair (``assert_function_gradients``), and the classes run them when asked (``kernels="textbook"``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, batch_sizes, seeds, uniform
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np import textbook
from autoencoder_np.gradcheck import check_function

shapes = st.tuples(batch_sizes, st.integers(1, 5))
sizes = st.integers(1, 5)


@given(data=st.data(), batch=batch_sizes, n_in=sizes, n_out=sizes)
def test_dense(data: st.DataObject, batch: int, n_in: int, n_out: int) -> None:
    x, W, b = (data.draw(ae.testing.arrays(shape)) for shape in [(batch, n_in), (n_in, n_out), (n_out,)])
    report = ae.testing.assert_function_gradients(
        textbook.dense_forward, textbook.dense_backward, x, W, b, rtol=SMOOTH_RTOL
    )
    assert [row.name for row in report.rows] == ["x", "W", "b"]


ACTIVATIONS: dict[str, tuple[Any, Any, tuple[Any, ...], dict[str, Any]]] = {
    "relu": (textbook.relu_forward, textbook.relu_backward, (), {"kinks": (0.0,)}),
    "leaky_relu": (textbook.leaky_relu_forward, textbook.leaky_relu_backward, (0.1,), {"kinks": (0.0,)}),
    "sigmoid": (textbook.sigmoid_forward, textbook.sigmoid_backward, (), {}),
    "tanh": (textbook.tanh_forward, textbook.tanh_backward, (), {}),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(data=st.data())
def test_activations(name: str, data: st.DataObject) -> None:
    forward, backward, extra, options = ACTIVATIONS[name]
    x = data.draw(ae.testing.arrays(shapes, kinks=options.get("kinks", ())))  # at least 1e-3 from a kink
    ae.testing.assert_function_gradients(forward, backward, x, *extra, rtol=SMOOTH_RTOL, **options)


@given(x=ae.testing.arrays(shapes), seed=seeds, rate=st.sampled_from([0.25, 0.5, 0.3]))
def test_dropout_with_its_keep_mask_held_fixed(x: np.ndarray, seed: int, rate: float) -> None:
    keep = np.random.default_rng(seed).random(x.shape) >= rate
    ae.testing.assert_function_gradients(textbook.dropout_forward, textbook.dropout_backward, x, keep, rate)


def _loss_pair(ell: Any, derivative: Any) -> tuple[Any, Any]:
    """An element-wise ℓ and ℓ′ with the masked mean, as a (forward, backward) pair in the checker's convention."""

    def forward(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> tuple[Any, Any]:
        return textbook.masked_mean(ell(pred, target), mask), (pred, target, mask)

    def backward(cache: Any) -> np.ndarray:
        pred, target, mask = cache
        return textbook.masked_mean_backward(derivative(pred, target), mask)

    return forward, backward


#: name -> (ℓ, ℓ′, the range of pred: probabilities for BCE, real values for the others).
LOSSES = {
    "mse": (textbook.mse, textbook.mse_derivative, (-3.0, 3.0)),
    "bce": (textbook.bce, textbook.bce_derivative, (0.05, 0.95)),
    "bce_with_logits": (textbook.bce_with_logits, textbook.bce_with_logits_derivative, (-3.0, 3.0)),
}


@pytest.mark.parametrize("name", LOSSES)
@given(data=st.data())
def test_losses_with_and_without_a_mask(name: str, data: st.DataObject) -> None:
    ell, derivative, (low, high) = LOSSES[name]
    forward, backward = _loss_pair(ell, derivative)
    pred, target, mask = data.draw(ae.testing.loss_inputs(forward, shape=shapes, low=low, high=high))
    ae.testing.assert_function_gradients(forward, backward, pred, target, mask, wrt=["pred"], rtol=SMOOTH_RTOL)


@given(case=ae.testing.loss_inputs(textbook.multinomial_forward, shape=shapes, low=-3.0, high=3.0))
def test_softmax_log_likelihood(case: tuple[np.ndarray, np.ndarray, None]) -> None:
    z, counts, _ = case
    ae.testing.assert_function_gradients(
        textbook.multinomial_forward, textbook.multinomial_backward, z, counts, wrt=["z"]
    )


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
