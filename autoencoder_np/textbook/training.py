"""Training, plainly: one gradient step, and the loop over epochs and minibatches.

One step is the whole data flow of backpropagation::

    x ─ model.forward ─ x̂ ─ loss.forward(x̂, y) ─ L
    L ─ loss.backward ─ dL/dx̂ ─ model.backward ─ every layer's grads
    grads ─ optimizer.step ─ parameters updated

``Model.fit`` runs the same steps with more around them (validation, callbacks, divergence protection, the
fast kernels); ``autoencoder_np.training`` says what it adds. This is the loop to read first.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def train_step(model: Any, loss: Any, optimizer: Any, x: np.ndarray, y: np.ndarray, mask: Any = None) -> float:
    """One gradient step on the batch x: (batch, in), y: (batch, out), mask: like y or None -> the batch loss."""
    pred = model.forward(x)
    L = loss.forward(pred, y, mask) + model.aux_loss()
    model.backward(loss.backward())
    optimizer.step(model)
    return L


def fit(
    model: Any,
    X: np.ndarray,
    y: np.ndarray | None = None,
    *,
    loss: Any,
    optimizer: Any,
    epochs: int,
    batch_size: int,
    seed: int | None = None,
    mask: np.ndarray | None = None,
) -> list[float]:
    """Train ``model`` on X: (n, in) and targets y: (n, out) (None: y = X) -> each epoch's loss.

    Every epoch visits the rows in a new random order, ``batch_size`` rows per step. An epoch's loss is the
    mean of its batch losses weighted by their rows (the last batch may be smaller).
    """
    y = X if y is None else y
    rng = np.random.default_rng(seed)
    model.train()
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            rows = order[start : start + batch_size]
            batch_mask = None if mask is None else mask[rows]
            total += train_step(model, loss, optimizer, X[rows], y[rows], batch_mask) * len(rows)
        history.append(total / len(X))
    return history
