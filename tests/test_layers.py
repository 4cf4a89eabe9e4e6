"""Dense, Dropout, GaussianNoise and the layer protocol."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, batch_sizes, feature_sizes, seeds, shapes, uniform
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae


@given(data=st.data(), n_in=feature_sizes, n_out=feature_sizes, seed=seeds)
def test_dense_backward_matches_finite_differences(data: st.DataObject, n_in: int, n_out: int, seed: int) -> None:
    layer = ae.Dense(n_in, n_out, rng=seed)
    layer.params["b"] = np.random.default_rng(seed + 1).normal(size=n_out)  # a non-zero bias
    x = data.draw(ae.testing.inputs_for(layer, batch=batch_sizes))
    report = ae.testing.assert_layer_gradients(layer, x, rtol=SMOOTH_RTOL, seed=seed)
    assert report.max_rel_error <= SMOOTH_RTOL
    assert [row.name for row in report.rows] == ["W", "b", "x (input)"]


def test_dense_forward_is_xW_plus_b() -> None:
    layer = ae.Dense(3, 2, rng=0)
    layer.params["W"] = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    layer.params["b"] = np.array([0.5, -1.0])
    x = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    np.testing.assert_array_equal(layer.forward(x), [[-3.5, -5.0], [5.5, 7.0]])


def test_dense_backward_written_out_on_a_2x3_example() -> None:
    layer = ae.Dense(3, 2, rng=0)
    W = layer.params["W"].copy()
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    g = np.array([[1.0, -1.0], [0.5, 2.0]])
    layer.forward(x)
    grad_x = layer.backward(g)
    np.testing.assert_allclose(layer.grads["W"], x.T @ g)
    np.testing.assert_allclose(layer.grads["b"], [1.5, 1.0])
    np.testing.assert_allclose(grad_x, g @ W.T)


def test_backward_overwrites_gradients_instead_of_accumulating() -> None:
    layer = ae.Dense(4, 3, rng=1)
    x = uniform(1, (5, 4))
    g = uniform(2, (5, 3))
    layer.forward(x)
    layer.backward(g)
    first = {k: v.copy() for k, v in layer.grads.items()}
    layer.forward(x)
    layer.backward(g)
    for key, value in layer.grads.items():
        np.testing.assert_array_equal(value, first[key])


def test_params_and_grads_share_keys_and_shapes() -> None:
    layer = ae.Dense(7, 3, rng=0)
    assert layer.params.keys() == layer.grads.keys() == {"W", "b"}
    assert layer.params["W"].shape == (7, 3)
    assert layer.params["b"].shape == (3,)
    for key in layer.params:
        assert layer.grads[key].shape == layer.params[key].shape
    assert [name for name, _, _ in layer.parameters()] == ["W", "b"]


def test_paramdict_assignment_writes_in_place() -> None:
    layer = ae.Dense(2, 2, rng=0)
    W = layer.params["W"]
    layer.params["W"] = np.ones((2, 2))
    assert layer.params["W"] is W
    np.testing.assert_array_equal(W, 1.0)
    with pytest.raises(ValueError, match=r"\['W'\] has shape \(2, 2\), got an array of shape \(3,\)"):
        layer.params["W"] = np.ones(3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_keeps_its_dtype(dtype: type) -> None:
    layer = ae.Dense(3, 2, rng=0, dtype=dtype)
    y = layer.forward(np.ones((4, 3)))  # float64 input is cast to the layer's dtype
    assert y.dtype == dtype
    assert layer.backward(np.ones((4, 2))).dtype == dtype
    assert all(v.dtype == dtype for v in layer.grads.values())


def test_same_seed_gives_identical_weights() -> None:
    a, b, c = ae.Dense(5, 4, rng=3), ae.Dense(5, 4, rng=3), ae.Dense(5, 4, rng=4)
    np.testing.assert_array_equal(a.params["W"], b.params["W"])
    assert not np.array_equal(a.params["W"], c.params["W"])


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (np.ones((4, 7)), ValueError, r"Dense\(10→5\)\.forward: x has 7 features, expected 10"),
        (np.ones(10), ValueError, r"x must be 2-D \(batch, features\), got shape \(10,\)"),
        (np.ones((0, 10)), ValueError, r"x is empty"),
        (np.full((2, 10), np.nan), ValueError, r"x holds 20 NaN or inf"),
        (np.array([["a"] * 10]), TypeError, r"x must be a numeric array, got dtype <U1"),
        (np.ones((2, 10), dtype=object), TypeError, r"numeric array, got dtype object"),
    ],
)
def test_dense_forward_rejects_bad_input(x: np.ndarray, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ae.Dense(10, 5, rng=0).forward(x)


def test_backward_before_forward_and_wrong_grad_shape_are_clear_errors() -> None:
    layer = ae.Dense(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"Dense\(3→2\)\.backward: called before forward"):
        layer.backward(np.ones((1, 2)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"grad_y has shape \(4, 3\), expected \(4, 2\)"):
        layer.backward(np.ones((4, 3)))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_features": 0, "out_features": 2}, ValueError, "in_features must be ≥ 1, got 0"),
        ({"in_features": 2.5, "out_features": 2}, TypeError, "in_features must be an integer"),
        (
            {"in_features": 2, "out_features": 2, "dtype": np.int32},
            TypeError,
            "dtype must be float32 or float64",
        ),
        ({"in_features": 2, "out_features": 2, "init": "nope"}, ValueError, "init must be one of"),
    ],
)
def test_dense_rejects_bad_hyperparameters(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ae.Dense(**kwargs)


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal"])
def test_initializers_have_the_documented_spread(name: str) -> None:
    fan_in, fan_out = 400, 300
    W = ae.init.get(name)((fan_in, fan_out), 0)
    expected_std = {
        "glorot_uniform": np.sqrt(2 / (fan_in + fan_out)),  # U(−a, a) has std a/√3
        "glorot_normal": np.sqrt(2 / (fan_in + fan_out)),
        "he_uniform": np.sqrt(2 / fan_in),
        "he_normal": np.sqrt(2 / fan_in),
    }[name]
    assert W.shape == (fan_in, fan_out)
    assert abs(W.std() / expected_std - 1) < 0.02
    assert abs(W.mean()) < 0.01 * expected_std * 10
    if name.endswith("uniform"):
        assert np.abs(W).max() <= expected_std * np.sqrt(3)


def test_initializers_take_a_generator_or_a_seed() -> None:
    a = ae.init.he_normal((3, 4), 5)
    b = ae.init.he_normal((3, 4), np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert ae.init.zeros((2, 3), 0, np.float32).dtype == np.float32
    assert not ae.init.zeros((2, 3)).any()
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        ae.init.he_normal((3, 4), "seed")


def test_dropout_scales_kept_entries_and_passes_through_at_inference() -> None:
    layer = ae.Dropout(0.5, rng=0)
    x = np.ones((200, 50))
    y = layer.forward(x)
    assert set(np.unique(y)) == {0.0, 2.0}  # kept entries are divided by 1 − rate
    assert abs(y.mean() - 1.0) < 0.05  # E[y] = x
    grad = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(grad, y)  # the same mask scales the gradient
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


@pytest.mark.parametrize("rate", [0.5, 0.25, 1 / 256, 255 / 256, 0.3, 0.999])
def test_dropout_keeps_each_entry_with_probability_one_minus_rate(rate: float) -> None:
    # Rates with 256·rate whole draw one byte per entry, the others a float32 uniform: both must be exact.
    keep = ae.Dropout(rate, rng=7).draw_keep((1000, 1000))
    assert keep.dtype == bool
    sigma = math.sqrt(rate * (1 - rate) / keep.size)
    assert abs(keep.mean() - (1 - rate)) < 5 * sigma
    assert abs(keep[:, :500].mean() - keep[:, 500:].mean()) < 10 * sigma  # no pattern across the row


def test_gaussian_noise_adds_noise_in_training_only() -> None:
    layer = ae.GaussianNoise(0.1, rng=0)
    x = np.zeros((500, 20))
    y = layer.forward(x)
    assert abs(y.std() - 0.1) < 0.005
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), 1.0)
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), x)


@given(data=st.data(), seed=seeds)
def test_noise_layers_backward_with_the_noise_held_fixed(data: st.DataObject, seed: int) -> None:
    for layer in (ae.Dropout(0.3, rng=seed), ae.GaussianNoise(0.5, rng=seed)):
        x = data.draw(ae.testing.inputs_for(layer, shape=shapes))
        ae.testing.assert_layer_gradients(layer, x, rtol=SMOOTH_RTOL, seed=seed)


def test_noise_layers_reject_bad_rates() -> None:
    with pytest.raises(ValueError, match=r"rate must be in \[0.0, 1.0\), got 1"):
        ae.Dropout(1)
    with pytest.raises(ValueError, match="std must be in"):
        ae.GaussianNoise(-0.1)
