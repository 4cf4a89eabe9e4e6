"""Metrics: RMSE and MAE for ratings; Recall@K, NDCG@K, precision@K and coverage for top-K lists.

Ranking metrics take ``scores: (n_users, n_items)`` (higher is better; −inf for items that must not be
recommended, e.g. the fold-in input) and ``targets: (n_users, n_items)`` 0/1 (the held-out items). Ties in
the scores are broken by the lower item index (a stable sort), so every result is reproducible. Users
without any target are left out of the mean (they cannot be scored); if no user has a target, the metric is
an error, not a silent 0.

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

import numpy as np

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
    """scores: (n_users, n_items) -> (n_users, k) item indices, best first; ties go to the lower index."""
    scores = as_array(scores, "scores", "top_k", ndim=2, finite=False)
    if np.isnan(scores).any():
        raise ValueError("top_k: scores hold NaN; a model produced an undefined score")
    k = check_int(k, "k", "top_k")
    if k > scores.shape[1]:
        raise ValueError(f"top_k: k is {k}, more than the {scores.shape[1]} items")
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


def _hits(scores: np.ndarray, targets: np.ndarray, k: int, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hit matrix (users, k) in rank order, |T| per user, rows kept) for the users that have targets."""
    targets = as_array(targets, "targets", where, ndim=2)
    scores = as_array(scores, "scores", where, ndim=2, finite=False)
    if scores.shape != targets.shape:
        raise ValueError(f"{where}: targets have shape {targets.shape}, expected the shape of scores {scores.shape}")
    n_targets = (targets > 0).sum(axis=1)
    rows = np.flatnonzero(n_targets > 0)
    if rows.size == 0:
        raise ValueError(f"{where}: no user has a target; nothing to evaluate")
    ranked = top_k(scores[rows], k)
    hits = np.take_along_axis(targets[rows] > 0, ranked, axis=1)
    return hits, n_targets[rows], rows


def recall_at_k(scores: np.ndarray, targets: np.ndarray, k: int, *, normalized: bool = True) -> float:
    """Mean over users of hits / min(K, |T|) (``normalized``, Liang et al.) or hits / |T| (plain)."""
    hits, n_targets, _ = _hits(scores, targets, k, "recall_at_k")
    denominator = np.minimum(k, n_targets) if normalized else n_targets
    return float(np.mean(hits.sum(axis=1) / denominator))


def precision_at_k(scores: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Mean over users of hits / K."""
    hits, _, _ = _hits(scores, targets, k, "precision_at_k")
    return float(np.mean(hits.sum(axis=1) / k))


def ndcg_at_k(scores: np.ndarray, targets: np.ndarray, k: int) -> float:
    """Mean over users of DCG@K / IDCG@K with binary relevance (see the module docstring)."""
    hits, n_targets, _ = _hits(scores, targets, k, "ndcg_at_k")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits @ discounts
    idcg = np.cumsum(discounts)[np.minimum(k, n_targets) - 1]
    return float(np.mean(dcg / idcg))


def coverage_at_k(scores: np.ndarray, k: int) -> float:
    """The share of items that appear in at least one user's top K."""
    ranked = top_k(scores, k)
    return float(np.unique(ranked).size / scores.shape[1])


def ranking_report(scores: np.ndarray, targets: np.ndarray, ks: tuple[int, ...] = (20, 50, 100)) -> dict[str, float]:
    """Every ranking metric at every K in ``ks``: keys like ``"recall@20"``, ``"ndcg@100"``."""
    report: dict[str, float] = {}
    for k in ks:
        report[f"recall@{k}"] = recall_at_k(scores, targets, k)
        report[f"plain_recall@{k}"] = recall_at_k(scores, targets, k, normalized=False)
        report[f"precision@{k}"] = precision_at_k(scores, targets, k)
        report[f"ndcg@{k}"] = ndcg_at_k(scores, targets, k)
        report[f"coverage@{k}"] = coverage_at_k(scores, k)
    return report
