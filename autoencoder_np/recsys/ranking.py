"""Ranking many users in batches: top K with the seen items excluded, and the metrics, never a full score matrix.

For every batch of users: score their rows of X (a (batch, n_items) array), set the items of their rows to
−inf (``exclude_seen``), keep the top K by :func:`~autoencoder_np.recsys.metrics.top_k` (``np.partition``,
ties to the lower index), and drop the scores. The metrics need only which of the top K are targets
(:class:`~autoencoder_np.recsys.metrics.Hits`: users × K booleans) and which items anyone got, so the peak
memory is one batch's scores, whatever the number of users. Since the top K of each user is the same as the
first K of a full stable sort, the numbers equal :func:`~autoencoder_np.recsys.metrics.ranking_report` on the
whole score matrix (the tests check it).

The batch size defaults to :func:`batch_rows`: as many users as fit 32 MB of float64 scores (all of
MovieLens-100K at once; 102 users of Gowalla's 40 981 items).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..sparse import CSR, as_csr
from ..validation import check_int
from .metrics import Hits, hits_of, report, top_k
from .progress import Progress

Scorer = Callable[[CSR], np.ndarray]

#: Bytes of float64 scores one batch may hold.
BATCH_BYTES = 2**25


def batch_rows(n_items: int) -> int:
    """Users per batch so that a batch's float64 scores take at most :data:`BATCH_BYTES`."""
    return max(1, BATCH_BYTES // (8 * max(1, n_items)))


def _batches(n: int, size: int, progress: Progress | None) -> Iterator[np.ndarray]:
    for start in range(0, n, size):
        yield np.arange(start, min(start + size, n))
        if progress is not None:
            progress.update(min(start + size, n))


def ranked_batch(score: Scorer, X: CSR, k: int, *, exclude_seen: bool = True) -> np.ndarray:
    """X: a batch of users' rows (CSR) -> (batch, k) their top k items, best first, seen items last.

    ``score(X)`` gives the (batch, n_items) scores, a new array (it is overwritten here); with ``exclude_seen``
    every item of a user's row (a value > 0) is set to −inf first. Float scores keep their dtype (a float32
    model's scores rank as their float64 copies would: the conversion is exact); others become float64.
    """
    scores = np.asarray(score(X))
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)
    if exclude_seen:
        seen = X.values > 0
        scores[X.row_ids()[seen], X.indices[seen]] = -np.inf
    return top_k(scores, k)


def recommend(
    score: Scorer,
    X: Any,
    k: int,
    *,
    exclude_seen: bool = True,
    batch_size: int | None = None,
    progress: bool | float = False,
) -> np.ndarray:
    """X: (n_users, n_items) dense or CSR -> (n_users, k) item indices, best first, in batches of users.

    ``progress``: False, True (a line every 5 s on stderr) or the seconds between lines.
    """
    X = as_csr(X, "X", "recommend")
    k = check_int(k, "k", "recommend")
    size = batch_size or batch_rows(X.shape[1])
    out = np.empty((X.shape[0], k), dtype=np.int64)
    for rows in _batches(X.shape[0], size, _progress(progress, X.shape[0])):
        out[rows] = ranked_batch(score, X.rows(rows), k, exclude_seen=exclude_seen)
    return out


def evaluate_ranking(
    score: Scorer,
    inputs: Any,
    targets: Any,
    ks: tuple[int, ...] = (20, 50, 100),
    *,
    exclude_seen: bool = True,
    batch_size: int | None = None,
    progress: bool | float = False,
) -> dict[str, float]:
    """Every ranking metric at every K in ``ks`` (keys as in ``ranking_report``), batch by batch.

    Args:
        score: ``score(X_batch) -> (batch, n_items)`` scores, X_batch a CSR of users' input rows.
        inputs, targets: (n_users, n_items), dense or CSR: what the model sees, what it must find.
        ks: the cut-offs K.
        exclude_seen: rank the input items last (−inf), as the protocols do.
        batch_size: users per batch (default :func:`batch_rows`).
        progress: False, True (a line every 5 s on stderr) or the seconds between lines.
    """
    where = "evaluate_ranking"
    inputs, targets = as_csr(inputs, "inputs", where), as_csr(targets, "targets", where)
    if inputs.shape != targets.shape:
        raise ValueError(f"{where}: targets have shape {targets.shape}, expected the shape of inputs {inputs.shape}")
    ks = tuple(check_int(k, "k", where) for k in ks)
    n_users, n_items = inputs.shape
    hits, n_targets = [], []
    recommended = {k: np.zeros(n_items, dtype=bool) for k in ks}
    for rows in _batches(n_users, batch_size or batch_rows(n_items), _progress(progress, n_users)):
        ranked = ranked_batch(score, inputs.rows(rows), max(ks), exclude_seen=exclude_seen)
        for k in ks:
            recommended[k][ranked[:, :k]] = True
        batch_hits, batch_targets = hits_of(ranked, targets.rows(rows))
        hits.append(batch_hits)
        n_targets.append(batch_targets)
    return report(Hits(np.concatenate(hits), np.concatenate(n_targets), recommended), ks)


def fold_ndcg(score: Scorer, fold: Any, k: int = 100) -> float:
    """NDCG@k (k capped at the number of items) of ``score`` on a FoldIn: its input in, input items excluded."""
    k = min(k, fold.input.shape[1])
    return evaluate_ranking(score, fold.input, fold.targets, (k,))[f"ndcg@{k}"]


def _progress(progress: bool | float, total: int) -> Progress | None:
    if progress is False:
        return None
    return Progress("scoring", total, interval=5.0 if progress is True else float(progress))
