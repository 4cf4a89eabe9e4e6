"""The Dense layer's fast kernels: the same numbers as ``textbook.dense``, without temporary arrays.

Backward writes dL/dW and dL/db straight into the layer's gradient arrays (``out=``), so a model's flat
gradient buffer fills without a copy, and skips dL/dx when nobody reads it (a model's first layer in ``fit``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Equals ``textbook.dense_forward`` bitwise: y = x W, then b added in place (no second (batch, out) array)."""
    # BEGIN FAST dense.forward
    y = x @ W
    y += b
    return y, {"x": x, "W": W}
    # END FAST


@functools.lru_cache(maxsize=64)
def ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones, kept for reuse: 1ᵀ·g sums g over its first axis."""
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


def dense_backward(
    grad_y: np.ndarray, cache: dict[str, Any], grad_W: np.ndarray, grad_b: np.ndarray, input_grad: bool = True
) -> np.ndarray | None:
    """``textbook.dense_backward``, writing dL/dW into ``grad_W`` and dL/db into ``grad_b``; returns dL/dx.

    dL/dW and dL/dx equal the textbook's bitwise. dL/db = 1ᵀ·dL/dy, a BLAS vector-matrix product, which NumPy
    runs 1.4–3× faster than ``grad_y.sum(axis=0)`` at every size the benchmarks train; it adds the rows in
    another order, so it equals the textbook's sum within batch·ε relative to Σ|dL/dy|. Returns None without
    computing dL/dx when ``input_grad`` is False (a third of the products of a first layer).
    """
    # BEGIN FAST dense.backward
    x, W = cache["x"], cache["W"]
    np.matmul(x.T, grad_y, out=grad_W)
    np.matmul(ones(x.shape[0], W.dtype), grad_y, out=grad_b)
    if not input_grad:
        return None
    return grad_y @ W.T
    # END FAST
