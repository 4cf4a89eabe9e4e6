"""Honest baselines: global mean and biases for ratings; popularity, ItemKNN and truncated SVD / PCA for top-N.

Each is tuned on validation data by the evaluation (``param_grid``), like the autoencoders, so that a
comparison with them is fair.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..sparse import CSR, as_csr
from ..validation import check_float, check_int
from .base import Recommender
from .metrics import top_k
from .ranking import BATCH_BYTES

# Rating baselines -------------------------------------------------------------------------------------------


class RatingModel(Recommender):
    """Shared parts of the rating models: rating range, clipping and ``predict`` from ``score``.

    Subclasses implement ``_predict(users, items)``: the predictions for pairs of training users and items.
    Ratings come as a (n_users, n_items) matrix, dense (0 = missing) or CSR (the stored ratings).
    """

    protocol: ClassVar[str] = "ratings"

    def _check_ratings(self, R: Any, where: str) -> CSR:
        """R as a CSR of its observed (> 0) ratings; remembers the shape and the rating range (for clipping)."""
        R = self._check_train(R, where)
        R = R.keep(R.values > 0)
        self.n_users_ = R.shape[0]
        self.low_, self.high_ = float(R.values.min()), float(R.values.max())
        return R

    def _check_validation(self, validation: Any, where: str) -> CSR | None:
        if validation is None:
            return None
        V = as_csr(validation, "validation", where)
        if V.shape != (self.n_users_, self.n_items_):
            raise ValueError(
                f"{where}: validation has shape {V.shape}, expected the training shape {(self.n_users_, self.n_items_)}"
            )
        V = V.keep(V.values > 0)
        if not V.nnz:
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
        return self._predict(users, items)

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _clip(self, R: np.ndarray) -> np.ndarray:
        return np.clip(R, self.low_, self.high_)


class GlobalMean(RatingModel):
    """Predict the mean training rating μ for everyone: the floor any rating model must beat."""

    def fit(self, train: Any, validation: Any = None) -> GlobalMean:
        R = self._check_ratings(train, "GlobalMean.fit")
        self._check_validation(validation, "GlobalMean.fit")  # unused, but a wrong one is still an error
        self.mean_ = float(R.values.mean())
        return self

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) -> μ everywhere."""
        return np.full(X.shape, self.mean_)

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return np.full(users.shape, self.mean_)


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

    def fit(self, train: Any, validation: Any = None) -> Biases:
        R = self._check_ratings(train, "Biases.fit")
        self._check_validation(validation, "Biases.fit")  # unused: λ is tuned outside, by the evaluation
        self.mean_ = float(R.values.mean())
        users, items, residual = R.row_ids(), R.indices, R.values - self.mean_
        self.user_bias_ = np.zeros(R.shape[0])
        self.item_bias_ = np.zeros(R.shape[1])
        for _ in range(self.sweeps):
            self.item_bias_ = self._solve(items, residual - self.user_bias_[users], R.shape[1])
            self.user_bias_ = self._solve(users, residual - self.item_bias_[items], R.shape[0])
        return self

    def _solve(self, owner: np.ndarray, terms: np.ndarray, n: int) -> np.ndarray:
        """Biases b_r = Σ_{ratings of r} (res − other bias) / (λ + ratings of r); owner: (n_ratings,) each
        rating's user (or item), terms: (n_ratings,) its res − other bias."""
        return np.bincount(owner, weights=terms, minlength=n) / (self.l2 + np.bincount(owner, minlength=n))

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) ratings (0 = missing) -> μ + b_u + b_i, with b_u folded in from X."""
        X = X.keep(X.values > 0)
        user_bias = self._solve(X.row_ids(), X.values - self.mean_ - self.item_bias_[X.indices], X.shape[0])
        return self._clip(self.mean_ + user_bias[:, None] + self.item_bias_[None, :])

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self._clip(self.mean_ + self.user_bias_[users] + self.item_bias_[items])


# Top-N baselines --------------------------------------------------------------------------------------------


class Popularity(Recommender):
    """Score every item by how many training users have it: the same list for everyone."""

    def fit(self, train: Any, validation: Any = None) -> Popularity:
        X = self._check_train(train, "Popularity.fit")
        self.counts_ = np.bincount(X.indices[X.values > 0], minlength=X.shape[1]).astype(np.float64)
        return self

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) -> (n_users, n_items), each row the item counts."""
        return np.broadcast_to(self.counts_, X.shape).copy()


class ItemKNN(Recommender):
    """Item-based nearest neighbours with cosine similarity (Sarwar et al. 2001; Deshpande & Karypis 2004).

    s_ij = x_iᵀ x_j / (‖x_i‖ ‖x_j‖ + shrink) between item columns; each item j keeps its ``k`` most similar
    items i ≠ j (ties to the lower index); score(u, j) = Σ_i x_ui s_ij.

    The similarity is computed in blocks of items from the CSR matrix (XᵀX one block of rows at a time,
    about 32 MB each), and only the k neighbours of each item are kept: ``similarity_`` is an items × items
    CSR with k entries per column, so memory grows as items · k, not items².

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

    def fit(self, train: Any, validation: Any = None) -> ItemKNN:
        X = self._check_train(train, "ItemKNN.fit")
        n = X.shape[1]
        norms = np.sqrt(np.bincount(X.indices, X.values**2, minlength=n))  # ‖x_i‖ of each item column
        k = min(self.k, n - 1)
        neighbour, item, weight = [], [], []
        step = max(1, BATCH_BYTES // (8 * n))
        for start in range(0, n, step):
            block = np.arange(start, min(start + step, n))
            S = (X.T.rows(block) @ X) / (np.outer(norms[block], norms) + self.shrink + 1e-12)  # rows of XᵀX, cosine
            S[np.arange(len(block)), block] = 0.0
            top = top_k(S, k)  # item j's k most similar items i (S is symmetric: row j = column j)
            s = np.take_along_axis(S, top, axis=1)
            kept = s != 0
            neighbour.append(top[kept])
            item.append(np.repeat(block, kept.sum(axis=1)))
            weight.append(s[kept])
        i, j, w = np.concatenate(neighbour), np.concatenate(item), np.concatenate(weight)
        self.similarity_ = CSR.from_coo(i, j, w, (n, n))  # S[i, j] = s_ij, column j holds j's neighbours
        return self

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) -> X S."""
        return X @ self.similarity_


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

    def fit(self, train: Any, validation: Any = None) -> TruncatedSVD:
        """The SVD works on the dense matrix (users × items × 8 bytes): for small data only."""
        X = self._check_train(train, f"{type(self).__name__}.fit").toarray()
        self.mean_ = X.mean(axis=0) if self.center else np.zeros(X.shape[1])
        _, _, Vt = np.linalg.svd(X - self.mean_, full_matrices=False)
        self.components_ = Vt[: self.rank].T  # V_k: (n_items, rank)
        return self

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) -> (X − μ) V_k V_kᵀ + μ."""
        centered = X.densify() - self.mean_
        return (centered @ self.components_) @ self.components_.T + self.mean_


class PCA(TruncatedSVD):
    """:class:`TruncatedSVD` with ``center=True``."""

    def __init__(self, rank: int = 50) -> None:
        super().__init__(rank, center=True)

    def get_config(self) -> dict[str, Any]:
        return {"rank": self.rank}
