"""The data of the Gowalla case: the published split when its folder is there, else a synthetic one of its shape.

Gowalla's split (NGCF / LightGCN ``train.txt`` and ``test.txt``): 29 858 users × 40 981 items, 810 128 training
and 217 242 test interactions (0.07% of the training matrix). Without the files, :func:`synthetic_split` draws
a split with exactly those counts: item popularity a power law p_i ∝ (i + 12)^−0.64 over randomly numbered items
(the real split's popularity by rank falls as rank^−0.63), user activity 8 + a log-normal tail, each user's test
items about a quarter of their training count, none of them in their training row. Training rows per item, at
the top, 0.1%, 1%, 10%, 50%, 90% of items: 1212, 508, 142, 34, 12, 6 (the real split: 1415, 407, 139, 34, 12, 8);
items per user at those shares of users: 1001, 448, 180, 51, 16, 10, least 8 (real: 811, 435, 183, 53, 16, 8, 8).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autoencoder_np.recsys.given import load_given
from autoencoder_np.sparse import CSR

USERS, ITEMS, TRAIN, TEST = 29_858, 40_981, 810_128, 217_242
MOST = 1000  # items of the most active synthetic user (the real split's has 811)

#: Where the published split lies by default: beside the repository, as the issue describes it.
DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gowalla"


def gowalla_split(data_dir: str | Path | None = None, users: int | None = None) -> tuple[CSR, CSR, str]:
    """(train, test, where it came from): the split in ``data_dir`` (default :data:`DEFAULT_DIR`) if its files
    are there, else :func:`synthetic_split`; ``users``: keep only the first ``users`` rows (a quick run)."""
    folder = Path(data_dir) if data_dir is not None else DEFAULT_DIR
    if (folder / "train.txt").is_file() and (folder / "test.txt").is_file():
        split = load_given(folder)
        train, test, source = split.train, split.test, f"the published split in {folder}"
    else:
        train, test = synthetic_split()
        source = f"synthetic, Gowalla's shape ({folder} has no train.txt and test.txt)"
    if users is not None and users < train.shape[0]:
        rows = np.arange(users)
        train, test, source = train.rows(rows), test.rows(rows), f"{source}, first {users} users"
    return train.astype(np.float32), test.astype(np.float32), source


def synthetic_split(seed: int = 0) -> tuple[CSR, CSR]:
    """A train / test split with Gowalla's users, items and interaction counts (see the module docstring)."""
    rng = np.random.default_rng(seed)
    popularity = (np.arange(ITEMS) + 12.0) ** -0.64
    popularity = popularity[rng.permutation(ITEMS)]  # the popular items anywhere in the index
    popularity /= popularity.sum()
    train_counts = _counts(8 + rng.lognormal(np.log(8.0), 1.3, USERS), TRAIN, 8, rng)
    test_counts = _counts(train_counts / 4 + rng.random(USERS), TEST, 1, rng)
    train = _draw(train_counts, popularity, None, rng)
    return train, _draw(test_counts, popularity, train, rng)


def _counts(sizes: np.ndarray, total: int, least: int, rng: np.random.Generator) -> np.ndarray:
    """``sizes`` rounded (at least ``least``, at most :data:`MOST`), then ±1 at random users until they sum to
    ``total``."""
    counts = np.clip(np.round(sizes), least, MOST).astype(np.int64)
    while (missing := total - counts.sum()) != 0:
        movable = np.flatnonzero(counts > least) if missing < 0 else np.arange(USERS)
        users = rng.choice(movable, min(abs(missing), len(movable)), replace=False)
        counts[users] += np.sign(missing)
    return counts


def _draw(counts: np.ndarray, popularity: np.ndarray, exclude: CSR | None, rng: np.random.Generator) -> CSR:
    """counts[u] distinct items for each user u, drawn by ``popularity`` (without the items of ``exclude``)."""
    kept = np.empty(0, dtype=np.int64)  # keys user·ITEMS + item
    forbidden = np.empty(0, dtype=np.int64) if exclude is None else exclude.row_ids() * ITEMS + exclude.indices
    while True:
        have = np.bincount(kept // ITEMS, minlength=USERS)
        short = counts - have
        if not short.any():
            break
        users = np.repeat(np.arange(USERS), np.maximum(short, 0) * 2)  # twice the shortfall: repeats are dropped
        keys = np.unique(np.concatenate([kept, users * ITEMS + rng.choice(ITEMS, len(users), p=popularity)]))
        keys = keys[~np.isin(keys, forbidden, assume_unique=True)]
        priority = rng.random(len(keys))  # keep a random counts[u] of each user's distinct items
        order = np.lexsort((priority, keys // ITEMS))
        keys = keys[order]
        rank = np.arange(len(keys)) - np.searchsorted(keys // ITEMS, keys // ITEMS)
        kept = np.sort(keys[rank < counts[keys // ITEMS]])
    return CSR.from_coo(kept // ITEMS, kept % ITEMS, np.ones(len(kept), np.float32), (USERS, ITEMS))
