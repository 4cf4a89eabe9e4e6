"""Honest baselines: global mean and biases for ratings; popularity, ItemKNN and truncated SVD / PCA for top-N.

Each is tuned on validation data by the evaluation (``param_grid``), like the autoencoders, so that a
comparison with them is fair.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..validation import as_array, check_float, check_int
from .base import Recommender

# Rating baselines -------------------------------------------------------------------------------------------


class RatingModel(Recommender):
    """Shared parts of the rating models: rating range, clipping and ``predict`` from ``score``.

    Subclasses implement ``_predict_matrix()``: the (n_users, n_items) predictions for the training users.
    """

    protocol: ClassVar[str] = "ratings"

    def _check_ratings(self, R: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
        """(R, observed mask); remembers the shape and the rating range (for clipping)."""
        R = self._check_train(R, where)
        observed = R > 0
        self.n_users_ = R.shape[0]
        self.low_, self.high_ = float(R[observed].min()), float(R[observed].max())
        return R, observed

    def _check_validation(self, validation: Any, where: str) -> np.ndarray | None:
        if validation is None:
            return None
        V = as_array(validation, "validation", where, ndim=2)
        if V.shape != (self.n_users_, self.n_items_):
            raise ValueError(
                f"{where}: validation has shape {V.shape}, expected the training shape {(self.n_users_, self.n_items_)}"
            )
        if not (V > 0).any():
            raise ValueError(f"{where}: validation holds no rating")
        return V

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """users, items: (n,) indices into the training matrix -> (n,) predicted ratings, clipped to the range."""
        where = f"{type(self).__name__}.predict"
        if self.n_items_ is None:
            raise ValueError(f"{where}: the model is not fitted yet; call fit(train) first")
        users, items = np.asarray(users), np.asarray(items)
        for name, index, size in (("users", users, self.n_users_), ("items", items, self.n_items_)):
            if index.dtype.kind not in "iu" or index.ndim != 1:
                raise TypeError(f"{where}: {name} must be a 1-D integer array, got {index.dtype}, shape {index.shape}")
            if index.size and (index.min() < 0 or index.max() >= size):
                raise ValueError(f"{where}: {name} must lie in [0, {size}), got values {index.min()} … {index.max()}")
        if users.shape != items.shape:
            raise ValueError(f"{where}: users and items must pair up, got {users.shape[0]} and {items.shape[0]}")
        return self._predict_matrix()[users, items]

    def _predict_matrix(self) -> np.ndarray:
        raise NotImplementedError

    def _clip(self, R: np.ndarray) -> np.ndarray:
        return np.clip(R, self.low_, self.high_)


class GlobalMean(RatingModel):
    """Predict the mean training rating μ for everyone: the floor any rating model must beat."""

    def fit(self, train: np.ndarray, validation: Any = None) -> GlobalMean:
        R, observed = self._check_ratings(train, "GlobalMean.fit")
        self._check_validation(validation, "GlobalMean.fit")  # unused, but a wrong one is still an error
        self.mean_ = float(R[observed].mean())
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """X: (n_users, n_items) -> μ everywhere."""
        X = self._check_input(X, "GlobalMean.score")
        return np.full(X.shape, self.mean_)

    def _predict_matrix(self) -> np.ndarray:
        return np.full((self.n_users_, self.n_items_), self.mean_)


class Biases(RatingModel):
    """r̂_ui = μ + b_u + b_i, ridge-regularized, fitted by alternating exact updates (Koren 2008's baseline).

    Each sweep solves for all item biases with the user biases fixed, then the reverse:

        b_i = Σ_{u ∈ R(i)} (r_ui − μ − b_u) / (λ + |R(i)|),    b_u = Σ_{i ∈ R(u)} (r_ui − μ − b_i) / (λ + |R(u)|)

    A user or item with no training rating keeps b = 0. ``score(R)`` folds in the users of R: their b_u
    comes from their rows by the same formula, so new users work too.

    Args:
        l2: λ ≥ 0, the ridge penalty (in ratings).
        sweeps: number of alternating sweeps.
    """

    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"l2": (1.0, 3.0, 10.0, 30.0)}

    def __init__(self, l2: float = 10.0, sweeps: int = 10) -> None:
        self.l2 = check_float(l2, "l2", "Biases", low=0.0)
        self.sweeps = check_int(sweeps, "sweeps", "Biases")

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2, "sweeps": self.sweeps}

    def fit(self, train: np.ndarray, validation: Any = None) -> Biases:
        R, observed = self._check_ratings(train, "Biases.fit")
        self._check_validation(validation, "Biases.fit")  # unused: λ is tuned outside, by the evaluation
        self.mean_ = float(R[observed].mean())
        residual = np.where(observed, R - self.mean_, 0.0)
        self.user_bias_ = np.zeros(R.shape[0])
        self.item_bias_ = np.zeros(R.shape[1])
        for _ in range(self.sweeps):
            self.item_bias_ = self._solve(residual.T, observed.T, self.user_bias_)
            self.user_bias_ = self._solve(residual, observed, self.item_bias_)
        return self

    def _solve(self, residual: np.ndarray, observed: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Row biases b_r = Σ_c m_rc (res_rc − other_c) / (λ + Σ_c m_rc); residual, observed: (rows, cols)."""
        total = residual.sum(axis=1) - observed @ other
        return total / (self.l2 + observed.sum(axis=1))

    def score(self, X: np.ndarray) -> np.ndarray:
        """X: (n_users, n_items) ratings (0 = missing) -> μ + b_u + b_i, with b_u folded in from X."""
        X = self._check_input(X, "Biases.score")
        observed = X > 0
        residual = np.where(observed, X - self.mean_, 0.0)
        user_bias = self._solve(residual, observed, self.item_bias_)
        return self._clip(self.mean_ + user_bias[:, None] + self.item_bias_[None, :])

    def _predict_matrix(self) -> np.ndarray:
        return self._clip(self.mean_ + self.user_bias_[:, None] + self.item_bias_[None, :])


# Top-N baselines --------------------------------------------------------------------------------------------


class Popularity(Recommender):
    """Score every item by how many training users have it: the same list for everyone."""

    def fit(self, train: np.ndarray, validation: Any = None) -> Popularity:
        X = self._check_train(train, "Popularity.fit")
        self.counts_ = (X > 0).sum(axis=0).astype(np.float64)
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """X: (n_users, n_items) -> (n_users, n_items), each row the item counts."""
        X = self._check_input(X, "Popularity.score")
        return np.broadcast_to(self.counts_, X.shape).copy()


class ItemKNN(Recommender):
    """Item-based nearest neighbours with cosine similarity (Sarwar et al. 2001; Deshpande & Karypis 2004).

    s_ij = x_iᵀ x_j / (‖x_i‖ ‖x_j‖ + shrink) between item columns; each item j keeps its ``k`` most similar
    items i ≠ j; score(u, j) = Σ_i x_ui s_ij. Memory: the dense n_items × n_items similarity matrix.

    Args:
        k: neighbours kept per item.
        shrink: added to the denominator; damps similarities resting on few co-occurrences.
    """

    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"k": (20, 50, 100, 200), "shrink": (0.0, 10.0)}

    def __init__(self, k: int = 100, shrink: float = 0.0) -> None:
        self.k = check_int(k, "k", "ItemKNN")
        self.shrink = check_float(shrink, "shrink", "ItemKNN", low=0.0)

    def get_config(self) -> dict[str, Any]:
        return {"k": self.k, "shrink": self.shrink}

    def fit(self, train: np.ndarray, validation: Any = None) -> ItemKNN:
        X = self._check_train(train, "ItemKNN.fit")
        norms = np.sqrt((X * X).sum(axis=0))
        S = (X.T @ X) / (np.outer(norms, norms) + self.shrink + 1e-12)
        np.fill_diagonal(S, 0.0)
        k = min(self.k, S.shape[0] - 1)
        # Keep, in each column j, the k largest s_ij: zero the rest.
        weakest = np.argpartition(-S, k, axis=0)[k:]
        np.put_along_axis(S, weakest, 0.0, axis=0)
        self.similarity_ = S
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """X: (n_users, n_items) -> X S."""
        return self._check_input(X, "ItemKNN.score") @ self.similarity_


class TruncatedSVD(Recommender):
    """PureSVD (Cremonesi et al. 2010) and PCA: project a user's row onto the top ``rank`` item directions.

    X ≈ U Σ Vᵀ (train rows); score(x) = x V_k V_kᵀ. With ``center=True`` it is PCA: the item means μ of the
    training rows are removed first and added back, score(x) = (x − μ) V_k V_kᵀ + μ. Either is a linear
    autoencoder with tied weights (encoder V_k, decoder V_kᵀ), the comparison the founding document draws.

    Args:
        rank: number of singular directions kept.
        center: PCA (True) or uncentered SVD (False).
    """

    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"rank": (10, 20, 50, 100, 200)}

    def __init__(self, rank: int = 50, center: bool = False) -> None:
        self.rank = check_int(rank, "rank", type(self).__name__)
        self.center = bool(center)

    def get_config(self) -> dict[str, Any]:
        return {"rank": self.rank, "center": self.center}

    def fit(self, train: np.ndarray, validation: Any = None) -> TruncatedSVD:
        X = self._check_train(train, f"{type(self).__name__}.fit")
        self.mean_ = X.mean(axis=0) if self.center else np.zeros(X.shape[1])
        _, _, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        self.components_ = Vt[: self.rank].T  # V_k: (n_items, rank)
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """X: (n_users, n_items) -> (X − μ) V_k V_kᵀ + μ."""
        X = self._check_input(X, f"{type(self).__name__}.score") - self.mean_
        return (X @ self.components_) @ self.components_.T + self.mean_


class PCA(TruncatedSVD):
    """:class:`TruncatedSVD` with ``center=True``."""

    def __init__(self, rank: int = 50) -> None:
        super().__init__(rank, center=True)

    def get_config(self) -> dict[str, Any]:
        return {"rank": self.rank}
