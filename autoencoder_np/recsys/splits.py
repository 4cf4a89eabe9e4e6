"""The two evaluation protocols' splits, seeded, so our numbers compare with the published ones.

(a) :func:`split_ratings` — rating prediction (AutoRec, Sedhain et al. 2015): a random share of the
    observed ratings is the test set; a share of the rest is the validation set that hyperparameters are
    chosen on; models train on what remains. All three keep the full user and item index space, so a user
    or item with no training rating is possible (models fall back to a stated default for them).

(b) :func:`split_heldout_users` — top-N from implicit feedback, "strong generalization" (Liang et al. 2018):

    1. binarize: a rating above ``threshold`` (3.5) is a positive; keep users with ≥ ``min_items`` (5) positives;
    2. shuffle users with the seed; ``heldout_share`` of them (10%) are validation users, as many test users;
    3. the item set is the items the training users have; held-out users' positives on other items are dropped;
    4. every held-out user with ≥ ``min_items`` positives left gives a random ⌊``target_share`` · n⌋ (20%) of
       them as targets and the rest as the fold-in input; users with fewer give everything as input
       (they have no targets, so the metrics leave them out);
    5. models train on the training users' full rows, are tuned on the validation users, and are scored on the
       test users: fold-in input in, rank every item not in the input, compare the top K with the targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..sparse import CSR
from ..validation import check_float, check_int
from .data import Interactions


@dataclass(frozen=True)
class RatingsSplit:
    """Train / validation / test ratings over one index space (protocol (a)).

    ``train``, ``validation``, ``test``: :class:`Interactions` sharing ``n_users`` and ``n_items``; their
    ``matrix()`` is the (n_users, n_items) rating matrix with 0 for "not in this part".
    """

    train: Interactions
    validation: Interactions
    test: Interactions
    seed: int

    def describe(self) -> str:
        return (
            f"ratings protocol: random split of {len(self.train) + len(self.validation) + len(self.test)} ratings, "
            f"seed {self.seed}: train {len(self.train)}, validation {len(self.validation)} (hyperparameters), "
            f"test {len(self.test)}"
        )


def split_ratings(
    data: Interactions, *, test_share: float = 0.1, validation_share: float = 0.1, seed: int = 0
) -> RatingsSplit:
    """Random split of the ratings: ``test_share`` of all for test, ``validation_share`` of the rest for validation.

    With the defaults: 10% test, 9% validation, 81% train (the AutoRec paper's 90/10, validation from the 90).
    """
    where = "split_ratings"
    test_share = check_float(test_share, "test_share", where, low=0.0, high=1.0, low_open=True, high_open=True)
    validation_share = check_float(validation_share, "validation_share", where, low=0.0, high=1.0, high_open=True)
    seed = check_int(seed, "seed", where, minimum=0)
    n = len(data)
    n_test = round(test_share * n)
    n_val = round(validation_share * (n - n_test))
    if n_test == 0 or n - n_test - n_val == 0:
        raise ValueError(f"{where}: {n} ratings are too few for a {test_share:.0%} test share and a training set")
    order = np.random.default_rng(seed).permutation(n)
    test, val, train = np.split(order, [n_test, n_test + n_val])
    return RatingsSplit(data.subset(np.sort(train)), data.subset(np.sort(val)), data.subset(np.sort(test)), seed)


@dataclass(frozen=True)
class FoldIn:
    """Held-out users: what a model sees and what it must find.

    Attributes:
        input: (n_users, n_items) 0/1 fold-in interactions (the 80%), a CSR or a dense array.
        targets: (n_users, n_items) 0/1 held-out interactions (the 20%); empty rows for users without targets.
        users: (n_users,) the users' indices in the original data.
    """

    input: Any
    targets: Any
    users: np.ndarray

    def __len__(self) -> int:
        return self.input.shape[0]


@dataclass(frozen=True)
class HeldOutSplit:
    """Protocol (b): training users' full rows, and validation / test users split into fold-in and targets.

    Attributes:
        train: (n_train_users, n_items) 0/1, a CSR (``sparse=True``) or a dense float64 array.
        validation, test: :class:`FoldIn` over the same item columns, CSR or dense as ``train``.
        train_users: (n_train_users,) original user indices of the rows of ``train``.
        items: (n_items,) original item indices of the columns.
    """

    train: Any
    validation: FoldIn
    test: FoldIn
    train_users: np.ndarray
    items: np.ndarray
    seed: int

    def describe(self) -> str:
        n_val_targets = int((self.validation.targets.sum(axis=1) > 0).sum())
        n_test_targets = int((self.test.targets.sum(axis=1) > 0).sum())
        return (
            f"held-out-users protocol (Liang et al. 2018), seed {self.seed}: {self.train.shape[0]} training users, "
            f"{len(self.validation)} validation users ({n_val_targets} with targets), {len(self.test)} test users "
            f"({n_test_targets} with targets), {len(self.items)} items, {int(self.train.sum())} training positives"
        )


def split_heldout_users(
    data: Interactions,
    *,
    heldout_share: float = 0.1,
    threshold: float = 3.5,
    min_items: int = 5,
    target_share: float = 0.2,
    seed: int = 0,
    sparse: bool = False,
) -> HeldOutSplit:
    """The strong-generalization split of Liang et al. (2018); the steps are in the module docstring.

    The split works on the CSR matrix of positives (no dense users × items matrix); ``sparse=True`` returns
    CSR parts, ``sparse=False`` (default, for small data) dense float64 arrays of the same values.
    """
    where = "split_heldout_users"
    heldout_share = check_float(heldout_share, "heldout_share", where, low=0.0, high=0.5, low_open=True, high_open=True)
    threshold = check_float(threshold, "threshold", where)
    min_items = check_int(min_items, "min_items", where)
    target_share = check_float(target_share, "target_share", where, low=0.0, high=1.0, low_open=True, high_open=True)
    seed = check_int(seed, "seed", where, minimum=0)
    rng = np.random.default_rng(seed)

    X = data.binarize(threshold, sparse=True)
    active = np.flatnonzero(X.row_counts() >= min_items)
    n_heldout = round(heldout_share * len(active))
    if n_heldout == 0 or len(active) - 2 * n_heldout < 1:
        raise ValueError(
            f"{where}: {len(active)} users have ≥ {min_items} ratings above {threshold}; too few to hold out "
            f"{heldout_share:.0%} for validation and for test"
        )
    users = rng.permutation(active)
    val_users, test_users, train_users = np.split(users, [n_heldout, 2 * n_heldout])
    train_users = np.sort(train_users)
    train = X.rows(train_users)
    items = np.flatnonzero(np.bincount(train.indices, minlength=X.shape[1]))  # the items training users have
    train = train.columns(items)
    validation = fold_in(X.rows(val_users).columns(items), val_users, min_items, target_share, rng)
    test = fold_in(X.rows(test_users).columns(items), test_users, min_items, target_share, rng)
    if not sparse:
        train = train.toarray()
        validation, test = (FoldIn(f.input.toarray(), f.targets.toarray(), f.users) for f in (validation, test))
    return HeldOutSplit(train, validation, test, train_users, items, seed)


def fold_in(X: CSR, users: np.ndarray, min_items: int, target_share: float, rng: np.random.Generator) -> FoldIn:
    """Split every row of X with ≥ min_items entries into ⌊share·n⌋ random targets and the rest as input."""
    chosen = np.zeros(X.nnz, dtype=bool)
    for row in np.flatnonzero(X.row_counts() >= min_items):
        positives = X.row(row)[0]
        picked = rng.choice(positives, size=int(target_share * len(positives)), replace=False)
        chosen[X.indptr[row] + np.searchsorted(positives, picked)] = True
    return FoldIn(X.keep(~chosen), X.keep(chosen), users)
