"""EASE (Steck 2019): the closed-form linear autoencoder with a zero diagonal. Often the strongest baseline.

It learns an item × item matrix B that reconstructs each user's row from the user's other items::

    min_B ‖X − X B‖² + λ ‖B‖²   subject to diag(B) = 0
    G = XᵀX + λI,   P = G⁻¹,   B_ij = −P_ij / P_jj  (i ≠ j),   B_jj = 0,   score(x) = x B

i.e. B = I − P · diagMat(1 / diag(P)). One solve, no epochs. XᵀX is built from the CSR matrix one block of
items at a time (co-occurrence counts, never the dense X).

**Choosing λ on validation users** (``l2`` a sequence): inverting G once per λ costs one n³ solve each.
Instead, one symmetric eigendecomposition XᵀX = V Λ Vᵀ serves the whole grid, *exactly*: adding λI shifts
every eigenvalue by λ and keeps the orthonormal eigenvectors, so for every λ

    P(λ) = V diag(1 / (Λ + λ)) Vᵀ,      diag(P)_j = Σ_k V_jk² / (Λ_k + λ),
    X B  = X − (X P) diagMat(1 / diag P) = X − ((X V) diag(1 / (Λ + λ)) Vᵀ) diagMat(1 / diag P)

and the validation users are scored from X V without forming B (users · n² per λ). Only the chosen λ's B is
formed, with one product. (No approximation: the eigendecomposition is backward stable like the LU inverse,
and the tests check B against the inverse.) Measured on this project's 2-core machine (one thread, six λ):
1418 items 0.53 s against 2.7 s for one LU inverse per λ (1.35 s in float32; a Cholesky per λ, 2.6 s,
gains nothing in NumPy, which has no triangular inverse); see the README for the larger case.

Memory (measured peaks, float64): a single λ needs G, its inverse and LAPACK's workspace, about 28·n² bytes;
the eigendecomposition about 36·n² bytes. The budget is 28·``max_items``² bytes (11.2 GB at 20 000 items):
a grid runs on the eigendecomposition when it fits the budget, else one inverse per λ; past the budget
EASE refuses with the bytes it would need.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..sparse import CSR, product
from ..validation import check_float, check_int
from .base import MemoryBudgetError, Recommender
from .ranking import fold_ndcg

#: Measured peak bytes per n² (n = items) of one inverse, and of the eigendecomposition, in float64.
BYTES_INVERSE, BYTES_EIGH = 28, 36
#: The λ grid tried on validation by default (the evaluation's choice).
L2_GRID = (50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0)


class EASE(Recommender):
    """Embarrassingly Shallow AutoEncoder; see the module docstring.

    Args:
        l2: λ > 0, or a sequence of λ to choose from on validation users (``fit(train, validation)``).
        max_items: the memory budget is 28·max_items² bytes, what one λ needs at that many items.

    Fitted: ``B_`` (n_items, n_items); with a grid also ``l2_`` (the λ chosen) and ``validation_scores_``
    (validation NDCG@100 of each λ of the grid).
    """

    #: One candidate for the evaluation: the whole grid, searched inside ``fit``.
    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"l2": (L2_GRID,)}

    def __init__(self, l2: float | Sequence[float] = 200.0, max_items: int = 20_000) -> None:
        if isinstance(l2, (list, tuple, np.ndarray)):
            if len(l2) == 0:
                raise ValueError("EASE: l2 is an empty sequence; give λ or a grid of λ")
            self.l2: float | tuple[float, ...] = tuple(check_float(v, "l2", "EASE", low=0.0, low_open=True) for v in l2)
        else:
            self.l2 = check_float(l2, "l2", "EASE", low=0.0, low_open=True)
        self.max_items = check_int(max_items, "max_items", "EASE")

    def get_config(self) -> dict[str, Any]:
        return {"l2": list(self.l2) if isinstance(self.l2, tuple) else self.l2, "max_items": self.max_items}

    def chosen(self) -> dict[str, Any]:
        return {"l2": self.l2_} if isinstance(self.l2, tuple) else {}

    def tried(self) -> list[tuple[dict[str, Any], float]]:
        if not isinstance(self.l2, tuple):
            return []
        return [({"l2": v}, float(s)) for v, s in zip(self.l2, self.validation_scores_, strict=True)]

    def fit(self, train: Any, validation: Any = None) -> EASE:
        """train: (n_users, n_items) dense or CSR; validation: needed when ``l2`` is a grid (FoldIn or pair)."""
        where = "EASE.fit"
        n_items = np.shape(train)[1] if isinstance(train, CSR) or np.ndim(train) == 2 else 0
        budget = BYTES_INVERSE * self.max_items**2
        if BYTES_INVERSE * n_items**2 > budget:
            raise MemoryBudgetError(
                f"EASE.fit: {n_items} items need an {n_items}×{n_items} Gram matrix, its inverse and LAPACK's "
                f"workspace, about {_size(BYTES_INVERSE * n_items**2)}; the budget is {_size(budget)} "
                f"(max_items={self.max_items}). Filter rare items, or raise max_items if the machine has the memory."
            )
        X = self._check_train(train, where).astype(np.float64)
        fold = self._check_fold(validation, where)
        G = X.T @ X  # XᵀX from the CSR rows, block by block
        if not isinstance(self.l2, tuple):
            self.B_ = _weights(_inverse(G, self.l2))
            return self
        if fold is None:
            raise ValueError(f"{where}: l2 is a grid {self.l2}; choosing λ needs validation users (a FoldIn or pair)")
        if BYTES_EIGH * n_items**2 <= budget:
            lam, V = np.linalg.eigh(G)
            del G
            scores = [fold_ndcg(_eigen_scorer(lam, V, l2), fold) for l2 in self.l2]
            self.l2_ = self.l2[int(np.argmax(scores))]
            self.B_ = _weights((V / (lam + self.l2_)) @ V.T)  # P = V diag(1/(Λ+λ)) Vᵀ
        else:  # one inverse per λ, keeping the best B so far
            scores = []
            for l2 in self.l2:
                B = _weights(_inverse(G, l2))
                scores.append(fold_ndcg(lambda X, B=B: product(X, B), fold))
                if scores[-1] > max(scores[:-1], default=-np.inf):
                    self.l2_, self.B_ = l2, B
        self.validation_scores_ = np.array(scores)
        return self

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) -> X B."""
        return product(X, self.B_)


def _size(n_bytes: int) -> str:
    return f"{n_bytes:,} bytes ({n_bytes / 1e9:.1f} GB)"


def _inverse(G: np.ndarray, l2: float) -> np.ndarray:
    """(G + λI)⁻¹, G: (n, n) XᵀX."""
    A = G.copy()
    A[np.diag_indices_from(A)] += l2
    return np.linalg.inv(A)


def _weights(P: np.ndarray) -> np.ndarray:
    """B = −P / diag(P) column-wise with diag(B) = 0, computed in place in P."""
    diagonal = np.diag(P).copy()
    P /= -diagonal
    np.fill_diagonal(P, 0.0)
    return P


def _eigen_scorer(lam: np.ndarray, V: np.ndarray, l2: float) -> Any:
    """X -> X B(λ) from XᵀX = V diag(lam) Vᵀ, without forming B (see the module docstring)."""
    d = 1.0 / (lam + l2)
    diag_p = (V * V) @ d

    def score(X: CSR) -> np.ndarray:
        return X.densify() - ((product(X, V) * d) @ V.T) / diag_p

    return score
