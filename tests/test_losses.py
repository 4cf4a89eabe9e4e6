"""Losses: values against the formulas, gradients against finite differences, masks, extremes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autoencoder_np as ae

ELEMENTWISE = [ae.MSELoss, ae.BCELoss, ae.BCEWithLogitsLoss]


def _unmasked(cls: type) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, None]]:
    """(pred, target, None): BCE takes probabilities (kept away from the clipping), the others logits or reals."""
    low, high = (0.02, 0.98) if cls is ae.BCELoss else (-3.0, 3.0)
    return ae.testing.loss_inputs(cls(), shape=shapes, masked=False, low=low, high=high)


@pytest.mark.parametrize("cls", [*ELEMENTWISE, ae.MultinomialLoss])
@given(data=st.data())
def test_loss_backward_matches_finite_differences(cls: type, data: st.DataObject) -> None:
    pred, target, _ = data.draw(_unmasked(cls))
    report = ae.testing.assert_loss_gradients(cls(), pred, target, rtol=SMOOTH_RTOL)
    assert report.max_rel_error <= SMOOTH_RTOL


@pytest.mark.parametrize("cls", ELEMENTWISE)
@given(data=st.data(), weights=st.sampled_from([None, (0.5, 2.0)]))
def test_masked_loss_backward_matches_finite_differences(
    cls: type, data: st.DataObject, weights: tuple[float, float] | None
) -> None:
    pred, target, _ = data.draw(_unmasked(cls))
    mask = data.draw(ae.testing.masks(pred.shape, weights=weights))
    report = ae.testing.assert_loss_gradients(cls(), pred, target, mask, rtol=SMOOTH_RTOL)
    unobserved = mask == 0
    np.testing.assert_array_equal(report.rows[0].analytic[unobserved], 0.0)


def test_mse_value_and_gradient_by_hand() -> None:
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = ae.MSELoss()
    assert loss.forward(pred, target) == pytest.approx((1 + 0 + 4 + 9) / 4)
    np.testing.assert_allclose(loss.backward(), 2 * (pred - target) / 4)


def test_mask_means_over_the_observed_entries_only() -> None:
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 0.0], [0.0, 0.0]])
    mask = np.array([[1.0, 0.0], [0.0, 1.0]])
    loss = ae.MSELoss()
    assert loss.forward(pred, target, mask) == pytest.approx((1 + 16) / 2)
    np.testing.assert_allclose(loss.backward(), [[1.0, 0.0], [0.0, 4.0]])  # 2(p − t)·m / 2


def test_bce_value_by_hand() -> None:
    p = np.array([[0.9, 0.2]])
    t = np.array([[1.0, 0.0]])
    expected = -(np.log(0.9) + np.log(0.8)) / 2
    assert ae.BCELoss().forward(p, t) == pytest.approx(expected)


@given(seed=seeds)
def test_bce_with_logits_equals_bce_of_sigmoid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.uniform(-5, 5, (3, 4))
    t = rng.uniform(0, 1, (3, 4))
    p = 1 / (1 + np.exp(-z))
    logits = ae.BCEWithLogitsLoss()
    probs = ae.BCELoss()
    assert logits.forward(z, t) == pytest.approx(probs.forward(p, t), rel=1e-12)
    # chain rule through the sigmoid: dL/dz = dL/dp · p(1 − p)
    np.testing.assert_allclose(logits.backward(), probs.backward() * p * (1 - p), rtol=1e-10)


def test_multinomial_loss_by_hand() -> None:
    z = np.array([[0.0, np.log(3.0)]])  # softmax = [1/4, 3/4]
    t = np.array([[1.0, 2.0]])
    loss = ae.MultinomialLoss()
    assert loss.forward(z, t) == pytest.approx(-(np.log(0.25) + 2 * np.log(0.75)))
    np.testing.assert_allclose(loss.backward(), [[0.25 * 3 - 1, 0.75 * 3 - 2]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logit_losses_are_finite_and_silent_at_plus_minus_1e4(dtype: type) -> None:
    z = np.array([[-1e4, -100.0, 0.0, 100.0, 1e4]], dtype=dtype)
    t = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = ae.BCEWithLogitsLoss()
        value = loss.forward(z, t)
        grad = loss.backward()
        multi = ae.MultinomialLoss()
        multi_value = multi.forward(z, t)
        multi_grad = multi.backward()
    assert np.isfinite(value)
    assert np.isfinite(multi_value)
    assert value == pytest.approx((1e4 + 0 + np.log(2) + 0 + 1e4) / 5, rel=1e-6)
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, np.array([[-1, 0, -0.5, 0, 1]]) / 5, atol=1e-7)  # σ(z) − t at the limits
    # softmax(z) is exactly one-hot at the 1e4 entry: L = −Σ t·log softmax = 2e4 + 1e4 + (1e4 − 100), and
    # dL/dz = softmax · Σt − t = (0, 0, 0, 0, 3) − t.
    assert multi_value == pytest.approx(2e4 + 1e4 + 1e4 - 100.0, rel=1e-6)
    np.testing.assert_array_equal(multi_grad, [[-1.0, 0.0, -1.0, -1.0, 3.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_clips_with_the_dtypes_epsilon(dtype: type) -> None:
    p = np.array([[0.0, 1.0, 1 - 1e-12]], dtype=dtype)  # the last rounds to 1 in float32
    t = np.array([[1.0, 0.0, 0.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = ae.BCELoss()
        value = loss.forward(p, t)
        grad = loss.backward()
    eps = np.finfo(dtype).eps
    assert np.isfinite(value)
    assert value == pytest.approx(-np.log(eps), rel=0.2)  # each term is about −log ε
    assert np.isfinite(grad).all()
    assert grad.dtype == dtype
    # The analytic limits are ∓∞ (p → 0 with t = 1, p → 1 with t = 0); the clipped p gives ∓1/ε, signs right.
    np.testing.assert_allclose(grad[0, :2] * 3, [-1 / eps, 1 / eps], rtol=4 * eps)


_logits = hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(2, 5)), elements=st.floats(-1e4, 1e4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(z=_logits, seed=seeds)
def test_logit_losses_match_an_independent_reference_up_to_1e4(dtype: type, z: np.ndarray, seed: int) -> None:
    z = z.astype(dtype)
    t = np.random.default_rng(seed).uniform(0, 1, z.shape).astype(dtype)
    exact, t64 = z.astype(np.float64), t.astype(np.float64)
    tol = 8 * float(np.finfo(dtype).eps)
    # BCE with logits: ℓ = log(1 + e^z) − z·t = logaddexp(0, z) − z·t,   ℓ′ = σ(z) − t = (1 + tanh(z/2))/2 − t.
    bce = ae.BCEWithLogitsLoss()
    value = bce.forward(z, t)
    reference = np.mean(np.logaddexp(0, exact) - exact * t64)
    assert value == pytest.approx(reference, rel=tol, abs=tol * np.abs(exact).max())
    np.testing.assert_allclose(bce.backward(), ((1 + np.tanh(exact / 2)) / 2 - t64) / z.size, atol=tol / z.size)
    # Multinomial: log softmax(z) = z − logsumexp(z) per row; dL/dz = (softmax · Σt − t) / B.
    multi = ae.MultinomialLoss()
    value = multi.forward(z, t)
    log_softmax = exact - np.logaddexp.reduce(exact, axis=1, keepdims=True)
    reference = -np.sum(t64 * log_softmax) / z.shape[0]
    assert value == pytest.approx(reference, rel=tol, abs=tol * np.abs(exact).max())
    expected = (np.exp(log_softmax) * t64.sum(axis=1, keepdims=True) - t64) / z.shape[0]
    grad = multi.backward()
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, expected, atol=tol * z.shape[1])


@pytest.mark.parametrize(
    ("cls", "args", "error", "message"),
    [
        (ae.MSELoss, (np.ones((2, 3)), np.ones((3, 2))), ValueError, r"target has shape \(3, 2\), expected"),
        (ae.MSELoss, (np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 2))), ValueError, r"mask has shape"),
        (ae.MSELoss, (np.ones((2, 3)), np.ones((2, 3)), np.zeros((2, 3))), ValueError, "no observed entry"),
        (ae.MSELoss, (np.ones((2, 3)), np.ones((2, 3)), -np.ones((2, 3))), ValueError, "non-negative"),
        (ae.MSELoss, (np.array([[np.nan]]), np.ones((1, 1))), ValueError, "pred holds 1 NaN"),
        (ae.MSELoss, (np.ones((2, 3)), np.full((2, 3), "x")), TypeError, "target must be a numeric array"),
        (ae.MSELoss, (np.ones((0, 3)), np.ones((0, 3))), ValueError, "pred is empty"),
        (
            ae.BCELoss,
            (np.full((1, 2), 0.5), np.full((1, 2), 2.0)),
            ValueError,
            r"target must lie in \[0, 1\]",
        ),
        (
            ae.BCEWithLogitsLoss,
            (np.ones((1, 2)), -np.ones((1, 2))),
            ValueError,
            r"target must lie in \[0, 1\]",
        ),
        (
            ae.MultinomialLoss,
            (np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 2))),
            ValueError,
            "mask is not supported",
        ),
        (ae.MultinomialLoss, (np.ones(3), np.ones(3)), ValueError, "must be 2-D"),
    ],
)
def test_losses_reject_bad_input(cls: type, args: tuple, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        cls().forward(*args)


@pytest.mark.parametrize("cls", [*ELEMENTWISE, ae.MultinomialLoss])
def test_backward_before_forward(cls: type) -> None:
    with pytest.raises(ValueError, match="called before forward"):
        cls().backward()


def test_loss_registry() -> None:
    assert isinstance(ae.losses.get("mse"), ae.MSELoss)
    assert isinstance(ae.losses.get("bce_logits"), ae.BCEWithLogitsLoss)
    with pytest.raises(ValueError, match="loss must be one of"):
        ae.losses.get("hinge")
