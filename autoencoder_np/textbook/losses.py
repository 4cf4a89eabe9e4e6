"""Losses: a number L from a prediction p and a target t, and its gradient dL/dp.

The element-wise losses average ℓ(p, t) over the observed entries; a mask m of weights (1 = observed,
0 = ignored; AutoRec's loss on observed ratings) says which::

    L     = Σ_ij m_ij ℓ(p_ij, t_ij) / n,        n = Σ_ij m_ij   (no mask: m = 1, n = the number of entries)
    dL/dp = m ⊙ ℓ′(p, t) / n

    MSE               ℓ = (p − t)²                               ℓ′ = 2 (p − t)
    BCE               ℓ = −[t log p + (1 − t) log(1 − p)]         ℓ′ = (p − t) / (p (1 − p))
    BCE with logits   ℓ = max(z, 0) − z t + log(1 + e^(−|z|))     ℓ′ = σ(z) − t          (z: the logit)

The multinomial log-likelihood (Mult-DAE, Mult-VAE) is not element-wise: each row is a distribution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .stable import log_softmax, sigmoid, softmax


def masked_mean(ell: np.ndarray, mask: np.ndarray | None = None) -> Any:
    """ell: ℓ for every entry, mask: same shape or None -> L = Σ m ℓ / Σ m (a scalar)."""
    # BEGIN SOLUTION loss.masked_mean
    # HINT: average the element-wise loss over the observed entries only: Σ m·ℓ / Σ m.
    if mask is None:
        return ell.sum() / ell.size
    return (mask * ell).sum() / mask.sum()
    # END SOLUTION


def masked_mean_backward(dell: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """dell: ℓ′ for every entry, mask: same shape or None -> dL/dp = ℓ′ / n ⊙ m, n = Σ m."""
    # BEGIN SOLUTION loss.masked_mean_backward
    # HINT: the mean's 1/n and the mask both multiply the element-wise derivative.
    if mask is None:
        return dell / dell.size
    return dell / mask.sum() * mask
    # END SOLUTION


def mse(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ = (p − t)² for every entry."""
    # BEGIN SOLUTION mse.forward
    # HINT: the squared difference of prediction and target.
    return (pred - target) ** 2
    # END SOLUTION


def mse_derivative(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ′ = ∂ℓ/∂p = 2 (p − t) for every entry."""
    # BEGIN SOLUTION mse.backward
    # HINT: d/dp (p − t)² = 2 (p − t).
    return 2 * (pred - target)
    # END SOLUTION


def clip_probability(p: np.ndarray) -> np.ndarray:
    """p clipped to [ε, 1 − ε], ε the machine epsilon of p's dtype, so that log p and log(1 − p) stay finite.

    ε depends on the dtype: 1 − 1e-15 rounds to 1 in float32, where ε = 1.2e-7 (float64: 2.2e-16).
    """
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1 - eps)


def bce(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ = −[t log p + (1 − t) log(1 − p)] for every entry, p a probability (clipped, see clip_probability)."""
    p = clip_probability(pred)
    # BEGIN SOLUTION bce.forward
    # HINT: −[t·log p + (1 − t)·log(1 − p)]; use np.log1p(−p) for log(1 − p).
    return -(target * np.log(p) + (1 - target) * np.log1p(-p))
    # END SOLUTION


def bce_derivative(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ′ = −t/p + (1 − t)/(1 − p) = (p − t) / (p (1 − p)) for every entry (at the clipped p)."""
    p = clip_probability(pred)
    # BEGIN SOLUTION bce.backward
    # HINT: −t/p + (1 − t)/(1 − p), which simplifies to (p − t) / (p (1 − p)).
    return (p - target) / (p * (1 - p))
    # END SOLUTION


def bce_with_logits(z: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ = −[t log σ(z) + (1 − t) log(1 − σ(z))] = max(z, 0) − z t + log(1 + e^(−|z|)) for every entry.

    The right-hand form never exponentiates a positive number, so it is finite for every z.
    """
    # BEGIN SOLUTION bce_logits.forward
    # HINT: max(z, 0) − z·t + log(1 + e^(−|z|)); np.log1p keeps the small values exact.
    return np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    # END SOLUTION


def bce_with_logits_derivative(z: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ′ = ∂ℓ/∂z = σ(z) − t for every entry."""
    sigma = sigmoid(z)
    # BEGIN SOLUTION bce_logits.backward
    # HINT: the sigmoid and the log cancel: ℓ′ = σ(z) − t.
    return sigma - target
    # END SOLUTION


def multinomial_forward(z: np.ndarray, target: np.ndarray) -> tuple[float, dict[str, Any]]:
    """z: logits (batch, items), target: counts (batch, items) -> L, cache.

    L = −(1/B) Σ_u Σ_i t_ui · log softmax(z_u)_i      (B rows; an entry with t = 0 adds nothing)
    """
    B = z.shape[0]
    L = -(target * log_softmax(z)).sum() / B
    return L, {"z": z, "target": target}


def multinomial_backward(cache: dict[str, Any]) -> np.ndarray:
    """cache from multinomial_forward -> dL/dz = (softmax(z_u) · Σ_i t_ui − t_u) / B, row by row."""
    z, target = cache["z"], cache["target"]
    B = z.shape[0]
    counts = target.sum(axis=1, keepdims=True)
    return (softmax(z) * counts - target) / B
