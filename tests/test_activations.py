"""Activations: values, derivatives (finite differences), stability at extreme inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autoencoder_np as ae

SMOOTH = [ae.Sigmoid, ae.Tanh, ae.Identity]
KINKED = [ae.ReLU, ae.LeakyReLU]


@pytest.mark.parametrize("cls", SMOOTH)
@given(data=st.data(), seed=seeds)
def test_smooth_activation_backward(cls: type, data: st.DataObject, seed: int) -> None:
    x = data.draw(ae.testing.inputs_for(cls(), shape=shapes))
    report = ae.testing.assert_layer_gradients(cls(), x, rtol=SMOOTH_RTOL, seed=seed)
    assert report.max_rel_error <= SMOOTH_RTOL


@pytest.mark.parametrize("cls", KINKED)
@given(data=st.data(), seed=seeds, alpha=st.floats(0.0, 0.5))
def test_relu_like_backward_away_from_the_kink(cls: type, data: st.DataObject, seed: int, alpha: float) -> None:
    layer = cls(alpha) if cls is ae.LeakyReLU else cls()
    x = data.draw(ae.testing.inputs_for(layer, shape=shapes))  # at least 1e-3 from the kink at 0
    report = ae.testing.assert_layer_gradients(layer, x, rtol=SMOOTH_RTOL, seed=seed)
    assert report.n_kinks == 0


def test_relu_at_the_kink_is_reported_as_a_kink_not_a_failure() -> None:
    x = np.array([[0.0, 1.0, -1.0, 1e-7]])
    report = ae.testing.assert_layer_gradients(ae.ReLU(), x)
    assert report["x (input)"].n_kinks == 2  # 0 and 1e-7 lie within ±h of the kink


def test_values() -> None:
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_array_equal(ae.ReLU().forward(x), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(ae.LeakyReLU(0.1).forward(x), [[-0.2, 0.0, 3.0]])
    np.testing.assert_allclose(ae.Sigmoid().forward(x), 1 / (1 + np.exp(-x)), rtol=1e-15)
    np.testing.assert_allclose(ae.Tanh().forward(x), np.tanh(x))
    np.testing.assert_array_equal(ae.Identity().forward(x), x)


def test_relu_backward_is_zero_where_the_input_was_negative() -> None:
    relu = ae.ReLU()
    relu.forward(np.array([[-1.0, 2.0, -3.0, 4.0]]))
    np.testing.assert_array_equal(relu.backward(np.full((1, 4), 5.0)), [[0.0, 5.0, 0.0, 5.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_tanh_are_finite_and_silent_at_plus_minus_1e4(dtype: type) -> None:
    x = np.array([[-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in (ae.Sigmoid, ae.Tanh):
            layer = cls()
            y = layer.forward(x)
            g = layer.backward(np.ones_like(x))
            assert y.dtype == dtype
            assert g.dtype == dtype
            assert np.isfinite(y).all()
            assert np.isfinite(g).all()
    sig = ae.Sigmoid().forward(x)[0]
    assert sig[0] == 0.0
    assert sig[-1] == 1.0
    assert sig[3] == 0.5
    # At the limits the derivatives are exactly their analytic values: σ′(±1e4) = tanh′(±1e4) = 0, σ′(0) = 1/4.
    for cls, at_zero in ((ae.Sigmoid, 0.25), (ae.Tanh, 1.0)):
        layer = cls()
        layer.forward(x)
        g = layer.backward(np.ones_like(x))[0]
        assert g[0] == g[-1] == 0.0
        assert g[3] == at_zero


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(z=hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 5)), elements=st.floats(-1e4, 1e4)))
def test_sigmoid_and_tanh_match_an_independent_reference_up_to_1e4(dtype: type, z: np.ndarray) -> None:
    x = z.astype(dtype)
    exact = x.astype(np.float64)
    # Other formulas than the layers use: σ(x) = (1 + tanh(x/2)) / 2, σ′(x) = (1 − tanh²(x/2)) / 4 and
    # tanh′(x) = 1/cosh²(x) = 4e^(−2|x|) / (1 + e^(−2|x|))².
    half, e = np.tanh(exact / 2), np.exp(-2 * np.abs(exact))
    tol = 4 * float(np.finfo(dtype).eps)
    for layer, y_ref, g_ref in (
        (ae.Sigmoid(), (1 + half) / 2, (1 - half**2) / 4),
        (ae.Tanh(), np.tanh(exact), 4 * e / (1 + e) ** 2),
    ):
        y = layer.forward(x)
        g = layer.backward(np.ones_like(x))
        assert y.dtype == g.dtype == dtype
        np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)
        np.testing.assert_allclose(g, g_ref, rtol=tol, atol=tol)


def test_sigmoid_keeps_relative_precision_in_the_left_tail() -> None:
    # The two-branch form computes σ(−40) = e^−40 / (1 + e^−40) without cancellation.
    y = ae.Sigmoid().forward(np.array([[-40.0]]))
    assert y[0, 0] == pytest.approx(np.exp(-40.0) / (1 + np.exp(-40.0)), rel=1e-15)


@pytest.mark.parametrize("cls", SMOOTH + KINKED)
def test_activations_keep_float32(cls: type) -> None:
    layer = cls()
    x = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4)
    assert layer.forward(x).dtype == np.float32
    assert layer.backward(np.ones((3, 4), np.float32)).dtype == np.float32


def test_activation_registry() -> None:
    assert isinstance(ae.activations.get("relu"), ae.ReLU)
    assert isinstance(ae.activations.get("linear"), ae.Identity)
    layer = ae.Tanh()
    assert ae.activations.get(layer) is layer
    with pytest.raises(ValueError, match="activation must be one of"):
        ae.activations.get("softplus")


@pytest.mark.parametrize("cls", SMOOTH + KINKED)
def test_activation_bad_input(cls: type) -> None:
    layer = cls()
    with pytest.raises(ValueError, match=r"called before forward"):
        layer.backward(np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN or inf"):
        layer.forward(np.array([[np.inf]]))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"grad_y has shape \(3, 2\), expected \(2, 3\)"):
        layer.backward(np.ones((3, 2)))
