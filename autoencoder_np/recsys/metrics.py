"""Metrics: RMSE and MAE for ratings; Recall@K, NDCG@K, precision@K and coverage for top-K lists.

Ranking metrics take ``scores: (n_users, n_items)`` (higher is better; −inf for items that must not be
recommended, e.g. the fold-in input) and ``targets: (n_users, n_items)`` 0/1 (the held-out items). Ties in
the scores are broken by the lower item index (as a stable sort would), so every result is reproducible.
Users without any target are left out of the mean (they cannot be scored); if no user has a target, the
metric is an error, not a silent 0. For many users, :func:`~autoencoder_np.recsys.ranking.evaluate_ranking`
computes the same numbers batch by batch without the full score matrix: both reduce a ranking to
:class:`Hits` and apply the formulas below to it.

For one user with target set T and top-K list (i_1 … i_K), hits = |{i_1 … i_K} ∩ T|:

=====================  =====================================================================================
Recall@K (normalized)  hits / min(K, |T|)         (Liang et al. 2018: 1 is reachable for every user)
Recall@K (plain)       hits / |T|
precision@K            hits / K
NDCG@K                 DCG / IDCG,  DCG = Σ_{r=1..K} 1[i_r ∈ T] / log₂(r + 1),
                       IDCG = Σ_{r=1..min(K, |T|)} 1 / log₂(r + 1)        (binary relevance)
coverage@K             |⋃_u top-K(u)| / n_items    (the share of the catalogue recommended to anyone)
=====================  =====================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..sparse import CSR
from ..validation import as_array, check_int


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    """√(mean (pred − true)²) over paired ratings; pred, true: (n,)."""
    pred, true = _paired(pred, true, "rmse")
    return float(np.sqrt(np.mean((pred - true) ** 2)))


def mae(pred: np.ndarray, true: np.ndarray) -> float:
    """mean |pred − true| over paired ratings; pred, true: (n,)."""
    pred, true = _paired(pred, true, "mae")
    return float(np.mean(np.abs(pred - true)))


def _paired(pred: np.ndarray, true: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    pred = as_array(pred, "pred", where, ndim=1)
    true = as_array(true, "true", where, ndim=1)
    if pred.shape != true.shape:
        raise ValueError(f"{where}: pred has {pred.shape[0]} ratings, true has {true.shape[0]}; they must pair up")
    return pred, true


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """scores: (n_users, n_items) -> (n_users, k) item indices, best first; ties go to the lower index.

    The first k columns of a stable sort of −scores, found in O(n_items) per user: ``partition`` gives each
    user's k-th best score v; the items scoring ≥ v are in, and where more than k items tie at v, the ties
    with the highest indices are dropped; only the k items left are sorted.
    """
    scores = as_array(scores, "scores", "top_k", ndim=2, finite=False)
    if np.isnan(scores).any():
        raise ValueError("top_k: scores hold NaN; a model produced an undefined score")
    k = check_int(k, "k", "top_k")
    n_items = scores.shape[1]
    if k > n_items:
        raise ValueError(f"top_k: k is {k}, more than the {n_items} items")
    if k == n_items:
        return np.argsort(-scores, axis=1, kind="stable")
    negated = -scores
    negated.partition(k - 1, axis=1)
    kth = -negated[:, k - 1 : k]  # (n_users, 1) each user's k-th best score
    del negated
    chosen = scores >= kth
    crowded = np.flatnonzero(chosen.sum(axis=1) > k)  # more than k items at or above v: ties at v
    if crowded.size:
        chosen[crowded] = _lowest_ties(scores[crowded], kth[crowded], k)
    items = np.nonzero(chosen)[1].reshape(-1, k)  # each row's k items, by index
    order = np.argsort(-np.take_along_axis(scores, items, axis=1), axis=1, kind="stable")
    return np.take_along_axis(items, order, axis=1)


def _lowest_ties(scores: np.ndarray, kth: np.ndarray, k: int) -> np.ndarray:
    """(rows, n_items) bool: the items above kth, and the lowest-index items equal to kth up to k in all."""
    chosen = scores > kth
    room = k - chosen.sum(axis=1)
    rows, cols = np.nonzero(scores == kth)  # by row, then by index
    first = np.searchsorted(rows, np.arange(len(scores)))
    keep = np.arange(len(rows)) - first[rows] < room[rows]
    chosen[rows[keep], cols[keep]] = True
    return chosen


@dataclass(frozen=True)
class Hits:
    """A ranking reduced to what the metrics read.

    Attributes:
        hits: (n_scored, K) bool, hits[u, r] = the item at rank r + 1 of user u is a target; only the users
            with at least one target, in their order.
        n_targets: (n_scored,) |T| of each of those users.
        recommended: {k: (n_items,) bool} the items in anyone's top k (every user, targets or not).
    """

    hits: np.ndarray
    n_targets: np.ndarray
    recommended: dict[int, np.ndarray]


def hits_of(ranked: np.ndarray, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    """ranked: (n_users, K) items best first; targets: (n_users, n_items) 0/1, dense or CSR ->
    (hits (n_scored, K) bool, |T| (n_scored,)) for the users that have targets."""
    if isinstance(targets, CSR):  # is (u, item) a stored target? a search among the sorted keys u·n_items + item
        positive = targets.keep(targets.values > 0)
        n_targets = positive.row_counts()
        rows = np.flatnonzero(n_targets > 0)
        n_items = targets.shape[1]
        keys = positive.row_ids() * n_items + positive.indices  # sorted: CSR order
        asked = rows[:, None] * n_items + ranked[rows]
        where = np.minimum(np.searchsorted(keys, asked), max(len(keys) - 1, 0))
        return (keys[where] == asked) if len(keys) else np.zeros(asked.shape, bool), n_targets[rows]
    n_targets = (targets > 0).sum(axis=1)
    rows = np.flatnonzero(n_targets > 0)
    return np.take_along_axis(targets[rows] > 0, ranked[rows], axis=1), n_targets[rows]


def _hits(scores: np.ndarray, targets: np.ndarray, ks: tuple[int, ...], where: str) -> Hits:
    """The :class:`Hits` of dense scores against dense targets, at the largest of ``ks``."""
    targets = as_array(targets, "targets", where, ndim=2)
    scores = as_array(scores, "scores", where, ndim=2, finite=False)
    if scores.shape != targets.shape:
        raise ValueError(f"{where}: targets have shape {targets.shape}, expected the shape of scores {scores.shape}")
    ranked = top_k(scores, max(ks))
    hits, n_targets = hits_of(ranked, targets)
    recommended = {}
    for k in ks:
        recommended[k] = np.zeros(scores.shape[1], dtype=bool)
        recommended[k][ranked[:, :k]] = True
    return Hits(hits, n_targets, recommended)


def _scored(h: Hits, k: int, where: str) -> np.ndarray:
    """(n_scored,) hits in the top k of each user with targets; refuses when nobody has a target."""
    if len(h.n_targets) == 0:
        raise ValueError(f"{where}: no user has a target; nothing to evaluate")
    return np.ascontiguousarray(h.hits[:, :k])


def recall(h: Hits, k: int, *, normalized: bool = True, where: str = "recall") -> float:
    """Mean over users of hits / min(K, |T|) (``normalized``, Liang et al.) or hits / |T| (plain)."""
    hits = _scored(h, k, where).sum(axis=1)
    return float(np.mean(hits / (np.minimum(k, h.n_targets) if normalized else h.n_targets)))


def precision(h: Hits, k: int, where: str = "precision") -> float:
    """Mean over users of hits / K."""
    return float(np.mean(_scored(h, k, where).sum(axis=1) / k))


def ndcg(h: Hits, k: int, where: str = "ndcg") -> float:
    """Mean over users of DCG@K / IDCG@K with binary relevance (see the module docstring)."""
    hits = _scored(h, k, where)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts).sum(axis=1)
    idcg = np.cumsum(discounts)[np.minimum(k, h.n_targets) - 1]
    return float(np.mean(dcg / idcg))


def coverage(h: Hits, k: int) -> float:
    """The share of items in at least one user's top K."""
    return float(h.recommended[k].mean())


def report(h: Hits, ks: tuple[int, ...]) -> dict[str, float]:
    """Every ranking metric at every K in ``ks``: keys like ``"recall@20"``, ``"ndcg@100"``."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = recall(h, k)
        out[f"plain_recall@{k}"] = recall(h, k, normalized=False)
        out[f"precision@{k}"] = precision(h, k)
        out[f"ndcg@{k}"] = ndcg(h, k)
        out[f"coverage@{k}"] = coverage(h, k)
    return out


def recall_at_k(scores: np.ndarray, targets: np.ndarray, k: int, *, normalized: bool = True) -> float:
    """Mean over users of hits / min(K, |T|) (``normalized``, Liang et al.) or hits / |T| (plain)."""
    k = check_int(k, "k", "recall_at_k")
    return recall(_hits(scores, targets, (k,), "recall_at_k"), k, normalized=normalized, where="recall_at_k")


def precision_at_k(scores: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Mean over users of hits / K."""
    k = check_int(k, "k", "precision_at_k")
    return precision(_hits(scores, targets, (k,), "precision_at_k"), k, where="precision_at_k")


def ndcg_at_k(scores: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Mean over users of DCG@K / IDCG@K with binary relevance (see the module docstring)."""
    k = check_int(k, "k", "ndcg_at_k")
    return ndcg(_hits(scores, targets, (k,), "ndcg_at_k"), k, where="ndcg_at_k")


def coverage_at_k(scores: np.ndarray, k: int) -> float:
    """The share of items that appear in at least one user's top K."""
    ranked = top_k(scores, k)
    return float(np.unique(ranked).size / scores.shape[1])


def ranking_report(scores: np.ndarray, targets: np.ndarray, ks: tuple[int, ...] = (20, 50, 100)) -> dict[str, float]:
    """Every ranking metric at every K in ``ks``: keys like ``"recall@20"``, ``"ndcg@100"``."""
    return report(_hits(scores, targets, tuple(ks), "ranking_report"), tuple(ks))
