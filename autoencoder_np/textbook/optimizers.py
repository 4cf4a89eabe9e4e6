"""Optimizer updates: one step for one parameter p with gradient g, returning the new arrays.

SGD (PyTorch's convention, no dampening), with L2 weight decay λ and momentum μ::

    g ← g + λ·p
    plain:     p ← p − lr · g
    momentum:  u ← μ·u + g;     p ← p − lr · u
    Nesterov:  u ← μ·u + g;     p ← p − lr · (g + μ·u)

Adam (Kingma & Ba 2015, Algorithm 1), at step t = 1, 2, …::

    g ← g + λ·p                               (L2 weight decay; classic Adam)
    m ← β1·m + (1 − β1)·g                     first moment: a running mean of g
    v ← β2·v + (1 − β2)·g²                    second moment: a running mean of g²
    m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)    bias correction: m and v start at 0
    p ← p − lr · m̂ / (√v̂ + ε)
    AdamW (decoupled weight decay, Loshchilov & Hutter 2019): p ← p·(1 − lr·λ) instead of g ← g + λ·p.
"""

from __future__ import annotations

import numpy as np


def sgd_step(
    p: np.ndarray,
    g: np.ndarray,
    velocity: np.ndarray | None = None,
    *,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """p, g, velocity u: arrays of one shape (u None without momentum) -> (new p, new u).

    See the module docstring for the equations.
    """
    if weight_decay:
        g = g + weight_decay * p
    if not momentum:
        return p - lr * g, velocity
    velocity = momentum * velocity + g
    step = g + momentum * velocity if nesterov else velocity
    return p - lr * step, velocity


def adam_step(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    t: int,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p, g, m, v: arrays of one shape; t ≥ 1 the step number -> (new p, new m, new v).

    Adam as in the paper (see the module docstring); ``decoupled=True`` is AdamW.
    """
    # BEGIN SOLUTION adam.step
    # HINT: follow the docstring line by line; the bias corrections use β^t, not β.
    if weight_decay and not decoupled:
        g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    if decoupled:
        p = p * (1 - lr * weight_decay)
    p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p, m, v
    # END SOLUTION
