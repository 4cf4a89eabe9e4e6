"""The fully connected (dense) layer: y = x W + b, and its backward pass.

    forward:   y = x W + b                          x: (batch, in), W: (in, out), b: (out,), y: (batch, out)
    backward:  dL/dx = dL/dy Wᵀ                     (batch, out)·(out, in)  -> (batch, in)
               dL/dW = xᵀ dL/dy                     (in, batch)·(batch, out) -> (in, out)
               dL/db = Σ_batch dL/dy                sum over the rows        -> (out,)

The bias is added to every row, so its gradient collects dL/dy from every row: that is the sum.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """x: (batch, in), W: (in, out), b: (out,) -> y: (batch, out), cache.

    y = x W + b   (b broadcasts over the batch)
    The cache keeps x and W: backward needs x for dL/dW and W for dL/dx.
    """
    cache = {"x": x, "W": W}
    # BEGIN SOLUTION dense.forward
    # HINT: one matrix product and a bias that broadcasts over the batch: y = x W + b; return y, cache.
    y = x @ W + b
    return y, cache
    # END SOLUTION


def dense_backward(grad_y: np.ndarray, cache: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """grad_y = dL/dy: (batch, out), cache from dense_forward -> (dL/dx, dL/dW, dL/db).

    dL/dx = dL/dy · Wᵀ       (batch, in)
    dL/dW = xᵀ · dL/dy       (in, out)
    dL/db = Σ_batch dL/dy    (out,)
    """
    x, W = cache["x"], cache["W"]
    # BEGIN SOLUTION dense.backward
    # HINT: dL/dx = dL/dy·Wᵀ, dL/dW = xᵀ·dL/dy, dL/db = the sum of dL/dy over the batch axis.
    grad_x = grad_y @ W.T
    grad_W = x.T @ grad_y
    grad_b = grad_y.sum(axis=0)
    return grad_x, grad_W, grad_b
    # END SOLUTION
