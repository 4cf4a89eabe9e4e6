"""Hypothesis strategies and small helpers shared by the tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

seeds = st.integers(min_value=0, max_value=2**32 - 1)
batch_sizes = st.integers(min_value=1, max_value=4)
feature_sizes = st.integers(min_value=1, max_value=6)

#: Gradient tests keep |x| ≤ 3 and weights ~ 1/√fan_in, so logits stay far from saturation.
VALUE_RANGE = 3.0
#: Inputs of ReLU-like layers are kept at least this far from 0 (≫ the checker's step of 6e-6).
KINK_MARGIN = 1e-3

SMOOTH_RTOL = 1e-7


def uniform(seed: int, shape: tuple[int, ...], low: float = -VALUE_RANGE, high: float = VALUE_RANGE) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def away_from_zero(x: np.ndarray, margin: float = KINK_MARGIN) -> np.ndarray:
    """x with every entry moved to at least ``margin`` from 0 (keeping its sign)."""
    sign = np.where(x >= 0, 1.0, -1.0)
    return np.where(np.abs(x) < margin, sign * margin, x)
