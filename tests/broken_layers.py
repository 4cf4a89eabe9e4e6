"""Deliberately broken backward passes, one per diagnosis hint (and the losses' twins)."""

from __future__ import annotations

import numpy as np

import autoencoder_np as ae


class MissingMean(ae.Dense):
    """forward averages over the batch; backward forgets the 1/N."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return super().forward(x) / x.shape[0]


class SignError(ae.Sigmoid):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return -super().backward(grad_y)


class TransposedW(ae.Dense):
    """dL/dW computed as dL/dyᵀ·x (out, in), then forced into W's (in, out) shape."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads["W"] = (grad_y.T @ self.cache["x"]).reshape(self.params["W"].shape)
        return grad_x


class TransposedShape(ae.Dense):
    """Plain-dict grads, so the transposed (out, in) gradient is stored as it is."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads = {"W": grad_y.T @ self.cache["x"], "b": grad_y.sum(axis=0)}
        return grad_x


class InputThroughW(ae.Dense):
    """dL/dx = dL/dy·W instead of dL/dy·Wᵀ: runs only because W is square."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        super().backward(grad_y)
        return grad_y @ self.params["W"]


class MissingBiasSum(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads["b"] = grad_y[0]
        return grad_x


class MeanBias(ae.Dense):
    """dL/db averaged over the batch instead of summed."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads["b"] = grad_y.mean(axis=0)
        return grad_x


class SignOnX(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return -super().backward(grad_y)


class DoubledW(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads["W"] = 2.0 * self.cache["x"].T @ grad_y
        return grad_x


class NeverWritesGrads(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y @ self.params["W"].T


class WritesZeros(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads["W"] = np.zeros_like(self.params["W"])
        return grad_x


class DoubledTanh(ae.Tanh):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return 2.0 * super().backward(grad_y)


class Square(ae.Layer):
    """y = x², complex-safe (the correct twin of SquareWithoutTheTwo)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = {"x": x}
        return x * x

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return 2.0 * self.cache["x"] * grad_y


class SquareWithoutTheTwo(Square):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return self.cache["x"] * grad_y


class HalvedMSE(ae.MSELoss):
    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return pred - target  # the 2 of d(p − t)²/dp is missing


class MSEWithoutMean(ae.MSELoss):
    def backward(self) -> np.ndarray:
        return super().backward() * self.cache["n"]
