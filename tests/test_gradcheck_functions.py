"""check_function: a plain (forward, backward) pair of functions is proven like a layer, with the same hints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from broken_layers import (
    DoubledW,
    InputThroughW,
    MeanBias,
    MissingBiasSum,
    SignOnX,
    TransposedShape,
    TransposedW,
    WritesZeros,
)
from helpers import batch_sizes, feature_sizes, seeds, uniform
from hypothesis import given

import autoencoder_np as ae
from autoencoder_np import gradcheck as gc

# Small example functions in the CS231n convention: forward(*inputs) -> (out, cache), backward(grad, cache).


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """y = x W + b; x: (batch, in), W: (in, out), b: (out,)."""
    return x @ W + b, {"x": x, "W": W}


def dense_backward(grad_y: np.ndarray, cache: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dx = G Wᵀ, dL/dW = xᵀ G, dL/db = Σ_n G_n."""
    return grad_y @ cache["W"].T, cache["x"].T @ grad_y, grad_y.sum(axis=0)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return np.maximum(x, 0.0), {"x": x}


relu_forward.kinks = (0.0,)  # type: ignore[attr-defined]  # declared like a layer's kinks


def relu_backward(grad_y: np.ndarray, cache: dict[str, np.ndarray]) -> np.ndarray:
    return grad_y * (cache["x"] > 0)


def leaky_relu_forward(x: np.ndarray, alpha: float) -> tuple[np.ndarray, dict[str, Any]]:
    return np.where(x > 0, x, alpha * x), {"x": x, "alpha": alpha}


def leaky_relu_backward(grad_y: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    return grad_y * np.where(cache["x"] > 0, 1.0, cache["alpha"])


def mse_forward(pred: np.ndarray, target: np.ndarray, mask: np.ndarray) -> tuple[float, dict[str, Any]]:
    """L = Σ mask ⊙ (pred − target)² / Σ mask."""
    diff = (pred - target) * mask
    return float(np.sum(diff**2) / mask.sum()), {"diff": diff, "n": mask.sum()}


def mse_backward(cache: dict[str, Any]) -> np.ndarray:
    return 2.0 * cache["diff"] / cache["n"]


def _dense_inputs(n_in: int = 4, n_out: int = 3, batch: int = 5) -> tuple[ae.Dense, np.ndarray]:
    layer = ae.Dense(n_in, n_out, rng=0)
    layer.params["b"][...] = uniform(2, (n_out,))
    return layer, uniform(1, (batch, n_in))


def test_a_correct_dense_pair_passes_with_rows_named_after_forwards_parameters() -> None:
    layer, x = _dense_inputs()
    report = gc.check_function(dense_forward, dense_backward, x, layer.params["W"], layer.params["b"])
    assert report.passed, str(report)
    assert [row.name for row in report.rows] == ["x", "W", "b"]
    assert report.subject == "dense_forward/dense_backward"
    assert report.summary().startswith("gradient check PASS: dense_forward/dense_backward")


def test_the_function_check_equals_the_layer_check_on_the_same_numbers() -> None:
    layer, x = _dense_inputs()
    function = gc.check_function(dense_forward, dense_backward, x, layer.params["W"], layer.params["b"])
    by_layer = gc.check_layer(layer, x)
    for name, row in zip(["W", "b", "x"], [by_layer["W"], by_layer["b"], by_layer["x (input)"]], strict=True):
        np.testing.assert_allclose(function[name].analytic, row.analytic, rtol=1e-12)
        np.testing.assert_allclose(function[name].numeric, row.numeric, rtol=1e-9)


def _dense_backward_with(**wrong: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]) -> Callable:
    """dense_backward with some gradients replaced: wrong[name](G, x, W)."""

    def backward(grad_y: np.ndarray, cache: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        right = dict(zip("xWb", dense_backward(grad_y, cache), strict=True))
        right.update({k: f(grad_y, cache["x"], cache["W"]) for k, f in wrong.items()})
        return right["x"], right["W"], right["b"]

    return backward


@pytest.mark.parametrize(
    ("layer_class", "square", "wrong"),
    [
        (MeanBias, False, {"b": lambda G, x, W: G.mean(axis=0)}),
        (MissingBiasSum, False, {"b": lambda G, x, W: G[0]}),
        (TransposedShape, False, {"W": lambda G, x, W: G.T @ x}),
        (TransposedW, False, {"W": lambda G, x, W: (G.T @ x).reshape(W.shape)}),
        (InputThroughW, True, {"x": lambda G, x, W: G @ W}),
        (WritesZeros, False, {"W": lambda G, x, W: np.zeros_like(W)}),
        (SignOnX, False, {"x": lambda G, x, W: -(G @ W.T)}),
        (DoubledW, False, {"W": lambda G, x, W: 2.0 * x.T @ G}),
    ],
)
def test_a_wrong_pair_gets_the_hints_check_layer_gives_the_same_mistake(
    layer_class: type, square: bool, wrong: dict[str, Callable]
) -> None:
    layer = layer_class(3, 3, rng=0) if square else layer_class(4, 3, rng=0)
    layer.params["b"][...] = uniform(2, (3,))
    x = uniform(1, (5, layer.in_features))
    W, b = layer.params["W"].copy(), layer.params["b"].copy()
    function = gc.check_function(dense_forward, _dense_backward_with(**wrong), x, W, b)
    by_layer = gc.check_layer(layer, x)
    assert not function.passed
    assert function.hint_codes, str(function)
    assert function.hint_codes == by_layer.hint_codes
    for name in "xWb":
        row = by_layer["x (input)" if name == "x" else name]
        assert function[name].passed == row.passed
        assert function[name].hint_codes == row.hint_codes
        assert [h.replace("x (input)", "x") for h in row.hints][:1] == function[name].hints[:1]  # same numbers


def test_an_activation_with_a_float_argument_differentiates_only_the_array() -> None:
    x = uniform(0, (5, 4))
    report = gc.check_function(leaky_relu_forward, leaky_relu_backward, x, 0.1)
    assert report.passed, str(report)
    assert [row.name for row in report.rows] == ["x"]


def test_kinks_declared_on_forward_are_counted_not_failed() -> None:
    x = uniform(0, (6, 4)) * 1e-6  # every entry within ±h of the kink
    declared = gc.check_function(relu_forward, relu_backward, x)
    assert declared.passed, str(declared)
    assert declared.n_kinks > 0
    undeclared = gc.check_function(relu_forward, relu_backward, x, kinks=())
    assert not undeclared.passed


def test_kinks_on_a_named_cache_entry_or_on_an_array_cache() -> None:
    x = uniform(0, (6, 4)) * 1e-6
    W = np.eye(4)

    def linear_relu_forward(x: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        z = x @ W
        return np.maximum(z, 0.0), (x, z)

    def linear_relu_backward(grad_y: np.ndarray, cache: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, ...]:
        x, z = cache
        grad_z = grad_y * (z > 0)
        return grad_z @ W.T, x.T @ grad_z

    report = gc.check_function(linear_relu_forward, linear_relu_backward, x, W, kinks={1: (0.0,)})
    assert report.passed, str(report)
    assert report.n_kinks > 0
    array_cache = gc.check_function(
        lambda x: (np.maximum(x, 0.0), x), lambda g, x: g * (x > 0), x, kinks=(0.0,)
    )  # fmt: skip
    assert array_cache.passed
    assert array_cache.n_kinks > 0
    with pytest.raises(TypeError, match=r"kinks are declared on cache\['x'\], which forward's cache lacks"):
        gc.check_function(linear_relu_forward, linear_relu_backward, x, W, kinks=(0.0,))


def test_a_scalar_loss_with_a_mask_names_the_observed_count() -> None:
    pred, target = uniform(0, (5, 4)), uniform(1, (5, 4))
    mask = (uniform(2, (5, 4)) > -1).astype(float)
    assert gc.check_function(mse_forward, mse_backward, pred, target, mask, wrt="pred").passed
    report = gc.check_function(mse_forward, lambda cache: 2.0 * cache["diff"], pred, target, mask, wrt=["pred"])
    assert report.hint_codes == ["batch_mean"]
    assert f"≈ Σ mask (the observed entries) {mask.sum():g}" in report.hints[0]


def test_float32_inputs_are_checked_in_float64_with_a_note_and_complex_step_works() -> None:
    layer, x = _dense_inputs()
    inputs = [a.astype(np.float32) for a in (x, layer.params["W"], layer.params["b"])]
    report = gc.check_function(dense_forward, dense_backward, *inputs)
    assert report.passed
    assert report.upcast == "x (float32), W (float32), b (float32) copied to float64 for the check"
    assert inputs[0].dtype == np.float32  # the caller's arrays are untouched
    exact = gc.check_function(dense_forward, dense_backward, *inputs, method="complex-step", rtol=1e-13)
    assert exact.passed, str(exact)
    assert exact.notes == []


@given(batch=batch_sizes, n_in=feature_sizes, n_out=feature_sizes, seed=seeds)
def test_dense_pairs_pass_and_a_mean_bias_always_gets_its_hint(batch: int, n_in: int, n_out: int, seed: int) -> None:
    x, W, b = uniform(seed, (batch + 2, n_in)), uniform(seed + 1, (n_in, n_out)), uniform(seed + 2, (n_out,))
    ae.testing.assert_function_gradients(dense_forward, dense_backward, x, W, b, seed=seed)
    report = gc.check_function(dense_forward, _dense_backward_with(b=lambda G, x, W: G.mean(axis=0)), x, W, b)
    assert report.hint_codes[:1] == ["batch_mean"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda x: gc.check_function(lambda x: x, relu_backward, x), TypeError, "forward must return \\(out, cache\\)"),
        (
            lambda x: gc.check_function(dense_forward, lambda g, c: (g, g), x, np.ones((4, 3)), np.ones(3)),
            TypeError,
            "backward returned 2 values, expected 3 gradient\\(s\\), of x, W, b",
        ),
        (lambda x: gc.check_function(relu_forward, lambda g, c: None, x), TypeError, "backward returned None for x"),
        (lambda x: gc.check_function(relu_forward, relu_backward, x, wrt="y"), ValueError, "wrt names 'y', which"),
        (
            lambda x: gc.check_function(leaky_relu_forward, leaky_relu_backward, x, 0.1, wrt="alpha"),
            TypeError,
            "wrt names alpha, a float: only floating-point arrays are differentiated",
        ),
        (lambda x: gc.check_function(relu_forward, relu_backward, [1.0]), ValueError, "no input is a floating-point"),
        (lambda x: gc.check_function(relu_forward, relu_backward, x, x), TypeError, "forward takes 1 positional"),
        (
            lambda x: gc.check_function(relu_forward, relu_backward, x, grad_out=np.ones(3)),
            ValueError,
            "grad_out has shape \\(3,\\), expected out's shape \\(5, 4\\)",
        ),
        (
            lambda x: gc.check_function(mse_forward, mse_backward, x, x, x, wrt="pred", grad_out=np.ones(3)),
            ValueError,
            "forward returned a scalar, so backward takes \\(cache\\) and no grad_out",
        ),
        (lambda x: gc.check_function(relu_forward, relu_backward, x * np.nan), ValueError, "check_function: x"),
        (lambda x: gc.check_function(relu_forward, relu_backward, x, method="exact"), ValueError, "method must be"),
        (lambda x: gc.check_function(relu_forward, relu_backward, x, kinks=0.0), TypeError, "kinks must be a seq"),
    ],
)
def test_misuse_is_a_clear_error(call: Callable[[np.ndarray], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call(uniform(0, (5, 4)))
