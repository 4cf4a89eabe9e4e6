"""Reading ratings and item files: MovieLens and RecBole formats into :class:`~.data.Interactions` and
:class:`~.data.ItemInfo`.

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
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import Interactions, ItemInfo

FORMATS = ("tab", "dat", "csv", "inter")
DUPLICATE_POLICIES = ("error", "last")

#: The 19 genres of MovieLens-100K's ``u.item``, in column order (as in its ``u.genre``).
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip


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
