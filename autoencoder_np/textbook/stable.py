"""Numerically stable forms of the functions that overflow when written naively.

Each is the plainest form that stays finite and accurate for every finite input:

    σ(x) = 1 / (1 + e^(−x))                           sigmoid
    log Σ_j e^(z_j)                                  log_sum_exp, row by row
    softmax(z)_i = e^(z_i) / Σ_j e^(z_j)              softmax, row by row
    log softmax(z)_i = z_i − log Σ_j e^(z_j)          log_softmax, row by row
"""

from __future__ import annotations

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    """x: any shape -> σ(x), same shape, in [0, 1].

    σ(x) = 1 / (1 + e^(−x)) overflows e^(−x) for x < −709 (float64). With z = e^(−|x|) ∈ (0, 1], never
    overflowing, the two branches are exact rewrites of the same formula:
        x ≥ 0:  σ(x) = 1 / (1 + z)
        x < 0:  σ(x) = z / (1 + z)        (multiply the top and bottom of 1 / (1 + e^(−x)) by e^(x))
    """
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def log_sum_exp(z: np.ndarray) -> np.ndarray:
    """z: (batch, n) -> lse: (batch,), lse_b = log Σ_j e^(z_bj).

    Shifting by the row's maximum c changes nothing, log Σ e^(z_j) = c + log Σ e^(z_j − c), and makes every
    exponent ≤ 0: no overflow, and the largest term is e^0 = 1, so the sum never underflows to 0.
    """
    c = z.max(axis=1)
    return c + np.log(np.exp(z - c[:, None]).sum(axis=1))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """z: (batch, n) -> (batch, n), log softmax(z)_bi = z_bi − log Σ_j e^(z_bj)."""
    return z - log_sum_exp(z)[:, None]


def softmax(z: np.ndarray) -> np.ndarray:
    """z: (batch, n) -> (batch, n), softmax(z)_bi = e^(z_bi) / Σ_j e^(z_bj); each row sums to 1."""
    return np.exp(log_softmax(z))
