"""CDAE, the Collaborative Denoising Auto-Encoder (Wu et al. 2016): a denoising autoencoder with a user node.

For user u with click row x (0/1 over items)::

    x̃ = Dropout(q)(x)                            corrupted input (inverted dropout: kept entries × 1/(1 − q))
    h = sigmoid(x̃ W₁ + b₁ + V_u)                 V_u: the user's own node (a learned vector per training user)
    z = h W₂ + b₂,   ŷ = sigmoid(z)              the logits z are what the loss and the ranking use

    Dropout ─ Dense(I, H) ─ UserNode ─ Sigmoid ─ Dense(H, I)

Loss: binary cross-entropy (``BCEWithLogitsLoss``, the stable logits form) on the user's positives and on
``negatives`` × as many unobserved items drawn at random for every batch (negative sampling), the mean over
those entries; the other entries are masked out. L2 penalty on W₁, W₂ (not on V or the biases).

Fold-in rule for users the model has not trained on (held-out users, new users): they have no V_u, so
V_u = 0 and the score comes from their history alone. ``score(X, users=...)`` uses the nodes of training
users when their row indices are given.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from ..activations import Sigmoid
from ..layers import Dropout
from ..losses import BCEWithLogitsLoss
from ..model import Autoencoder, Sequential
from ..optimizers import Adam
from ..sparse import CSR
from ..training import TrainingDiverged, unchecked
from ..validation import check_float, check_int
from .base import Recommender
from .layers import UserNode
from .neural import NeuralTraining, fold_in_ndcg


class CDAE(NeuralTraining, Recommender):
    """Collaborative Denoising Auto-Encoder; see the module docstring.

    Args:
        hidden: H, the hidden units (50 in the paper).
        dropout: q, the input corruption rate.
        negatives: unobserved items sampled per positive, per batch.
        training: l2 (default 1e-5), lr (3e-3), epochs, batch_size, patience, seed, dtype, verbose
            (see :class:`NeuralTraining`).

    The BCE here is a mean over entries (about 0.3), not a sum over a user's items as in Mult-DAE, so its
    l2 is a hundred times smaller: on ML-100K l2 = 1e-3 left CDAE at popularity's level.
    """

    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"l2": (1e-5,)}
    training_defaults: ClassVar[dict[str, Any]] = {"l2": 1e-5, "lr": 3e-3}

    def __init__(
        self,
        hidden: int = 200,
        *,
        dropout: float = 0.5,
        negatives: int = 5,
        **training: Any,
    ) -> None:
        self.hidden = check_int(hidden, "hidden", "CDAE")
        self.dropout = check_float(dropout, "dropout", "CDAE", low=0.0, high=1.0, high_open=True)
        self.negatives = check_int(negatives, "negatives", "CDAE")
        self._init_training(training)

    def get_config(self) -> dict[str, Any]:
        config = {"hidden": self.hidden, "dropout": self.dropout, "negatives": self.negatives}
        return {**config, **self._training_config()}

    def _loss_mask(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """x: (batch, n_items) -> 0/1 mask: every positive, and each unobserved item with probability
        p_u = min(1, negatives · |positives of u| / |unobserved of u|), so about negatives × positives of them."""
        positive = x > 0
        n_pos = positive.sum(axis=1, keepdims=True)
        p = np.minimum(1.0, self.negatives * n_pos / np.maximum(x.shape[1] - n_pos, 1))
        return (positive | (rng.random(x.shape) < p)).astype(x.dtype)

    def _build(self, rng: np.random.Generator) -> Autoencoder:
        """Dropout ─ Dense(I, H) ─ UserNode ─ | Sigmoid ─ Dense(H, I) (logits); keeps the node as ``node_``."""
        n_items = self.n_items_
        self.node_ = UserNode(self.n_users_, self.hidden, rng=rng, dtype=self.dtype)
        first = self._dense(n_items, self.hidden, rng, sparse_input=True)
        encoder = Sequential([Dropout(self.dropout, rng=rng), first, self.node_])
        return Autoencoder(encoder, Sequential([Sigmoid(), self._dense(self.hidden, n_items, rng)]))

    def fit(self, train: Any, validation: Any = None) -> CDAE:
        """train: (n_users, n_items) 0/1, dense or CSR; validation: validation users (a FoldIn or a pair
        (input, targets)) for choosing the epoch by NDCG@100.

        Each minibatch's rows are densified from the CSR into one reused buffer.
        """
        where = "CDAE.fit"
        X = self._check_train(train, where).astype(self.dtype)
        fold = self._check_fold(validation, where)
        rng = np.random.default_rng(self.seed)
        self.n_users_ = X.shape[0]
        self.network_ = self._build(rng)
        monitor = None
        if fold is not None:
            monitor = self._monitor(fold_in_ndcg(self._score, fold), "ndcg@100", higher_is_better=True)
        callbacks = self._progress(monitor)
        for callback in callbacks:
            callback.on_train_begin(self.network_)
        loss, optimizer = BCEWithLogitsLoss(), Adam(lr=self.lr)
        batch_size = min(self.batch_size, X.shape[0])
        buffer = np.empty((batch_size, X.shape[1]), dtype=self.dtype)
        for epoch in range(1, self.epochs + 1):
            self.network_.train()
            total = count = 0.0
            order = rng.permutation(X.shape[0])
            # X was validated above; an overflow shows up as a non-finite loss, which stops training.
            with unchecked(self.network_, loss), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for batch, start in enumerate(range(0, X.shape[0], batch_size), start=1):
                    rows = order[start : start + batch_size]
                    x = X.densify(rows, out=buffer)
                    self.node_.users = rows  # whose nodes this batch trains
                    # One step of the core loop, written out: the mask changes every batch (negative sampling).
                    mask = self._loss_mask(x, rng)  # drawn before the dropout noise (both use rng)
                    value = loss.forward(self.network_.forward(x), x, mask)
                    value += self.network_.aux_loss()
                    if not math.isfinite(value):
                        raise TrainingDiverged(f"{where}: epoch {epoch}, batch {batch}: the loss is {value}; lower lr")
                    self.network_.backward(loss.backward())
                    optimizer.step(self.network_)
                    total += value * loss.cache["n"]
                    count += loss.cache["n"]
            self.node_.users = None
            logs = {"loss": total / count}
            if any([c.on_epoch_end(epoch, logs, self.network_) for c in callbacks]):
                break
        if monitor is not None:
            monitor.on_train_end(self.network_)
        self._record(monitor)
        return self

    def score(self, X: Any, users: np.ndarray | None = None) -> np.ndarray:
        """X: (n_users, n_items) clicks -> (n_users, n_items) logits.

        ``users``: (n_users,) the training-row index of each row of X, to use their user nodes; None (default)
        treats every row as a new user (V_u = 0).
        """
        X = self._check_input(X, "CDAE.score")
        self.node_.users = None if users is None else np.asarray(users)
        try:
            return self._score(X)
        finally:
            self.node_.users = None

    def _score(self, X: CSR) -> np.ndarray:
        return self.network_.predict(X.astype(self.dtype).densify(), batch_size=X.shape[0])
