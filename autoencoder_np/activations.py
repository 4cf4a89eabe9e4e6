"""Activation functions, each a parameter-free layer applied element by element.

For y = f(x) element-wise, the chain rule is one product per element: dL/dx = dL/dy ⊙ f′(x). The equations
live in ``autoencoder_np.textbook.activations`` (their fast twins in ``autoencoder_np.fast.activations``);
these classes check their arguments, call the kernel and keep its cache. Sigmoid and tanh compute f′ from
the saved output y (cheaper and as exact); ReLU-like layers from the saved input x.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import fast, textbook
from .layers import Layer
from .validation import check_float, lookup

#: σ(x) for an array x, in the stable form (kept here for code written for 0.1: ``textbook.sigmoid``).
sigmoid = fast.sigmoid


class ReLU(Layer):
    """y = max(x, 0).   f′(x) = 1 for x > 0, 0 for x < 0 (at the kink x = 0 we take 0)."""

    kinks = (0.0,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y: same shape.   textbook.relu_forward.  Cache: x."""
        x = self._elementwise_input(x)
        y, self.cache = textbook.relu_forward(x)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ 1[x > 0].   textbook.relu_backward"""
        grad_y = self._elementwise_grad(grad_y)
        return textbook.relu_backward(grad_y, self.cache)


class LeakyReLU(Layer):
    """y = x for x > 0, αx otherwise.   f′(x) = 1 for x > 0, α otherwise.

    Args:
        alpha: slope for negative inputs, 0 ≤ α ≤ 1 (default 0.01); α ≤ 1 keeps |y| ≤ |x|, so y never overflows.
    """

    kinks = (0.0,)

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = check_float(alpha, "alpha", "LeakyReLU", low=0.0, high=1.0)
        super().__init__()

    def get_config(self) -> dict[str, Any]:
        return {"alpha": self.alpha}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y: same shape.   textbook.leaky_relu_forward.  Cache: x, α."""
        x = self._elementwise_input(x)
        if self._textbook():
            y, self.cache = textbook.leaky_relu_forward(x, self.alpha)
        else:
            y, self.cache = fast.leaky_relu_forward(x, self.alpha)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ (1 where x > 0, α elsewhere).   textbook.leaky_relu_backward"""
        grad_y = self._elementwise_grad(grad_y)
        if self._textbook():
            return textbook.leaky_relu_backward(grad_y, self.cache)
        return fast.leaky_relu_backward(grad_y, self.cache)


class Sigmoid(Layer):
    """y = σ(x) = 1 / (1 + e^(−x)).   f′(x) = y (1 − y).

    Computed in the stable two-branch form with z = e^(−|x|) ∈ (0, 1], which never overflows
    (``textbook.sigmoid``). The naive form overflows e^(−x) for x < −709 (float64) or x < −88 (float32).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y: same shape, in [0, 1].   textbook.sigmoid_forward.  Cache: x, y."""
        x = self._elementwise_input(x)
        if self._textbook():
            y, cache = textbook.sigmoid_forward(x)
        else:
            y, cache = fast.sigmoid_forward(x)
        self.cache.update(cache)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ y ⊙ (1 − y).   textbook.sigmoid_backward"""
        grad_y = self._elementwise_grad(grad_y)
        if self._textbook():
            return textbook.sigmoid_backward(grad_y, self.cache)
        return fast.sigmoid_backward(grad_y, self.cache)


class Tanh(Layer):
    """y = tanh(x).   f′(x) = 1 − y²."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y: same shape, in [−1, 1].   textbook.tanh_forward.  Cache: x, y."""
        x = self._elementwise_input(x)
        y, cache = textbook.tanh_forward(x)
        self.cache.update(cache)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ (1 − y²).   textbook.tanh_backward"""
        grad_y = self._elementwise_grad(grad_y)
        if self._textbook():
            return textbook.tanh_backward(grad_y, self.cache)
        return fast.tanh_backward(grad_y, self.cache)


class Identity(Layer):
    """y = x.   dL/dx = dL/dy.  (A linear output layer, e.g. AutoRec's ratings.)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y = x.  Cache: x (for the shape check in backward)."""
        return self._elementwise_input(x)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy."""
        return self._elementwise_grad(grad_y)


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
    "linear": Identity,
}


def get(activation: str | Layer) -> Layer:
    """A new activation layer by name (``"relu"``, ``"sigmoid"``, …), or a layer instance unchanged."""
    return lookup(activation, ACTIVATIONS, Layer, "activation")
