"""A published split, read as it is shipped: the NGCF / LightGCN ``train.txt`` and ``test.txt`` format.

Each line is one user and their items, ids from 0, separated by spaces::

    0 12 7 311          user 0 has items 12, 7 and 311
    1 5                 user 1 has item 5

The "given split" protocol of those papers (Wang et al. 2019, He et al. 2020), on such a pair of files:

1. train on ``train.txt``;
2. for every user with items in ``test.txt``, rank every item the user does not have in ``train.txt``
   (full ranking, no sampled negatives);
3. Recall@K = hits in the top K / the user's number of test items (plain recall, not capped at K);
   NDCG@K with binary relevance, the ideal DCG over min(K, test items); both averaged over those users.

Hyperparameters and epochs are chosen without ``test.txt``: a seeded 20% of each training user's items
(users with ≥ 5 of them) become validation targets, the rest their input; models are tuned on that, then
refitted on all of ``train.txt`` with the values chosen (neural models for the chosen number of epochs)
and scored once on ``test.txt``. Everything stays sparse (CSR): Gowalla's 29 858 × 40 981 split takes 13 MB (float64).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..sparse import CSR
from ..validation import check_int
from .splits import FoldIn, fold_in

FILES = ("train.txt", "test.txt")


def read_user_lists(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a ``user item item …`` file -> (user, item) int64 arrays, one entry per (user, item).

    Raises:
        ValueError: a field that is not a non-negative integer, an item listed twice for a user, a user on two
            lines, or a file without items (the message names the file and the line).
        OSError: the file cannot be read.
    """
    path = Path(path)
    users, items, first_line = [], [], {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if not all(f.isdigit() for f in fields):
            raise ValueError(f"{path}, line {number}: expected non-negative integer ids 'user item item …', "
                             f"got {line[:60]!r}")  # fmt: skip
        user = int(fields[0])
        if user in first_line:
            raise ValueError(f"{path}, lines {first_line[user]} and {number}: user {user} has two lines")
        first_line[user] = number
        row = [int(f) for f in fields[1:]]
        if len(set(row)) < len(row):
            raise ValueError(f"{path}, line {number}: user {user} lists an item twice")
        users.extend([user] * len(row))
        items.extend(row)
    if not items:
        raise ValueError(f"{path}: the file holds no (user, item) pair")
    return np.array(users, dtype=np.int64), np.array(items, dtype=np.int64)


@dataclass(frozen=True)
class GivenSplit:
    """A published train / test split over one index space.

    Attributes:
        train, test: (n_users, n_items) CSR 0/1; n_users and n_items are 1 + the largest ids in either file.
        source: the folder the files came from.
    """

    train: CSR
    test: CSR
    source: str

    def describe(self) -> str:
        n_test_users = int((self.test.row_counts() > 0).sum())
        return (
            f"given split (NGCF/LightGCN train.txt, test.txt) in {self.source}: {self.train.shape[0]} users × "
            f"{self.train.shape[1]} items, {self.train.nnz} training and {self.test.nnz} test interactions, "
            f"{n_test_users} test users"
        )

    def tuning(self, seed: int, *, min_items: int = 5, target_share: float = 0.2) -> tuple[CSR, FoldIn]:
        """(train without the validation items, the validation FoldIn) for choosing hyperparameters.

        Every user with ≥ ``min_items`` training items gives a seeded ⌊``target_share``·n⌋ of them as targets;
        the fold's input is the rest of the user's row, which is also what the model trains on.
        """
        seed = check_int(seed, "seed", "GivenSplit.tuning", minimum=0)
        rng = np.random.default_rng(seed)
        users = np.arange(self.train.shape[0])
        fold = fold_in(self.train, users, min_items, target_share, rng)
        return fold.input, fold

    def testing(self) -> FoldIn:
        """The test users' training rows as input and their test items as targets (users without test items
        are left out by the metrics)."""
        return FoldIn(self.train, self.test, np.arange(self.train.shape[0]))


def load_given(directory: str | Path) -> GivenSplit:
    """Read ``train.txt`` and ``test.txt`` from ``directory`` into a :class:`GivenSplit`."""
    directory = Path(directory)
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory}: no {' or '.join(missing)} (a given split needs train.txt and test.txt)")
    (u_train, i_train), (u_test, i_test) = (read_user_lists(directory / name) for name in FILES)
    shape = (int(max(u_train.max(), u_test.max())) + 1, int(max(i_train.max(), i_test.max())) + 1)
    train = CSR.from_coo(u_train, i_train, np.ones(len(u_train)), shape)
    test = CSR.from_coo(u_test, i_test, np.ones(len(u_test)), shape)
    return GivenSplit(train, test, str(directory))
