"""Item cold start: ranking items nobody has interacted with yet, from their content (genres).

A collaborative model knows an item only through who interacted with it, so a new item gets no score.
Its content still says something: an autoencoder of item features (genre flags) learns a code per item,
and a new item can borrow the collaborative scores of the known items whose codes resemble its own::

    codes        c = encoder(f),  an Autoencoder f → code → f̂ trained on every item's features (BCE on logits)
    neighbours   N(i) = the ``neighbours`` known items j with the largest cos(c_i, c_j) > 0
    score        s(u, i) = Σ_{j ∈ N(i)} cos(c_i, c_j) · ŝ(u, j),   ŝ = EASE's scores of the known items

The experiment (:func:`run`): per seed, a random ``cold_share`` of the items with clicks become new items —
all their clicks are removed from training — and every user with clicks on them is asked to rank the new
items; Recall@K and NDCG@K are computed among the new items only. Compared methods:

- ``genre popularity``: no personalization; a new item scores the mean popularity of its neighbours by raw
  genre cosine (plain popularity is 0 for every new item, so this is popularity's best guess);
- ``genres + EASE``: the neighbour rule above on the raw genre vectors (no autoencoder);
- ``content AE + EASE``: the neighbour rule on the autoencoder's codes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from ..losses import BCEWithLogitsLoss
from ..model import Autoencoder
from ..optimizers import Adam
from ..validation import check_float, check_int
from .data import Interactions
from .ease import EASE
from .evaluate import Result, summarize
from .metrics import ndcg_at_k, recall_at_k

NOTE = (
    "new items (cold start): a random 10% of the clicked items lose all their clicks in training; "
    "users rank only those items; ratings > 3.5 as clicks"
)


def item_codes(features: np.ndarray, *, code_size: int = 8, epochs: int = 300, seed: int = 0) -> np.ndarray:
    """features: (n_items, n_features) 0/1 -> (n_items, code_size) codes of a trained content autoencoder.

    Dense(n_features → code) + Tanh, Dense(code → n_features) to logits, BCE on logits, Adam(lr=1e-2).
    """
    where = "item_codes"
    code_size = check_int(code_size, "code_size", where)
    model = Autoencoder.from_sizes(
        [features.shape[1], code_size], hidden_activation="tanh", output_activation="identity", seed=seed
    )
    model.fit(
        features, epochs=epochs, batch_size=min(64, features.shape[0]), optimizer=Adam(lr=1e-2),
        loss=BCEWithLogitsLoss(), seed=seed, verbose=0,
    )  # fmt: skip
    return model.encode(features)


def neighbour_weights(vectors: np.ndarray, cold: np.ndarray, warm: np.ndarray, neighbours: int) -> np.ndarray:
    """(n_cold, n_warm) weights: cos(v_i, v_j) for the ``neighbours`` most similar warm j (if > 0), else 0."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    S = np.maximum(unit[cold] @ unit[warm].T, 0.0)
    k = min(neighbours, S.shape[1])
    if k < S.shape[1]:
        weakest = np.argpartition(-S, k, axis=1)[:, k:]
        np.put_along_axis(S, weakest, 0.0, axis=1)
    return S


def cold_start_methods(
    X: np.ndarray, features: np.ndarray, cold: np.ndarray, *, neighbours: int = 50, seed: int = 0, l2: float = 200.0
) -> dict[str, Callable[[], np.ndarray]]:
    """Each method as a function returning its (n_users, n_cold) scores for the cold items.

    X: (n_users, n_items) 0/1 with the cold columns all 0; features: (n_items, n_features); cold: indices.
    """
    warm = np.setdiff1d(np.arange(X.shape[1]), cold)

    def genre_popularity() -> np.ndarray:
        raw = neighbour_weights(features, cold, warm, neighbours)
        mass = raw.sum(axis=1)
        mean_popularity = raw @ X[:, warm].sum(axis=0) / np.where(mass > 0, mass, 1.0)
        return np.broadcast_to(mean_popularity, (X.shape[0], len(cold)))

    def borrowed(vectors: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
        def scores() -> np.ndarray:
            known = EASE(l2).fit(X[:, warm]).score(X[:, warm])  # ŝ(u, j) for the known items j
            return known @ neighbour_weights(vectors(), cold, warm, neighbours).T

        return scores

    return {
        "genre popularity": genre_popularity,
        "genres + EASE": borrowed(lambda: features),
        "content AE + EASE": borrowed(lambda: item_codes(features, seed=seed)),
    }


def run(
    data: Interactions,
    *,
    seeds: Sequence[int],
    k: int = 10,
    cold_share: float = 0.1,
    threshold: float = 3.5,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The cold-start experiment of the module docstring, over ``seeds``; returns a JSON-able report."""
    where = "coldstart.run"
    if data.item_features is None:
        raise ValueError(f"{where}: the data has no item features; put u.item (or movies.dat/.csv) beside the ratings")
    k = check_int(k, "k", where)
    cold_share = check_float(cold_share, "cold_share", where, low=0.0, high=1.0, low_open=True, high_open=True)
    X_all = data.binarize(threshold)
    clicked = np.flatnonzero(X_all.sum(axis=0) > 0)
    results = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        cold = np.sort(rng.choice(clicked, size=max(1, round(cold_share * len(clicked))), replace=False))
        X = X_all.copy()
        X[:, cold] = 0.0
        targets = X_all[:, cold]
        kk = min(k, len(cold))
        log(f"[seed {seed}] {len(cold)} new items, {int((targets.sum(axis=1) > 0).sum())} users with clicks on them")
        for name, method in cold_start_methods(X, data.item_features, cold, seed=seed).items():
            start = time.perf_counter()
            scores = method()
            metrics = {f"recall@{kk}": recall_at_k(scores, targets, kk), f"ndcg@{kk}": ndcg_at_k(scores, targets, kk)}
            log(f"[seed {seed}] {name}: " + ", ".join(f"{m} {v:.4f}" for m, v in metrics.items()))
            results.append(Result(name, seed, {}, float("nan"), metrics, time.perf_counter() - start))
    return {
        "protocol": "cold-items",
        "data": data.source,
        "seeds": list(seeds),
        "summary": summarize(results),
        "results": [asdict(r) for r in results],
    }
