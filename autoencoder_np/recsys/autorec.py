"""AutoRec (Sedhain et al. 2015): an autoencoder of partially observed rating vectors.

I-AutoRec (``kind="item"``, the headline) reads each *item* as the vector of its users' ratings (a column of
the users × items matrix R); U-AutoRec (``kind="user"``) reads each user's row. For an input vector r::

    r̂ = W₂ · sigmoid(W₁ r + b₁) + b₂          Dense(n, hidden) ─ Sigmoid ─ Dense(hidden, n) ─ Identity

Missing ratings enter as 0 and the loss counts the observed entries only (``MSELoss`` with the 0/1 mask
of observed ratings), so the network is never asked to predict a missing rating as 0. The penalty
(l2/2)(‖W₁‖² + ‖W₂‖²) is added to that masked *mean*; the paper adds λ/2 to a *sum*, so its λ ≈ l2 × the
number of training ratings (λ = 300 on 73 000 ratings ≈ l2 = 0.004). Predictions are clipped to the
training rating range.

Fallback: a user or item with no training rating gets ``default_rating`` (3, as in the paper), because the
network has nothing to reconstruct for it.

Fold-in: U-AutoRec scores any user from their ratings row. I-AutoRec's input is an item's column over the
*training users*, so its ``score(R)`` needs R with those users as rows (the matrix re-read column-wise).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..activations import Identity, Sigmoid
from ..losses import MSELoss
from ..model import Autoencoder, Sequential
from ..sparse import CSR, as_csr
from ..validation import check_float, check_int
from .baselines import RatingModel
from .metrics import rmse
from .neural import NeuralTraining

KINDS = ("item", "user")


class AutoRec(NeuralTraining, RatingModel):
    """I-AutoRec (``kind="item"``) or U-AutoRec (``kind="user"``); see the module docstring.

    Args:
        kind: "item" or "user".
        hidden: hidden units (500 in the paper).
        default_rating: the prediction for a user or item with no training rating.

    The defaults train on full batches (2048 rows covers ML-100K's 1682 items): on ML-100K, minibatches of
    64 items made the validation RMSE jump by ±0.01 from epoch to epoch and stop near 0.91.
        training: l2 (default 2e-3), lr (5e-3), epochs (300), batch_size (2048), patience (60), seed, dtype,
            verbose (see :class:`NeuralTraining`).
    """

    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"l2": (2e-3, 3e-3)}
    training_defaults: ClassVar[dict[str, Any]] = {
        "l2": 2e-3,
        "lr": 5e-3,
        "epochs": 300,
        "batch_size": 2048,
        "patience": 60,
    }

    def __init__(
        self,
        kind: str = "item",
        hidden: int = 500,
        *,
        default_rating: float = 3.0,
        **training: Any,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"AutoRec: kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.hidden = check_int(hidden, "hidden", "AutoRec")
        self.default_rating = check_float(default_rating, "default_rating", "AutoRec")
        self._init_training(training)

    def get_config(self) -> dict[str, Any]:
        config = {"kind": self.kind, "hidden": self.hidden, "default_rating": self.default_rating}
        return {**config, **self._training_config()}

    def _rows(self, R: CSR) -> CSR:
        """The network's input rows: items (Rᵀ) for I-AutoRec, users (R) for U-AutoRec, in the model's dtype."""
        return (R.T if self.kind == "item" else R).astype(self.dtype)

    def _build(self, rng: np.random.Generator) -> Autoencoder:
        """Dense(n, hidden) ─ Sigmoid ─ Dense(hidden, n) ─ Identity, n = training users (I-) or items (U-)."""
        n = self.n_users_ if self.kind == "item" else self.n_items_
        encoder = Sequential([self._dense(n, self.hidden, rng), Sigmoid()])
        return Autoencoder(encoder, Sequential([self._dense(self.hidden, n, rng), Identity()]))

    def fit(self, train: Any, validation: Any = None) -> AutoRec:
        """train: (n_users, n_items) ratings, 0 = missing (dense) or the stored ratings (CSR); validation: the
        same shape, validation ratings. With validation, the epoch with the lowest validation RMSE is kept.

        The network trains from the CSR (the core ``fit`` densifies one minibatch at a time).
        """
        where = "AutoRec.fit"
        R = self._check_ratings(train, where)
        V = self._check_validation(validation, where)
        self.train_ = R
        self.seen_users_ = R.row_counts() > 0
        self.seen_items_ = R.T.row_counts() > 0
        self.network_ = self._build(np.random.default_rng(self.seed))
        monitor = None
        if V is not None:
            users, items = V.row_ids(), V.indices

            def measure() -> float:
                return rmse(self._predict(users, items), V.values)

            monitor = self._monitor(measure, "rmse", higher_is_better=False)
        observed = CSR(R.indptr, R.indices, np.ones(R.nnz), R.shape, check=False)
        self._train(self._rows(R), loss=MSELoss(), mask=self._rows(observed), monitor=monitor)
        return self

    def _predictions(self, R: CSR) -> np.ndarray:
        """Network output for the rows of R, back in (users, items) layout, clipped, with the fallback."""
        out = self.network_.predict(self._rows(R), batch_size=2048).astype(np.float64)
        P = self._clip(out.T if self.kind == "item" else out)
        P[:, ~self.seen_items_] = self.default_rating
        if self.kind == "item":
            P[~self.seen_users_, :] = self.default_rating
        return P

    def _predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The predictions for (user, item) pairs, the network's rows scored a batch at a time: only the rows
        (items for I-AutoRec, users for U-AutoRec) the pairs need, never the whole users × items matrix."""
        rows, columns = (items, users) if self.kind == "item" else (users, items)
        inputs = self._rows(as_csr(self.train_, "train_", "AutoRec.predict"))  # a dense one from an older file
        out = np.empty(len(rows), dtype=np.float64)
        needed = np.unique(rows)
        for start in range(0, len(needed), 2048):
            block = needed[start : start + 2048]
            pred = self.network_.predict(inputs.rows(block), batch_size=2048)
            at = np.isin(rows, block)
            out[at] = pred[np.searchsorted(block, rows[at]), columns[at]]
        out = self._clip(out)
        unseen = ~self.seen_items_[items] | (~self.seen_users_[users] if self.kind == "item" else False)
        out[unseen] = self.default_rating
        return out

    def recommend(
        self, X: Any, k: int = 10, *, exclude_seen: bool = True, batch_size: int | None = None, progress: Any = False
    ) -> np.ndarray:
        """As :meth:`Recommender.recommend`; I-AutoRec reads X column-wise, so it scores all rows in one batch."""
        if self.kind == "item" and batch_size is None:
            batch_size = np.shape(X)[0]
        return super().recommend(X, k, exclude_seen=exclude_seen, batch_size=batch_size, progress=progress)

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) ratings, 0 = missing -> predicted ratings, same shape.

        I-AutoRec needs X's rows to be the training users (it reads X column-wise); U-AutoRec folds in any
        users, and a user with no rating in X gets ``default_rating``.
        """
        if self.kind == "item" and X.shape[0] != self.n_users_:
            raise ValueError(
                f"AutoRec.score: I-AutoRec reads items as vectors over the {self.n_users_} training users, so X "
                f"must have those {self.n_users_} rows, got {X.shape[0]}; use kind='user' to fold in new users"
            )
        X = X.keep(X.values > 0)
        P = self._predictions(X)
        if self.kind == "user":
            P[X.row_counts() == 0, :] = self.default_rating
        return P
