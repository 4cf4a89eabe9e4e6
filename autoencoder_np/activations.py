"""Activation functions, each a parameter-free layer applied element by element.

For y = f(x) element-wise, the chain rule is one product per element: dL/dx = dL/dy ⊙ f′(x).
Sigmoid and tanh compute f′ from the saved output y (cheaper and as exact); ReLU-like layers from the
saved input x.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import Layer
from .validation import check_float, lookup


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x)) for an array x, in the stable two-branch form (see :class:`Sigmoid`).

    With z = e^(−|x|) ∈ (0, 1]: σ(x) = 1 / (1 + z) for x ≥ 0 and z / (1 + z) for x < 0. Both branches keep
    full relative precision, the left tail included. Works in place on two new arrays.
    """
    z = np.abs(x)
    np.negative(z, out=z)
    np.exp(z, out=z)  # z = e^(−|x|)
    # The numerator, 1 for x ≥ 0 and z for x < 0: max(z, 1[x ≥ 0]) as z ≤ 1. Same as np.where(x >= 0, 1, z),
    # which branches per entry and runs about 15× slower on inputs of mixed sign.
    y = np.maximum(z, x >= 0)
    np.add(z, 1.0, out=z)
    np.divide(y, z, out=y)
    return y


class ReLU(Layer):
    """y = max(x, 0).   f′(x) = 1 for x > 0, 0 for x < 0 (at the kink x = 0 we take 0)."""

    kinks = (0.0,)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y: same shape.  Cache: x."""
        x = self._elementwise_input(x)
        return np.maximum(x, 0)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ 1[x > 0]."""
        grad_y = self._elementwise_grad(grad_y)
        x = self.cache["x"]
        # BEGIN SOLUTION relu.backward
        # HINT: the gradient passes where x > 0 and is zero elsewhere.
        return grad_y * (x > 0)
        # END SOLUTION


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
        """x: any shape -> y: same shape.  Cache: x."""
        x = self._elementwise_input(x)
        return np.maximum(x, self.alpha * x)  # = x where x > 0, αx elsewhere, as 0 ≤ α ≤ 1

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ (1 where x > 0, α elsewhere)."""
        grad_y = self._elementwise_grad(grad_y)
        x = self.cache["x"]
        # BEGIN SOLUTION leaky_relu.backward
        # HINT: like ReLU, but the negative side lets α of the gradient through.
        slope = np.maximum(x > 0, grad_y.dtype.type(self.alpha))  # 1 where x > 0, α elsewhere (as α ≤ 1)
        slope *= grad_y
        return slope
        # END SOLUTION


class Sigmoid(Layer):
    """y = σ(x) = 1 / (1 + e^(−x)).   f′(x) = y (1 − y).

    Computed in the stable two-branch form with z = e^(−|x|) ∈ (0, 1], which never overflows:
    σ(x) = 1 / (1 + z) for x ≥ 0 and z / (1 + z) for x < 0. The naive form overflows e^(−x) for
    x < −709 (float64) or x < −88 (float32).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y: same shape, in (0, 1).  Cache: x, y."""
        x = self._elementwise_input(x)
        y = sigmoid(x)
        self.cache["y"] = y
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ y ⊙ (1 − y)."""
        grad_y = self._elementwise_grad(grad_y)
        y = self.cache["y"]
        # BEGIN SOLUTION sigmoid.backward
        # HINT: σ′(x) = σ(x)(1 − σ(x)); the output y = σ(x) is in the cache.
        grad_x = np.subtract(1.0, y)  # in place from here: grad_x = dL/dy ⊙ y ⊙ (1 − y), one new array
        grad_x *= y
        grad_x *= grad_y
        return grad_x
        # END SOLUTION


class Tanh(Layer):
    """y = tanh(x).   f′(x) = 1 − y²."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> y: same shape, in (−1, 1).  Cache: x, y."""
        x = self._elementwise_input(x)
        y = np.tanh(x)
        self.cache["y"] = y
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy ⊙ (1 − y²)."""
        grad_y = self._elementwise_grad(grad_y)
        y = self.cache["y"]
        # BEGIN SOLUTION tanh.backward
        # HINT: tanh′(x) = 1 − tanh(x)²; the output y = tanh(x) is in the cache.
        grad_x = np.multiply(y, y)  # in place from here: grad_x = dL/dy ⊙ (1 − y²), one new array
        np.subtract(1.0, grad_x, out=grad_x)
        grad_x *= grad_y
        return grad_x
        # END SOLUTION


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
