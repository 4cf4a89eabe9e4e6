"""Interaction data: the ratings (or clicks) of users on items, and the matrices models train on.

A data set is an :class:`Interactions`: parallel arrays ``user``, ``item``, ``rating`` (and optionally
``timestamp``), one entry per (user, item) pair. Raw ids from the file are remapped to contiguous indices
0 … n−1, sorted (numerically when every id is an integer, as text otherwise); ``user_ids[u]`` and
``item_ids[i]`` map an index back to its raw id. :class:`ItemInfo` holds item titles and genres.
:mod:`~autoencoder_np.recsys.readers` reads both from MovieLens and RecBole files.

Memory: ``matrix()`` and ``binarize()`` are dense by default, n_users × n_items × 8 bytes (float64): 12.7 MB
for MovieLens-100K (943 × 1682), 179 MB for MovieLens-1M, 30 GB for MovieLens-20M. With ``sparse=True`` they
give a :class:`~autoencoder_np.sparse.CSR` of the ratings only (16 bytes each: 320 MB for MovieLens-20M).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..sparse import CSR
from ..validation import check_float


@dataclass(frozen=True)
class Interactions:
    """Ratings (or clicks) of users on items, as parallel arrays over contiguous indices.

    Attributes:
        user: (n,) int64 user indices in [0, n_users).
        item: (n,) int64 item indices in [0, n_items).
        rating: (n,) float64 values (1–5 stars, or 1 for a click).
        timestamp: (n,) float64 or None.
        user_ids: (n_users,) raw user ids; ``user_ids[u]`` is the id of index u.
        item_ids: (n_items,) raw item ids.
        item_titles: (n_items,) titles, or None.
        item_features: (n_items, n_features) content features (genre flags), or None.
        feature_names: names of the feature columns, or None.
        source: where the data came from (a path, or a description of the synthetic generator).
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray | None
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_titles: np.ndarray | None = None
    item_features: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = None
    source: str = ""

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.rating)

    def __repr__(self) -> str:
        return (
            f"Interactions({len(self)} ratings, {self.n_users} users × {self.n_items} items, "
            f"density {self.density:.4f}, source={self.source!r})"
        )

    @property
    def density(self) -> float:
        """The share of the user × item matrix that is observed."""
        return len(self) / (self.n_users * self.n_items)

    def matrix(self, dtype: type = np.float64, *, sparse: bool = False) -> np.ndarray | CSR:
        """The (n_users, n_items) rating matrix, dense or a CSR (``sparse``); 0 marks a missing rating.

        A rating of exactly 0 would be indistinguishable from a missing one, so it is refused.
        """
        if (self.rating == 0).any():
            raise ValueError(
                f"Interactions.matrix: {int((self.rating == 0).sum())} rating(s) are 0, which the matrix "
                "reserves for 'missing'; shift the rating scale first"
            )
        return self._matrix(np.ones(len(self), dtype=bool), self.rating.astype(dtype), sparse)

    def binarize(self, threshold: float = 3.5, dtype: type = np.float64, *, sparse: bool = False) -> np.ndarray | CSR:
        """The (n_users, n_items) 0/1 matrix of ratings above ``threshold`` (implicit feedback), dense or CSR."""
        threshold = check_float(threshold, "threshold", "Interactions.binarize")
        keep = self.rating > threshold
        return self._matrix(keep, np.ones(int(keep.sum()), dtype=dtype), sparse)

    def _matrix(self, keep: np.ndarray, values: np.ndarray, sparse: bool) -> np.ndarray | CSR:
        shape = (self.n_users, self.n_items)
        if sparse:
            return CSR.from_coo(self.user[keep], self.item[keep], values, shape, duplicates="error")
        X = np.zeros(shape, dtype=values.dtype)
        X[self.user[keep], self.item[keep]] = values
        return X

    def subset(self, keep: np.ndarray) -> Interactions:
        """The interactions selected by ``keep`` (a boolean mask or indices), in the same index space."""
        return replace(
            self,
            user=self.user[keep],
            item=self.item[keep],
            rating=self.rating[keep],
            timestamp=None if self.timestamp is None else self.timestamp[keep],
        )

    def user_index(self, raw_id: str | int) -> int:
        """The index of a raw user id (as printed in the file); ValueError if the data has no such user."""
        return _index_of(self.user_ids, raw_id, "user")

    def item_index(self, raw_id: str | int) -> int:
        """The index of a raw item id; ValueError if the data has no such item."""
        return _index_of(self.item_ids, raw_id, "item")

    def title(self, item: int) -> str:
        """The title of item index ``item``, or ``"item <raw id>"`` when the data has no titles."""
        if self.item_titles is not None and self.item_titles[item]:
            return str(self.item_titles[item])
        return f"item {self.item_ids[item]}"

    def with_items(self, info: ItemInfo) -> Interactions:
        """These interactions with titles and content features from ``info`` (matched on raw item ids).

        Items of the ratings that ``info`` lacks get an empty title and all-zero features.
        """
        lookup = {str(raw): row for row, raw in enumerate(info.ids)}
        rows = np.array([lookup.get(str(raw), -1) for raw in self.item_ids])
        found = rows >= 0
        titles = np.full(self.n_items, "", dtype=object)
        titles[found] = info.titles[rows[found]]
        features = np.zeros((self.n_items, info.features.shape[1]))
        features[found] = info.features[rows[found]]
        return replace(self, item_titles=titles, item_features=features, feature_names=info.feature_names)


def _index_of(ids: np.ndarray, raw_id: str | int, what: str) -> int:
    key = str(raw_id).strip()
    matches = np.flatnonzero(ids.astype(str) == key)
    if matches.size == 0:
        raise ValueError(f"no {what} with id {raw_id!r} in the data ({len(ids)} {what}s, ids {ids[0]} … {ids[-1]})")
    return int(matches[0])


@dataclass(frozen=True)
class ItemInfo:
    """Item titles and content features read from an item file.

    Attributes:
        ids: (n,) raw item ids as text.
        titles: (n,) titles.
        features: (n, n_features) 0/1 genre flags.
        feature_names: the genre of each feature column.
    """

    ids: np.ndarray
    titles: np.ndarray
    features: np.ndarray
    feature_names: tuple[str, ...]
