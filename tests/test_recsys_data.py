"""Readers (every format, clear errors, duplicates policy), the synthetic generator, and the two splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autoencoder_np.recsys import readers as recdata
from autoencoder_np.recsys import split_heldout_users, split_ratings, synthetic_ratings

ML100K = Path(__file__).resolve().parents[1].parent.parent / "shared" / "data" / "ml-100k" / "u.data"
ML100K_CANDIDATES = [ML100K, Path("/work/shared/data/ml-100k/u.data")]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# Reading ratings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("u.data", "10\t7\t4\t881250949\n2\t7\t1\t881250950\n10\t3\t5\t881250951\n"),
        ("ratings.dat", "10::7::4::881250949\n2::7::1::881250950\n10::3::5::881250951\n"),
        ("ratings.csv", "userId,movieId,rating,timestamp\n10,7,4.0,881250949\n2,7,1.0,881250950\n10,3,5,881250951\n"),
        ("mine.csv", "10,7,4\n2,7,1\n10,3,5\n"),
        (
            "ml.inter",
            "item_id:token\tuser_id:token\trating:float\ttimestamp:float\n7\t10\t4\t1\n7\t2\t1\t2\n3\t10\t5\t3\n",
        ),
    ],
)
def test_every_format_reads_to_the_same_interactions(tmp_path: Path, name: str, text: str) -> None:
    data = recdata.read_ratings(_write(tmp_path, name, text))
    # ids sorted numerically (2 before 10), remapped to 0…n−1, maps kept
    assert data.user_ids.tolist() == [2, 10]
    assert data.item_ids.tolist() == [3, 7]
    np.testing.assert_array_equal(data.matrix(), [[0.0, 1.0], [5.0, 4.0]])
    assert data.user_index("10") == 1
    assert data.item_index(3) == 0


def test_text_ids_are_kept_as_text_and_sorted(tmp_path: Path) -> None:
    data = recdata.read_ratings(_write(tmp_path, "r.csv", "bob,x,1\nalice,y,2\n"))
    assert data.user_ids.tolist() == ["alice", "bob"]
    assert data.timestamp is None
    assert data.binarize(1.5).tolist() == [[0.0, 1.0], [0.0, 0.0]]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("u.data", "", "the file is empty"),
        ("u.data", "\n  \n", "the file is empty"),
        ("r.csv", "user,item,rating\n", "holds a header but no ratings"),
        ("u.data", "1\t2\t3\t4\n1\t5\n", "line 2: expected 3 or 4 fields"),
        ("u.data", "1\t2\t3\t4\n\n1\t5\tfive\t9\n", "line 3: rating or timestamp is not a number"),
        ("r.dat", "1::2::nan::4\n", "line 1: the rating is not finite"),
        ("r.csv", "who,what,rating\n1,2,3\n", "lacks a column for user, item"),
        ("r.txt", "1 2 3\n", "cannot tell the format"),
        ("u.data", "1\t2\t3\t4\n1\t3\t5\n", "some lines have a timestamp and some do not"),
    ],
)
def test_bad_files_name_the_file_and_line(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ValueError, match=message) as info:
        recdata.read_ratings(path)
    assert str(path) in str(info.value)


def test_duplicates_are_an_error_naming_both_lines_unless_last_is_asked(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.data", "1\t2\t3\t100\n1\t5\t4\t101\n1\t2\t5\t102\n")
    with pytest.raises(ValueError, match=r"lines 1 and 3: user 1 rated item 2 twice; pass duplicates='last'"):
        recdata.read_ratings(path)
    data = recdata.read_ratings(path, duplicates="last")
    assert len(data) == 2
    np.testing.assert_array_equal(data.matrix(), [[5.0, 4.0]])  # the later line's 5 wins
    np.testing.assert_array_equal(data.timestamp, [101.0, 102.0])


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "u.data", "1\t2\t3\n")
    with pytest.raises(ValueError, match="format must be 'auto' or one of"):
        recdata.read_ratings(path, format="xml")
    with pytest.raises(ValueError, match="duplicates must be one of"):
        recdata.read_ratings(path, duplicates="first")
    with pytest.raises(FileNotFoundError, match=r"missing\.data"):
        recdata.read_ratings(tmp_path / "missing.data")
    data = recdata.read_ratings(path)
    with pytest.raises(ValueError, match="no user with id '7'"):
        data.user_index("7")


def test_a_zero_rating_cannot_enter_the_dense_matrix(tmp_path: Path) -> None:
    data = recdata.read_ratings(_write(tmp_path, "r.csv", "1,2,0\n1,3,1\n"))
    with pytest.raises(ValueError, match="reserves for 'missing'"):
        data.matrix()


# Item files ---------------------------------------------------------------------------------------------------

U_ITEM = (
    "7|Seven (1995)|01-Jan-1995||http://x|0|1|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n3|Caf\xe9 (1994)|||u|"
    + "|".join(["0"] * 18 + ["1"])
    + "\n"
)


def test_load_attaches_titles_and_genres_from_u_item_in_latin1(tmp_path: Path) -> None:
    _write(tmp_path, "u.data", "10\t7\t4\t1\n2\t3\t1\t2\n")
    (tmp_path / "u.item").write_bytes(U_ITEM.encode("latin-1"))
    data = recdata.load(tmp_path / "u.data")
    assert data.title(data.item_index(3)) == "Café (1994)"
    assert data.title(data.item_index(7)) == "Seven (1995)"
    assert data.feature_names == recdata.ML100K_GENRES
    assert data.item_features[data.item_index(7)].nonzero()[0].tolist() == [1, 8]  # Action, Drama
    assert data.item_features[data.item_index(3)].nonzero()[0].tolist() == [18]  # Western


def test_movies_dat_and_csv_give_sorted_genre_columns(tmp_path: Path) -> None:
    dat = recdata.read_items(_write(tmp_path, "movies.dat", "1::Toy Story (1995)::Animation|Comedy\n2::Heat::Crime\n"))
    assert dat.feature_names == ("Animation", "Comedy", "Crime")
    np.testing.assert_array_equal(dat.features, [[1, 1, 0], [0, 0, 1]])
    csv = recdata.read_items(_write(tmp_path, "movies.csv", 'movieId,title,genres\n5,"Heat, The",Crime\n'))
    assert csv.titles.tolist() == ["Heat, The"]


def test_bad_item_files_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="line 2: expected 24"):
        recdata.read_items(_write(tmp_path, "u.item", U_ITEM.splitlines()[0] + "\n1|short|x\n"))
    with pytest.raises(ValueError, match="the file is empty"):
        recdata.read_items(_write(tmp_path, "movies.dat", ""))


def test_ratings_of_items_missing_from_the_item_file_get_a_fallback_title(tmp_path: Path) -> None:
    _write(tmp_path, "u.data", "1\t99\t4\n")
    (tmp_path / "u.item").write_bytes(U_ITEM.encode("latin-1"))
    data = recdata.load(tmp_path / "u.data")
    assert data.title(0) == "item 99"
    assert not data.item_features.any()


# Synthetic data -----------------------------------------------------------------------------------------------


def test_synthetic_data_is_seeded_and_has_the_promised_structure() -> None:
    a, b = synthetic_ratings(150, 60, seed=4), synthetic_ratings(150, 60, seed=4)
    np.testing.assert_array_equal(a.matrix(), b.matrix())
    assert not np.array_equal(a.matrix(), synthetic_ratings(150, 60, seed=5).matrix())
    assert set(np.unique(a.rating)) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert np.bincount(a.user).min() >= 5  # every user has at least 5 ratings

    def spread(skew: float) -> float:  # coefficient of variation of the item counts
        counts = np.bincount(synthetic_ratings(150, 100, mean_ratings=10, popularity_skew=skew).item, minlength=100)
        return float(counts.std() / counts.mean())

    assert spread(1.0) > 2 * spread(0.0)  # a popularity skew
    assert a.item_features.shape == (60, 10)
    assert (a.item_features.sum(axis=1) >= 1).all()  # every item has a genre
    assert a.user_ids.tolist() == list(range(1, 151))


def test_synthetic_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="n_items must be ≥ 10"):
        synthetic_ratings(10, 5)
    with pytest.raises(TypeError, match="rank must be an integer"):
        synthetic_ratings(rank=2.5)  # type: ignore[arg-type]


# Splits ------------------------------------------------------------------------------------------------------


def test_ratings_split_is_disjoint_complete_seeded_and_sized() -> None:
    data = synthetic_ratings(100, 40, seed=1)
    split = split_ratings(data, seed=3)
    parts = [split.train, split.validation, split.test]
    total = sum(p.matrix() for p in parts)
    np.testing.assert_array_equal(total, data.matrix())  # disjoint, and nothing lost
    assert len(split.test) == round(0.1 * len(data))
    assert len(split.validation) == round(0.1 * (len(data) - len(split.test)))
    again = split_ratings(data, seed=3)
    np.testing.assert_array_equal(again.test.matrix(), split.test.matrix())
    assert "seed 3" in split.describe()
    with pytest.raises(ValueError, match="test_share must be in"):
        split_ratings(data, test_share=1.0)


def test_heldout_split_follows_liang_et_al() -> None:
    data = synthetic_ratings(200, 50, seed=2)
    split = split_heldout_users(data, seed=7)
    X = data.binarize(3.5)
    active = np.flatnonzero(X.sum(axis=1) >= 5)
    users = [split.train_users, split.validation.users, split.test.users]
    assert sum(len(u) for u in users) == len(active)
    assert len(np.unique(np.concatenate(users))) == len(active)  # disjoint
    assert len(split.validation) == len(split.test) == round(0.1 * len(active))
    # items: those the training users have
    np.testing.assert_array_equal(split.items, np.flatnonzero(X[split.train_users].sum(axis=0) > 0))
    for fold in (split.validation, split.test):
        original = X[np.ix_(fold.users, split.items)]
        np.testing.assert_array_equal(fold.input + fold.targets, original)  # fold-in and targets partition
        assert not (fold.input * fold.targets).any()
        n = original.sum(axis=1)
        expected = np.where(n >= 5, np.floor(0.2 * n), 0)
        np.testing.assert_array_equal(fold.targets.sum(axis=1), expected)
    assert "held-out-users protocol" in split.describe()


def test_heldout_split_refuses_too_few_users() -> None:
    data = synthetic_ratings(12, 20, seed=0)
    with pytest.raises(ValueError, match="too few to hold out"):
        split_heldout_users(data, heldout_share=0.01)


@pytest.mark.skipif(not any(p.exists() for p in ML100K_CANDIDATES), reason="MovieLens-100K is not present")
def test_movielens_100k_reads_as_documented() -> None:
    path = next(p for p in ML100K_CANDIDATES if p.exists())
    data = recdata.load(path)
    assert (len(data), data.n_users, data.n_items) == (100_000, 943, 1682)
    assert data.title(data.item_index(1)) == "Toy Story (1995)"
