"""EASE (Steck 2019): the closed-form linear autoencoder with a zero diagonal. Often the strongest baseline.

It learns an item × item matrix B that reconstructs each user's row from the user's other items::

    min_B ‖X − X B‖² + λ ‖B‖²   subject to diag(B) = 0
    G = XᵀX + λI,   P = G⁻¹,   B_ij = −P_ij / P_jj  (i ≠ j),   B_jj = 0,   score(x) = x B

i.e. B = I − P · diagMat(1 / diag(P)). One solve, no epochs. Memory: G and P are n_items × n_items float64
(8 bytes each), so the cost is 16·n_items² bytes: 45 MB for MovieLens-100K's 1682 items, 6.4 GB for 20 000
items. Past ``max_items`` EASE refuses instead of running the machine out of memory.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..validation import check_float, check_int
from .base import Recommender


class EASE(Recommender):
    """Embarrassingly Shallow AutoEncoder; see the module docstring.

    Args:
        l2: λ > 0.
        max_items: refuse to fit on more items than this (memory grows as 16·n_items² bytes).
    """

    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"l2": (50.0, 100.0, 200.0, 300.0, 500.0, 1000.0)}

    def __init__(self, l2: float = 200.0, max_items: int = 20_000) -> None:
        self.l2 = check_float(l2, "l2", "EASE", low=0.0, low_open=True)
        self.max_items = check_int(max_items, "max_items", "EASE")

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2, "max_items": self.max_items}

    def fit(self, train: np.ndarray, validation: Any = None) -> EASE:
        n_items = np.shape(train)[1] if np.ndim(train) == 2 else 0
        if n_items > self.max_items:
            gigabytes = 16 * n_items**2 / 1e9
            raise ValueError(
                f"EASE.fit: {n_items} items need an {n_items}×{n_items} Gram matrix and its inverse, about "
                f"{gigabytes:.1f} GB; the limit is max_items={self.max_items}. Filter rare items, or raise "
                "max_items if the machine has the memory."
            )
        X = self._check_train(train, "EASE.fit")
        G = X.T @ X
        G[np.diag_indices_from(G)] += self.l2
        P = np.linalg.inv(G)
        B = -P / np.diag(P)  # column j divided by P_jj
        np.fill_diagonal(B, 0.0)
        self.B_ = B
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """X: (n_users, n_items) -> X B."""
        return self._check_input(X, "EASE.score") @ self.B_
