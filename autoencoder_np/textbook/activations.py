"""Activations and noise, element by element: forward y = f(x), backward dL/dx = dL/dy ⊙ f′(x).

    ReLU        y = max(x, 0)                     f′(x) = 1 for x > 0, else 0 (at the kink x = 0 we take 0)
    LeakyReLU   y = x for x > 0, else αx          f′(x) = 1 for x > 0, else α
    Sigmoid     y = σ(x) = 1 / (1 + e^(−x))       f′(x) = y (1 − y)
    Tanh        y = tanh(x)                       f′(x) = 1 − y²
    Dropout     y = x ⊙ k / (1 − rate)            dL/dx = dL/dy ⊙ k / (1 − rate)     (k: the 0/1 keep mask)

Sigmoid and tanh keep their output y in the cache: f′ is cheapest from y. ReLU-like layers keep x.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .stable import sigmoid


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """x: any shape -> y = max(x, 0), same shape; cache: x."""
    return np.maximum(x, 0), {"x": x}


def relu_backward(grad_y: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """grad_y = dL/dy -> dL/dx = dL/dy ⊙ 1[x > 0]."""
    x = cache["x"]
    # BEGIN SOLUTION relu.backward
    # HINT: the gradient passes where x > 0 and is zero elsewhere.
    return grad_y * (x > 0)
    # END SOLUTION


def leaky_relu_forward(x: np.ndarray, alpha: float) -> tuple[np.ndarray, dict[str, Any]]:
    """x: any shape, slope α for x ≤ 0 -> y = x where x > 0, else αx; cache: x and α."""
    return np.where(x > 0, x, alpha * x), {"x": x, "alpha": alpha}


def leaky_relu_backward(grad_y: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """grad_y = dL/dy -> dL/dx = dL/dy where x > 0, α·dL/dy elsewhere."""
    x, alpha = cache["x"], cache["alpha"]
    # BEGIN SOLUTION leaky_relu.backward
    # HINT: like ReLU, but the negative side lets α of the gradient through.
    return np.where(x > 0, grad_y, alpha * grad_y)
    # END SOLUTION


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """x: any shape -> y = σ(x) in [0, 1] (the stable form, see ``stable.sigmoid``); cache: y."""
    y = sigmoid(x)
    return y, {"y": y}


def sigmoid_backward(grad_y: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """grad_y = dL/dy -> dL/dx = dL/dy ⊙ σ′(x), with σ′(x) = y (1 − y)."""
    y = cache["y"]
    # BEGIN SOLUTION sigmoid.backward
    # HINT: σ′(x) = σ(x)(1 − σ(x)); the output y = σ(x) is in the cache.
    dsigma = y * (1 - y)
    return grad_y * dsigma
    # END SOLUTION


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """x: any shape -> y = tanh(x) in [−1, 1]; cache: y."""
    y = np.tanh(x)
    return y, {"y": y}


def tanh_backward(grad_y: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """grad_y = dL/dy -> dL/dx = dL/dy ⊙ tanh′(x), with tanh′(x) = 1 − y²."""
    y = cache["y"]
    # BEGIN SOLUTION tanh.backward
    # HINT: tanh′(x) = 1 − tanh(x)²; the output y = tanh(x) is in the cache.
    dtanh = 1 - y**2
    return grad_y * dtanh
    # END SOLUTION


def dropout_forward(x: np.ndarray, keep: np.ndarray, rate: float) -> tuple[np.ndarray, dict[str, Any]]:
    """x: any shape, keep: 0/1 (or bool) of x's shape, rate in [0, 1) -> y = x ⊙ keep / (1 − rate); cache.

    Inverted dropout: each entry survives with probability 1 − rate, and the survivors are scaled up by
    1 / (1 − rate), so E[y] = x and nothing needs rescaling at inference.
    """
    return x * keep / (1 - rate), {"keep": keep, "rate": rate}


def dropout_backward(grad_y: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """grad_y = dL/dy -> dL/dx = dL/dy ⊙ keep / (1 − rate): dropped entries get no gradient."""
    return grad_y * cache["keep"] / (1 - cache["rate"])
