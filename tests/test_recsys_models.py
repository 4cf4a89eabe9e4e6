"""The models: closed forms by hand, the shared interface, what they learn on synthetic data, bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from autoencoder_np.recsys import (
    CDAE,
    EASE,
    PCA,
    AutoRec,
    Biases,
    GlobalMean,
    ItemKNN,
    MultDAE,
    MultVAE,
    Popularity,
    Recommender,
    TruncatedSVD,
    ranking,
    split_heldout_users,
    split_ratings,
    synthetic_ratings,
)
from autoencoder_np.recsys.metrics import ndcg_at_k, rmse, top_k
from autoencoder_np.recsys.neural import fold_in_ndcg
from autoencoder_np.serialize import FileFormatError, load_arrays, save_arrays

TOY = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 1, 0]], dtype=float)


@pytest.fixture(scope="module")
def heldout():  # type: ignore[no-untyped-def]
    return split_heldout_users(synthetic_ratings(300, 60, seed=11), seed=1)


@pytest.fixture(scope="module")
def ratings():  # type: ignore[no-untyped-def]
    return split_ratings(synthetic_ratings(300, 60, seed=12), seed=1)


def _test_ndcg(model, split) -> float:  # type: ignore[no-untyped-def]
    return fold_in_ndcg(model.score, split.test)()


# Closed forms by hand -----------------------------------------------------------------------------------------


def test_ease_solves_its_constrained_least_squares() -> None:
    l2 = 0.7
    B = EASE(l2).fit(TOY).B_
    assert np.all(np.diag(B) == 0)
    # Column j is ridge regression of item j on the other items: (X₋ⱼᵀX₋ⱼ + λI) b = X₋ⱼᵀ x_j.
    for j in range(4):
        others = [i for i in range(4) if i != j]
        A = TOY[:, others]
        expected = np.linalg.solve(A.T @ A + l2 * np.eye(3), A.T @ TOY[:, j])
        np.testing.assert_allclose(B[others, j], expected)
    np.testing.assert_allclose(EASE(l2).fit(TOY).score(TOY[:1]), TOY[:1] @ B)


def test_ease_refuses_politely_past_its_item_limit() -> None:
    needs = r"5 items need an 5×5 Gram matrix, its inverse .* about 700 bytes \(0.0 GB\)"
    with pytest.raises(ValueError, match=needs + r"; the budget is 448 bytes .*max_items=4"):
        EASE(max_items=4).fit(np.ones((3, 5)))


def test_popularity_itemknn_and_svd_by_hand() -> None:
    np.testing.assert_array_equal(Popularity().fit(TOY).score(np.zeros((2, 4))), [[3, 3, 3, 1]] * 2)
    S = ItemKNN(k=1).fit(TOY).similarity_.toarray()  # a CSR: k entries per column
    norms = np.sqrt(TOY.sum(axis=0))
    cosine = (TOY.T @ TOY) / np.outer(norms, norms)
    np.fill_diagonal(cosine, 0)
    for j in range(4):  # each column keeps its single most similar item
        i = int(np.argmax(cosine[:, j]))
        assert S[i, j] == pytest.approx(cosine[i, j])
        assert np.count_nonzero(S[:, j]) == 1
    full = TruncatedSVD(rank=4).fit(TOY)
    np.testing.assert_allclose(full.score(TOY), TOY, atol=1e-12)  # full rank reconstructs
    pca = PCA(rank=1).fit(TOY)
    centered = TOY - TOY.mean(axis=0)
    v = np.linalg.svd(centered)[2][0]
    np.testing.assert_allclose(pca.score(TOY), np.outer(centered @ v, v) + TOY.mean(axis=0))


def test_biases_alternating_updates_match_the_normal_equations() -> None:
    R = np.array([[5.0, 3.0, 0.0], [4.0, 0.0, 1.0], [0.0, 2.0, 4.0]])
    model = Biases(l2=2.0, sweeps=200).fit(R)
    mu = R[R > 0].mean()
    obs = R > 0
    # At convergence each bias satisfies its own ridge equation.
    for i in range(3):
        users = obs[:, i]
        assert model.item_bias_[i] == pytest.approx(
            (R[users, i] - mu - model.user_bias_[users]).sum() / (2.0 + users.sum())
        )
    assert GlobalMean().fit(R).predict(np.array([0]), np.array([2]))[0] == pytest.approx(mu)


# The shared interface -----------------------------------------------------------------------------------------

TOPN_FAST = [
    Popularity(),
    ItemKNN(k=10),
    TruncatedSVD(rank=5),
    EASE(50.0),
    MultDAE((16,), epochs=3, batch_size=64),
    MultVAE((16, 8), epochs=3, batch_size=64),
    CDAE(8, epochs=3, batch_size=64),
]


@pytest.mark.parametrize("model", TOPN_FAST, ids=lambda m: type(m).__name__)
def test_every_top_n_model_folds_in_new_users_and_never_recommends_seen_items(model, heldout) -> None:  # type: ignore[no-untyped-def]
    model.fit(heldout.train, heldout.validation)
    X = heldout.test.input
    scores = model.score(X)
    assert scores.shape == X.shape
    assert np.isfinite(scores).all()
    top = model.recommend(X, k=5)
    assert top.shape == (X.shape[0], 5)
    assert not np.take_along_axis(X, top, axis=1).any()
    with_seen = model.recommend(X, k=5, exclude_seen=False)
    np.testing.assert_array_equal(with_seen, np.argsort(-scores, axis=1, kind="stable")[:, :5])
    assert repr(model).startswith(type(model).__name__ + "(")


@pytest.mark.parametrize("model", TOPN_FAST, ids=lambda m: type(m).__name__)
def test_a_saved_top_n_model_scores_exactly_the_same_after_load(model, heldout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model.fit(heldout.train, heldout.validation)
    path = model.save(tmp_path / "model.npz")
    loaded = Recommender.load(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.score(heldout.test.input), model.score(heldout.test.input))
    with zipfile.ZipFile(path) as archive:  # plain arrays and a JSON header, no pickle
        header = json.loads(archive.read("header.json"))
    assert header["recommender"] == type(model).__name__


@pytest.mark.parametrize("model", [GlobalMean(), Biases(), AutoRec("item", hidden=8, epochs=2)], ids=repr)
def test_a_saved_rating_model_predicts_exactly_the_same_after_load(model, ratings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    R, T = ratings.train.matrix(), ratings.test
    model.fit(R)
    loaded = type(model).load(model.save(tmp_path / "r.npz"))
    np.testing.assert_array_equal(loaded.predict(T.user, T.item), model.predict(T.user, T.item))


def test_load_refuses_the_wrong_class_and_forged_fitted_values(heldout, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = EASE(50.0).fit(heldout.train).save(tmp_path / "ease.npz")
    with pytest.raises(FileFormatError, match="holds 'EASE', not a MultDAE"):
        MultDAE.load(path)
    arrays, header = load_arrays(path)
    save_arrays(tmp_path / "forged.npz", {**arrays, "__class__": np.zeros(1)}, header)
    with pytest.raises(FileFormatError, match="'__class__' is not a fitted value"):
        Recommender.load(tmp_path / "forged.npz")
    save_arrays(tmp_path / "alien.npz", arrays, {**header, "recommender": "Popen"})
    with pytest.raises(FileFormatError, match="holds 'Popen'"):
        Recommender.load(tmp_path / "alien.npz")
    with pytest.raises(ValueError, match=r"EASE\.arrays: the model is not fitted yet"):
        EASE().save(tmp_path / "unfitted.npz")


@pytest.mark.parametrize("model", [Popularity(), EASE(), MultDAE(epochs=1), AutoRec(epochs=1)], ids=repr)
def test_bad_input_is_a_clear_error(model) -> None:  # type: ignore[no-untyped-def]
    name = type(model).__name__
    with pytest.raises(ValueError, match=f"{name}.score: the model is not fitted yet"):
        model.score(TOY)
    with pytest.raises(ValueError, match=f"{name}.fit: train must be non-negative"):
        model.fit(-TOY)
    with pytest.raises(ValueError, match=f"{name}.fit: train has no interaction"):
        model.fit(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=f"{name}.fit: train must be 2-D"):
        model.fit(np.ones(4))
    model.fit(TOY * 4)
    with pytest.raises(ValueError, match=f"{name}.score: X has 3 items"):
        model.score(np.ones((2, 3)))
    with pytest.raises(TypeError, match=f"{name}.recommend: k must be an integer"):
        model.recommend(TOY, k=2.5)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MultDAE(hidden=()), "hidden needs at least one layer size"),
        (lambda: MultDAE(dropout=1.0), r"dropout must be in \[0.0, 1.0\)"),
        (lambda: MultVAE(beta_cap=-1.0), "beta_cap must be in"),
        (lambda: AutoRec(kind="both"), "kind must be one of"),
        (lambda: CDAE(negatives=0), "negatives must be ≥ 1"),
        (lambda: EASE(l2=0.0), r"l2 must be in \(0.0"),
        (lambda: ItemKNN(k=0), "k must be ≥ 1"),
        (lambda: MultDAE(dtype="int32"), "dtype must be float32 or float64"),
        (lambda: CDAE(learning_rate=0.1), "CDAE: unexpected argument.s. learning_rate; training takes"),
    ],
)
def test_bad_hyperparameters_are_refused(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_rating_models_predict_clip_and_check_indices(ratings) -> None:  # type: ignore[no-untyped-def]
    R = ratings.train.matrix()
    model = Biases().fit(R)
    pred = model.predict(ratings.test.user, ratings.test.item)
    assert pred.min() >= 1
    assert pred.max() <= 5
    with pytest.raises(ValueError, match=r"items must lie in \[0, 60\)"):
        model.predict(np.array([0]), np.array([60]))
    with pytest.raises(TypeError, match="users must be a 1-D integer array"):
        model.predict(np.array([0.5]), np.array([1]))
    with pytest.raises(ValueError, match="validation has shape"):
        AutoRec(epochs=1).fit(R, R[:5])
    with pytest.raises(ValueError, match=r"AutoRec\.fit: validation holds 1 NaN"):
        AutoRec(epochs=1).fit(R, np.where(np.arange(R.size).reshape(R.shape) == 3, np.nan, R))
    with pytest.raises(ValueError, match="validation holds no rating"):
        Biases().fit(R, np.zeros_like(R))


def test_i_autorec_needs_the_training_users_and_falls_back_for_unseen_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    R = np.array([[5.0, 3.0, 0.0], [4.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # user 2 and item 2 have no rating
    model = AutoRec(hidden=4, epochs=2, default_rating=2.5).fit(R)
    P = model.score(R)
    assert (P[2] == 2.5).all()
    assert (P[:, 2] == 2.5).all()
    with pytest.raises(ValueError, match="must have those 3 rows"):
        model.score(R[:2])
    np.testing.assert_array_equal(model.train_.toarray(), R)  # kept sparse: what a save needs to predict again
    assert {"train_.indptr", "train_.indices", "train_.values", "train_.shape"} <= set(model.arrays())
    monkeypatch.setattr(ranking, "BATCH_BYTES", 8)  # one user a batch: I-AutoRec still gets all its rows at once
    np.testing.assert_array_equal(model.recommend(R, 2), top_k(np.where(R > 0, -np.inf, P), 2))
    U = AutoRec("user", hidden=4, epochs=2, default_rating=2.5).fit(R)
    assert U.score(np.array([[0.0, 4.0, 0.0]])).shape == (1, 3)  # U-AutoRec folds in a new user


# What they learn on synthetic data ----------------------------------------------------------------------------


def test_on_synthetic_data_the_models_beat_popularity(heldout) -> None:  # type: ignore[no-untyped-def]
    popularity = _test_ndcg(Popularity().fit(heldout.train), heldout)
    ease = _test_ndcg(EASE(50.0).fit(heldout.train), heldout)
    dae = MultDAE((32,), epochs=30, lr=3e-3, batch_size=64, seed=1).fit(heldout.train, heldout.validation)
    assert ease > popularity + 0.03
    assert _test_ndcg(dae, heldout) > popularity + 0.03
    assert 1 <= dae.best_epoch_ <= 30
    assert dae.validation_score_ == pytest.approx(fold_in_ndcg(dae.score, heldout.validation)())
    trace = dae.validation_trace_  # (epoch, training loss, validation NDCG@100) per epoch run
    assert trace.shape == (30, 3)
    np.testing.assert_array_equal(trace[:, 0], np.arange(1, 31))
    assert trace[dae.best_epoch_ - 1, 2] == dae.validation_score_ == trace[:, 2].max()
    assert MultDAE((8,), epochs=2).fit(heldout.train).validation_trace_.shape == (0, 3)  # no validation data


def test_on_synthetic_ratings_autorec_beats_biases_beats_the_mean(ratings) -> None:  # type: ignore[no-untyped-def]
    R, V, T = ratings.train.matrix(), ratings.validation.matrix(), ratings.test

    def test_rmse(model) -> float:  # type: ignore[no-untyped-def]
        return rmse(model.predict(T.user, T.item), T.rating)

    mean = test_rmse(GlobalMean().fit(R))
    biases = test_rmse(Biases(l2=5.0).fit(R))
    settings = {"hidden": 32, "l2": 1e-3, "lr": 1e-2, "epochs": 60, "patience": 20, "seed": 0}
    u_autorec = AutoRec("user", batch_size=32, **settings).fit(R, V)
    i_autorec = AutoRec("item", batch_size=16, **settings).fit(R, V)
    assert biases < mean - 0.05
    assert test_rmse(u_autorec) < biases - 0.1  # measured: mean 1.02, biases 0.90, U-AutoRec 0.75, I-AutoRec 0.86
    assert test_rmse(i_autorec) < biases - 0.02


def test_training_is_reproducible_from_the_seed(heldout) -> None:  # type: ignore[no-untyped-def]
    a = MultVAE((16, 8), epochs=2, seed=3).fit(heldout.train).score(heldout.test.input)
    b = MultVAE((16, 8), epochs=2, seed=3).fit(heldout.train).score(heldout.test.input)
    np.testing.assert_array_equal(a, b)
    c = MultVAE((16, 8), epochs=2, seed=4).fit(heldout.train).score(heldout.test.input)
    assert not np.array_equal(a, c)


def test_cdae_uses_training_users_nodes_only_when_told_whose_rows_they_are(heldout) -> None:  # type: ignore[no-untyped-def]
    model = CDAE(8, epochs=2, seed=0).fit(heldout.train)
    X = heldout.train[:3]
    as_new = model.score(X)
    as_known = model.score(X, users=np.arange(3))
    assert not np.allclose(as_new, as_known)
    np.testing.assert_array_equal(model.score(X), as_new)  # the node is switched off again afterwards
    hidden = model.network_.encoder.forward  # the node's offset is exactly V[u] on the hidden layer
    with model.network_.inference():
        model.node_.users = np.arange(3)
        with_node = hidden(X.astype(np.float32))
        model.node_.users = None
        np.testing.assert_allclose(with_node - hidden(X.astype(np.float32)), model.node_.params["V"][:3], atol=1e-6)


def test_vae_beta_is_annealed_to_its_cap(heldout) -> None:  # type: ignore[no-untyped-def]
    model = MultVAE((16, 8), epochs=4, batch_size=100, beta_cap=0.3, anneal_updates=6).fit(heldout.train)
    steps_per_epoch = -(-heldout.train.shape[0] // 100)
    assert model.sampler_.beta == pytest.approx(0.3 * min(1.0, 4 * steps_per_epoch / 6))


def test_vae_beta_follows_the_planned_epochs_whatever_the_data_size() -> None:
    model = MultVAE((16, 8), epochs=10, batch_size=100, beta_cap=0.2)
    model.n_items_ = 20
    model._build(np.random.default_rng(0))
    for n_rows in (300, 30_000):  # 3 and 300 updates an epoch
        (annealing,) = model._callbacks(n_rows)
        annealing.on_train_begin(None)
        path = []
        for epoch in range(1, 11):
            annealing.on_epoch_end(epoch, {}, None)
            path.append(model.sampler_.beta)
        np.testing.assert_allclose(path, 0.2 * np.arange(1, 11) / 10)


def test_a_vae_reports_the_schedule_its_epoch_was_chosen_under(heldout) -> None:  # type: ignore[no-untyped-def]
    model = MultVAE((16, 8), epochs=6, batch_size=100, seed=0).fit(heldout.train, heldout.validation)
    steps = -(-heldout.train.shape[0] // 100)
    assert model.chosen() == {"epochs": model.best_epoch_, "anneal_updates": 6 * steps}
    refit = MultVAE((16, 8), batch_size=100, seed=0, **model.chosen()).fit(heldout.train)
    assert refit.sampler_.beta == pytest.approx(0.2 * model.best_epoch_ / 6)  # the same β at that epoch


def test_monitor_keeps_the_best_epoch_and_stops_early(heldout) -> None:  # type: ignore[no-untyped-def]
    model = MultDAE((16,), epochs=40, patience=3, lr=3e-2, seed=0).fit(heldout.train, heldout.validation)
    assert model.best_epoch_ < 40  # stopped early
    assert ndcg_at_k(*_masked(model, heldout.validation), 60) == pytest.approx(model.validation_score_)


def _masked(model, fold):  # type: ignore[no-untyped-def]
    scores = np.array(model.score(fold.input), dtype=np.float64)
    scores[fold.input > 0] = -np.inf
    return scores, fold.targets
