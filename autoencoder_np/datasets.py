"""Small data sets that ship with the library (no download, no licence question)."""

from __future__ import annotations

import numpy as np

from .validation import check_int


def founding_example(seed: int = 1, *, legacy: bool = False) -> np.ndarray:
    """The 100 × 10 matrix of U(0, 1) numbers our founding example trains on.

    ``np.random.default_rng(seed).random((100, 10))`` by default; ``legacy=True`` gives the older
    ``np.random.seed(seed); np.random.rand(100, 10)`` form (without touching NumPy's global state).
    Both are uniform on [0, 1): always predicting 0.5 scores an MSE of 1/12 ≈ 0.0833 on them.
    """
    seed = check_int(seed, "seed", "founding_example", minimum=0)
    if legacy:
        return np.random.RandomState(seed).rand(100, 10)
    return np.random.default_rng(seed).random((100, 10))
