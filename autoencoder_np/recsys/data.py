"""Interaction data: readers for the MovieLens and RecBole formats, and the dense matrices models train on.

A data set is an :class:`Interactions`: parallel arrays ``user``, ``item``, ``rating`` (and optionally
``timestamp``), one entry per (user, item) pair. Raw ids from the file are remapped to contiguous indices
0 … n−1, sorted (numerically when every id is an integer, as text otherwise); ``user_ids[u]`` and
``item_ids[i]`` map an index back to its raw id.

Formats :func:`read_ratings` understands (``format="auto"`` guesses from the name, then the first line):

==========  ======================================================  =========================================
format      lines                                                   examples
==========  ======================================================  =========================================
``tab``     ``user<TAB>item<TAB>rating[<TAB>timestamp]``, no header  MovieLens-100K ``u.data``
``dat``     ``user::item::rating[::timestamp]``, no header           MovieLens-1M/10M ``ratings.dat``
``csv``     ``user,item,rating[,timestamp]``, header optional        MovieLens ``ratings.csv``, your own files
``inter``   RecBole atomic file: tab-separated, typed header         ``ml-100k.inter`` (``user_id:token`` …)
==========  ======================================================  =========================================

Item files (:func:`read_items`): MovieLens-100K ``u.item`` (``|``-separated, latin-1, 19 genre flags),
MovieLens-1M ``movies.dat`` (``id::title::Genre|Genre``) and ``movies.csv`` (``movieId,title,genres``).

Policies, stated once:

- A malformed line (wrong number of fields, a rating or timestamp that is not a number) is an error that
  names the file and the line number. An empty file, or a header with no rows, is an error.
- Duplicate (user, item) pairs: ``duplicates="error"`` (default) names the two lines; ``"last"`` keeps the
  pair's last line in the file and drops the earlier ones.

Memory: ``matrix()`` and ``binarize()`` are dense by default, n_users × n_items × 8 bytes (float64): 12.7 MB
for MovieLens-100K (943 × 1682), 179 MB for MovieLens-1M, 30 GB for MovieLens-20M. With ``sparse=True`` they
give a :class:`~autoencoder_np.sparse.CSR` of the ratings only (16 bytes each: 320 MB for MovieLens-20M).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..sparse import CSR
from ..validation import check_float

FORMATS = ("tab", "dat", "csv", "inter")
DUPLICATE_POLICIES = ("error", "last")

#: The 19 genres of MovieLens-100K's ``u.item``, in column order (as in its ``u.genre``).
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip


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


# Reading ratings --------------------------------------------------------------------------------------------


@dataclass
class _Columns:
    """Where user, item, rating and timestamp sit among a line's fields (timestamp may be absent)."""

    user: int
    item: int
    rating: int
    timestamp: int | None
    n_fields: tuple[int, ...]  # the field counts a line may have


_POSITIONAL = _Columns(0, 1, 2, 3, (3, 4))

_HEADER_NAMES = {
    "user": ("user", "userid", "user_id"),
    "item": ("item", "itemid", "item_id", "movieid", "movie_id"),
    "rating": ("rating", "ratings", "score"),
    "timestamp": ("timestamp", "time", "ts"),
}


def _header_columns(fields: list[str], path: str) -> _Columns:
    """Column positions from a header line (RecBole's ``name:type`` or plain names), case-insensitive."""
    names = [f.split(":")[0].strip().lower() for f in fields]
    found: dict[str, int | None] = {}
    for column, aliases in _HEADER_NAMES.items():
        hits = [i for i, name in enumerate(names) if name in aliases]
        found[column] = hits[0] if hits else None
    missing = [c for c in ("user", "item", "rating") if found[c] is None]
    if missing:
        raise ValueError(
            f"{path}, line 1: the header {fields} lacks a column for {', '.join(missing)} "
            f"(accepted names: {', '.join(a for c in missing for a in _HEADER_NAMES[c])})"
        )
    return _Columns(found["user"], found["item"], found["rating"], found["timestamp"], (len(fields),))  # type: ignore[arg-type]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _guess_format(path: Path, first_line: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".inter", ".dat", ".csv"):
        return suffix[1:]
    if "::" in first_line:
        return "dat"
    if "\t" in first_line:
        return "tab"
    if "," in first_line:
        return "csv"
    raise ValueError(
        f"{path}: cannot tell the format from the name or the first line {first_line[:60]!r}; "
        f"pass format= (--format on the command line) one of {FORMATS}"
    )


def _split_line(fmt: str) -> Callable[[str], list[str]]:
    if fmt == "dat":
        return lambda line: line.split("::")
    if fmt == "csv":
        return lambda line: line.split(",")
    return lambda line: line.split("\t")


def _numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number from 1, line without its newline) for every non-blank line."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def read_ratings(path: str | Path, *, format: str = "auto", duplicates: str = "error") -> Interactions:
    """Read a ratings file into :class:`Interactions` (see the module docstring for the formats).

    Args:
        path: the file.
        format: ``"auto"`` or one of ``"tab"``, ``"dat"``, ``"csv"``, ``"inter"``.
        duplicates: ``"error"`` (default) or ``"last"`` (keep each pair's last line).

    Raises:
        ValueError: unknown format or policy; an empty file; a malformed line (its number is in the message);
            a duplicate (user, item) pair under ``duplicates="error"`` (both line numbers in the message).
        OSError: the file cannot be read.
    """
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"read_ratings: format must be 'auto' or one of {FORMATS}, got {format!r}")
    if duplicates not in DUPLICATE_POLICIES:
        raise ValueError(f"read_ratings: duplicates must be one of {DUPLICATE_POLICIES}, got {duplicates!r}")
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = _numbered_lines(text)
    first = next(lines, None)
    if first is None:
        raise ValueError(f"{path}: the file is empty (no ratings)")
    fmt = _guess_format(path, first[1]) if format == "auto" else format
    split = _split_line(fmt)
    first_fields = split(first[1])
    has_header = fmt == "inter" or (fmt == "csv" and len(first_fields) >= 3 and not _is_number(first_fields[2]))
    columns = _header_columns(first_fields, str(path)) if has_header else _POSITIONAL
    rows = lines if has_header else _chain(first, lines)
    users, items, ratings, stamps, numbers = [], [], [], [], []
    for number, line in rows:
        fields = split(line)
        if len(fields) not in columns.n_fields:
            expected = " or ".join(map(str, columns.n_fields))
            raise ValueError(f"{path}, line {number}: expected {expected} fields ({fmt}), got {len(fields)}: {line!r}")
        try:
            ratings.append(float(fields[columns.rating]))
            if columns.timestamp is not None and len(fields) > columns.timestamp:
                stamps.append(float(fields[columns.timestamp]))
        except ValueError:
            raise ValueError(f"{path}, line {number}: rating or timestamp is not a number: {line!r}") from None
        users.append(fields[columns.user].strip())
        items.append(fields[columns.item].strip())
        numbers.append(number)
    if not ratings:
        raise ValueError(f"{path}: the file holds a header but no ratings")
    if not np.isfinite(ratings).all():
        bad = numbers[int(np.flatnonzero(~np.isfinite(ratings))[0])]
        raise ValueError(f"{path}, line {bad}: the rating is not finite")
    if stamps and len(stamps) != len(ratings):
        raise ValueError(f"{path}: some lines have a timestamp and some do not; give all or none")
    return _build(users, items, np.array(ratings), np.array(stamps) if stamps else None, numbers, duplicates, path)


def _chain(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


def _remap(raw: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique ids, index of each raw id): numeric order when every id is an integer."""
    try:
        values: np.ndarray = np.array(raw, dtype=np.int64)
    except ValueError:
        values = np.array(raw, dtype=str)
    ids, index = np.unique(values, return_inverse=True)
    return ids, index.astype(np.int64)


def _build(
    users: list[str],
    items: list[str],
    rating: np.ndarray,
    timestamp: np.ndarray | None,
    numbers: list[int],
    duplicates: str,
    path: Path,
) -> Interactions:
    user_ids, user = _remap(users)
    item_ids, item = _remap(items)
    key = user * len(item_ids) + item
    # Reversed so that np.unique's first occurrence is the pair's last line.
    _, last = np.unique(key[::-1], return_index=True)
    keep = np.sort(len(key) - 1 - last)
    if len(keep) < len(key):
        if duplicates == "error":
            dropped = np.setdiff1d(np.arange(len(key)), keep)[0]
            other = int(np.flatnonzero(key == key[dropped])[-1])
            raise ValueError(
                f"{path}, lines {numbers[dropped]} and {numbers[other]}: user {users[dropped]} rated item "
                f"{items[dropped]} twice; pass duplicates='last' to keep the later line"
            )
        user, item, rating = user[keep], item[keep], rating[keep]
        timestamp = None if timestamp is None else timestamp[keep]
    return Interactions(user, item, rating, timestamp, user_ids, item_ids, source=str(path))


# Reading item titles and genres -----------------------------------------------------------------------------


def read_items(path: str | Path) -> ItemInfo:
    """Read item titles and genre flags: MovieLens ``u.item``, ``movies.dat`` or ``movies.csv``.

    ``u.item`` is latin-1 with ``|``-separated fields: id, title, release date, video date, URL, then 19
    genre flags (names from ``u.genre`` beside it, else :data:`ML100K_GENRES`). ``movies.dat`` and
    ``movies.csv`` give genres as ``Action|Comedy``; their columns are the genres seen, sorted.

    Raises:
        ValueError: an empty file or a malformed line (with its number).
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise ValueError(f"{path}: the file is empty (no items)")
    if path.suffix.lower() in (".dat", ".csv"):
        return _read_genre_lists(path, raw.decode("latin-1"))
    return _read_u_item(path, raw.decode("latin-1"))


def _read_u_item(path: Path, text: str) -> ItemInfo:
    names = ML100K_GENRES
    genre_file = path.with_name("u.genre")
    if genre_file.exists():
        names = tuple(
            line.split("|")[0] for line in genre_file.read_text(encoding="latin-1").splitlines() if line.strip()
        )
    ids, titles, flags = [], [], []
    for number, line in _numbered_lines(text):
        fields = line.split("|")
        if len(fields) != 5 + len(names):
            raise ValueError(
                f"{path}, line {number}: expected {5 + len(names)} '|'-separated fields "
                f"(id, title, release, video release, URL, {len(names)} genre flags), got {len(fields)}"
            )
        try:
            flags.append([float(f) for f in fields[5:]])
        except ValueError:
            raise ValueError(f"{path}, line {number}: a genre flag is not 0 or 1: {fields[5:]}") from None
        ids.append(fields[0].strip())
        titles.append(fields[1])
    return ItemInfo(np.array(ids), np.array(titles, dtype=object), np.array(flags), tuple(names))


def _read_genre_lists(path: Path, text: str) -> ItemInfo:
    ids, titles, genres = [], [], []
    rows = list(_numbered_lines(text))
    is_csv = path.suffix.lower() == ".csv"
    if is_csv and rows and not _is_number(rows[0][1].split(",")[0]):
        rows = rows[1:]  # header
    for number, line in rows:
        fields = next(csv.reader(io.StringIO(line))) if is_csv else line.split("::")
        if len(fields) != 3:
            raise ValueError(f"{path}, line {number}: expected 3 fields (id, title, genres), got {len(fields)}")
        ids.append(fields[0].strip())
        titles.append(fields[1])
        genres.append([g for g in fields[2].split("|") if g and g != "(no genres listed)"])
    names = tuple(sorted({g for gs in genres for g in gs}))
    column = {name: j for j, name in enumerate(names)}
    features = np.zeros((len(ids), len(names)))
    for row, gs in enumerate(genres):
        features[row, [column[g] for g in gs]] = 1.0
    return ItemInfo(np.array(ids), np.array(titles, dtype=object), features, names)


ITEM_FILES = ("u.item", "movies.dat", "movies.csv")


def load(path: str | Path, *, format: str = "auto", duplicates: str = "error") -> Interactions:
    """Read a ratings file (see :func:`read_ratings` for ``format`` and ``duplicates``) and, when an item file
    (``u.item``, ``movies.dat``, ``movies.csv``) sits beside it, attach titles and genres."""
    path = Path(path)
    data = read_ratings(path, format=format, duplicates=duplicates)
    for name in ITEM_FILES:
        candidate = path.with_name(name)
        if candidate.exists():
            return data.with_items(read_items(candidate))
    return data
