"""The recommenders from CSR: every reader, split, model and metric gives what it gives from the dense matrix;
batched ranking equals the full sort; EASE's λ search equals one inverse per λ; the given-split protocol by hand."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autoencoder_np import recsys as rs
from autoencoder_np.recsys import ease as ease_module
from autoencoder_np.recsys import metrics
from autoencoder_np.recsys.given import load_given, read_user_lists
from autoencoder_np.recsys.progress import Progress
from autoencoder_np.recsys.ranking import evaluate_ranking, fold_ndcg, recommend
from autoencoder_np.sparse import CSR


@pytest.fixture(scope="module")
def data() -> rs.Interactions:
    return rs.synthetic_ratings(300, 60, seed=11)


@pytest.fixture(scope="module")
def splits(data: rs.Interactions) -> tuple[rs.HeldOutSplit, rs.HeldOutSplit]:
    return rs.split_heldout_users(data, seed=1), rs.split_heldout_users(data, seed=1, sparse=True)


# Readers and splits ------------------------------------------------------------------------------------------


def test_the_matrices_of_the_data_are_the_same_dense_or_sparse(data: rs.Interactions) -> None:
    np.testing.assert_array_equal(data.matrix(sparse=True).toarray(), data.matrix())
    sparse = data.binarize(3.5, np.float32, sparse=True)
    assert sparse.dtype == np.float32
    np.testing.assert_array_equal(sparse.toarray(), data.binarize(3.5, np.float32))


def test_the_heldout_split_is_the_same_dense_or_sparse(splits: tuple[rs.HeldOutSplit, rs.HeldOutSplit]) -> None:
    dense, sparse = splits
    assert isinstance(sparse.train, CSR)
    assert isinstance(dense.train, np.ndarray)
    np.testing.assert_array_equal(sparse.train.toarray(), dense.train)
    for a, b in ((dense.validation, sparse.validation), (dense.test, sparse.test)):
        np.testing.assert_array_equal(b.input.toarray(), a.input)
        np.testing.assert_array_equal(b.targets.toarray(), a.targets)
        np.testing.assert_array_equal(b.users, a.users)
    assert dense.describe() == sparse.describe()


# Models ------------------------------------------------------------------------------------------------------

TOPN = [
    lambda: rs.Popularity(),
    lambda: rs.ItemKNN(k=10, shrink=2.0),
    lambda: rs.TruncatedSVD(rank=5),
    lambda: rs.EASE(50.0),
    lambda: rs.EASE((20.0, 200.0)),
    lambda: rs.MultDAE((16,), epochs=3, batch_size=64),
    lambda: rs.MultVAE((16, 8), epochs=3, batch_size=64),
    lambda: rs.CDAE(8, epochs=3, batch_size=64),
]


@pytest.mark.parametrize("make", TOPN, ids=lambda m: repr(m()))
def test_every_top_n_model_gives_the_same_from_csr_as_from_dense(make, splits) -> None:  # type: ignore[no-untyped-def]
    dense, sparse = splits
    a = make().fit(dense.train, dense.validation)
    b = make().fit(sparse.train, (sparse.validation.input, sparse.validation.targets))  # a pair works too
    np.testing.assert_array_equal(b.score(sparse.test.input), a.score(dense.test.input))  # bitwise
    np.testing.assert_array_equal(b.recommend(sparse.test.input, 7), a.recommend(dense.test.input, 7))


@pytest.mark.parametrize("make", [rs.GlobalMean, lambda: rs.Biases(l2=3.0), lambda: rs.AutoRec("user", 8, epochs=2)])
def test_every_rating_model_gives_the_same_from_csr_as_from_dense(make, data) -> None:  # type: ignore[no-untyped-def]
    split = rs.split_ratings(data, seed=2)
    T = split.test
    a = make().fit(split.train.matrix(), split.validation.matrix())
    b = make().fit(split.train.matrix(sparse=True), split.validation.matrix(sparse=True))
    np.testing.assert_array_equal(b.predict(T.user, T.item), a.predict(T.user, T.item))


def test_itemknn_from_csr_equals_the_dense_cosine_formula(splits) -> None:  # type: ignore[no-untyped-def]
    X = splits[0].train
    k = 7
    norms = np.sqrt((X * X).sum(axis=0))
    S = (X.T @ X) / (np.outer(norms, norms) + 2.0 + 1e-12)
    np.fill_diagonal(S, 0.0)
    for j in range(S.shape[1]):  # column j keeps its k largest, ties to the lower index (a stable sort)
        S[np.argsort(-S[:, j], kind="stable")[k:], j] = 0.0
    model = rs.ItemKNN(k=k, shrink=2.0).fit(CSR.from_dense(X))
    np.testing.assert_array_equal(model.similarity_.toarray(), S)
    np.testing.assert_allclose(model.score(X), X @ S, rtol=1e-12)  # bincount vs BLAS: summation order


def test_biases_from_csr_satisfy_the_normal_equations() -> None:
    R = np.array([[5.0, 3.0, 0.0], [4.0, 0.0, 1.0], [0.0, 2.0, 4.0]])
    model = rs.Biases(l2=2.0, sweeps=200).fit(CSR.from_dense(R))
    mu, observed = R[R > 0].mean(), R > 0
    for u in range(3):
        items = observed[u]
        expected = (R[u, items] - mu - model.item_bias_[items]).sum() / (2.0 + items.sum())
        assert model.user_bias_[u] == pytest.approx(expected)


def test_ease_grid_by_eigendecomposition_equals_one_inverse_per_lambda(splits, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    dense, sparse = splits
    grid = (5.0, 50.0, 500.0)
    eigen = rs.EASE(grid).fit(sparse.train, sparse.validation)
    monkeypatch.setattr(ease_module, "BYTES_EIGH", 10**9)  # over any budget: one inverse per λ instead
    inverse = rs.EASE(grid).fit(sparse.train, sparse.validation)
    assert eigen.l2_ == inverse.l2_
    np.testing.assert_allclose(eigen.validation_scores_, inverse.validation_scores_, rtol=1e-10)
    np.testing.assert_allclose(eigen.B_, inverse.B_, atol=1e-9)
    np.testing.assert_allclose(eigen.B_, rs.EASE(eigen.l2_).fit(dense.train).B_, atol=1e-9)
    scores = [fold_ndcg(rs.EASE(v).fit(dense.train).score, dense.validation) for v in grid]
    np.testing.assert_allclose(eigen.validation_scores_, scores, rtol=1e-10)
    assert eigen.chosen() == {"l2": eigen.l2_}
    assert [c["l2"] for c, _ in eigen.tried()] == list(grid)
    with pytest.raises(ValueError, match="choosing λ needs validation users"):
        rs.EASE(grid).fit(sparse.train)


def test_a_saved_itemknn_keeps_its_sparse_similarity(splits, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = rs.ItemKNN(k=5).fit(splits[1].train)
    loaded = rs.Recommender.load(model.save(tmp_path / "knn.npz"))
    assert isinstance(loaded.similarity_, CSR)
    np.testing.assert_array_equal(loaded.score(splits[1].test.input), model.score(splits[1].test.input))


def test_validation_is_a_foldin_or_a_pair_and_nothing_else(splits) -> None:  # type: ignore[no-untyped-def]
    train, fold = splits[1].train, splits[1].validation
    a = rs.MultDAE((8,), epochs=2, seed=0).fit(train, fold)
    b = rs.MultDAE((8,), epochs=2, seed=0).fit(train, (fold.input.toarray(), fold.targets))
    assert a.validation_score_ == b.validation_score_
    with pytest.raises(TypeError, match="validation must be a FoldIn or a pair"):
        rs.MultDAE((8,), epochs=1).fit(train, fold.input)
    with pytest.raises(ValueError, match="validation targets has 3 items, train has"):
        rs.MultDAE((8,), epochs=1).fit(train, (fold.input, np.ones((2, 3))))


# Ranking in batches ------------------------------------------------------------------------------------------


@given(
    users=st.integers(1, 6),
    items=st.integers(2, 12),
    k=st.integers(1, 12),
    levels=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_top_k_equals_the_full_stable_sort_with_ties_and_minus_infinity(
    users: int, items: int, k: int, levels: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, levels, (users, items)).astype(np.float64)  # few levels: many ties
    scores[rng.random((users, items)) < 0.3] = -np.inf
    k = min(k, items)
    np.testing.assert_array_equal(metrics.top_k(scores, k), np.argsort(-scores, axis=1, kind="stable")[:, :k])


@given(seed=st.integers(0, 1000), batch=st.integers(1, 40), exclude=st.booleans())
def test_batched_metrics_equal_the_metrics_of_the_whole_score_matrix(seed: int, batch: int, exclude: bool) -> None:
    rng = np.random.default_rng(seed)
    inputs = (rng.random((37, 25)) < 0.2).astype(np.float64)
    targets = ((rng.random((37, 25)) < 0.15) & (inputs == 0)).astype(np.float64)
    W = rng.integers(-3, 4, (25, 25)).astype(np.float64)  # integer scores: exact in any order, ties too

    def score(X: CSR) -> np.ndarray:
        return X.densify() @ W

    whole = inputs @ W
    if exclude:
        whole[inputs > 0] = -np.inf
    ks = (1, 5, 20)
    expected = metrics.ranking_report(whole, targets, ks)
    batched = evaluate_ranking(score, CSR.from_dense(inputs), targets, ks, exclude_seen=exclude, batch_size=batch)
    assert batched == expected  # the same floats, not only close
    top = recommend(score, inputs, 5, exclude_seen=exclude, batch_size=batch)
    np.testing.assert_array_equal(top, metrics.top_k(whole, 5))


def test_the_ranking_never_holds_more_than_a_batch_of_scores() -> None:
    X = CSR.from_dense(np.eye(10))
    seen = []

    def score(batch: CSR) -> np.ndarray:
        seen.append(batch.shape[0])
        return np.zeros(batch.shape)

    recommend(score, X, 2, batch_size=4)
    assert seen == [4, 4, 2]


def test_scoring_progress_says_how_many_users_and_how_long_is_left() -> None:
    stream = io.StringIO()
    progress = Progress("scoring", 250, interval=0.0, stream=stream)
    for done in (100, 200, 250):
        progress.update(done)
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"scoring {n}/250 users" for n in (100, 200, 250)]
    assert re.fullmatch(r"scoring 100/250 users \([\d.]+ s so far, about [\d.]+ s left\)", lines[0])
    assert "left" not in lines[-1]
    quiet = io.StringIO()
    slow = Progress("scoring", 250, interval=60.0, stream=quiet)
    for done in (100, 250):
        slow.update(done)
    assert quiet.getvalue() == ""  # a job shorter than the interval prints nothing


# The given split ---------------------------------------------------------------------------------------------


def _write_given(folder: Path, train: str, test: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.txt").write_text(train)
    (folder / "test.txt").write_text(test)
    return folder


def test_the_given_split_protocol_by_hand(tmp_path: Path) -> None:
    # 3 users, 5 items. Training popularity: items 0 and 1 twice, items 2, 3, 4 once.
    folder = _write_given(tmp_path / "toy", "0 0 1\n1 1 2 3\n2 0 4\n", "0 3 4\n1 0\n2 3\n")
    split = load_given(folder)
    assert split.train.shape == (3, 5)
    model = rs.Popularity().fit(split.train)
    test = split.testing()
    report = evaluate_ranking(model.score, test.input, test.targets, (1, 2))
    # User 0 has {0, 1}: ranks 2, 3, 4 (ties to the lower index); top 2 = [2, 3], test {3, 4}: a hit at rank 2.
    # User 1 has {1, 2, 3}: ranks 0, 4; top 2 = [0, 4], test {0}: a hit at rank 1.
    # User 2 has {0, 4}: ranks 1, 2, 3; top 2 = [1, 2], test {3}: no hit.
    d2 = 1 / np.log2(3)
    assert report["plain_recall@2"] == pytest.approx((1 / 2 + 1 + 0) / 3)  # hits / |test items|
    assert report["plain_recall@1"] == pytest.approx((0 + 1 + 0) / 3)
    assert report["ndcg@2"] == pytest.approx((d2 / (1 + d2) + 1 + 0) / 3)  # ideal DCG over min(2, |T|) items
    assert report["recall@2"] == pytest.approx((1 / 2 + 1 + 0) / 3)  # min(2, |T|) = |T| here
    assert "3 users × 5 items, 7 training and 4 test interactions, 3 test users" in split.describe()


def test_the_given_tuning_share_comes_from_train_only(tmp_path: Path) -> None:
    train = "".join(f"{u} " + " ".join(str(i) for i in range(u, u + 10)) + "\n" for u in range(6))
    split = load_given(_write_given(tmp_path / "g", train, "0 20\n"))
    fit_on, fold = split.tuning(seed=3)
    assert fit_on is fold.input
    np.testing.assert_array_equal((fold.input.toarray() + fold.targets.toarray()), split.train.toarray())
    assert fold.targets.row_counts().tolist() == [2] * 6  # ⌊0.2 · 10⌋ per user
    assert not (fold.targets.toarray() * split.test.toarray()).any()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 1 x\n", "line 1: expected non-negative integer ids"),
        ("0 1 2\n0 3\n", "lines 1 and 2: user 0 has two lines"),
        ("0 1 1\n", "line 1: user 0 lists an item twice"),
        ("\n0\n", "holds no .user, item. pair"),
    ],
)
def test_a_bad_user_list_file_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "train.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_user_lists(path)


def test_a_folder_without_the_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no train\.txt or test\.txt"):
        load_given(tmp_path)
