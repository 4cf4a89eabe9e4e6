"""Every metric against a tiny case computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autoencoder_np.recsys import metrics

# Two users, five items. Scores rank user 0's items as 4, 0, 2, 1, 3 and user 1's as 0, 1, 2, 3, 4.
SCORES = np.array([[0.9, 0.2, 0.5, 0.1, 1.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
# User 0 holds out items {0, 3}; user 1 holds out {1, 2, 3}.
TARGETS = np.array([[1, 0, 0, 1, 0], [0, 1, 1, 1, 0]])


def test_recall_normalized_and_plain_by_hand() -> None:
    # K = 2: user 0's top 2 = {4, 0}: 1 hit, |T| = 2 -> 1/min(2, 2) = 1/2; user 1's top 2 = {0, 1}: 1 hit,
    # |T| = 3 -> normalized 1/min(2, 3) = 1/2, plain 1/3.
    assert metrics.recall_at_k(SCORES, TARGETS, 2) == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert metrics.recall_at_k(SCORES, TARGETS, 2, normalized=False) == pytest.approx((1 / 2 + 1 / 3) / 2)
    # K = 4: user 0's top 4 = {4, 0, 2, 1}: 1 hit -> 1/2; user 1's = {0, 1, 2, 3}: 3 hits -> 3/3.
    assert metrics.recall_at_k(SCORES, TARGETS, 4) == pytest.approx((1 / 2 + 1) / 2)


def test_precision_by_hand() -> None:
    assert metrics.precision_at_k(SCORES, TARGETS, 2) == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert metrics.precision_at_k(SCORES, TARGETS, 4) == pytest.approx((1 / 4 + 3 / 4) / 2)


def test_ndcg_by_hand() -> None:
    d = [1 / math.log2(r + 1) for r in range(1, 6)]  # discounts of ranks 1…5
    # K = 3. User 0: hits at rank 2 (item 0); IDCG over min(3, 2) = 2 items.
    user0 = d[1] / (d[0] + d[1])
    # User 1: hits at ranks 2, 3 (items 1, 2); IDCG over 3 items.
    user1 = (d[1] + d[2]) / (d[0] + d[1] + d[2])
    assert metrics.ndcg_at_k(SCORES, TARGETS, 3) == pytest.approx((user0 + user1) / 2)
    perfect = np.where(TARGETS > 0, 1.0, 0.0)
    assert metrics.ndcg_at_k(perfect, TARGETS, 3) == pytest.approx(1.0)


def test_coverage_by_hand() -> None:
    # top 2: user 0 {4, 0}, user 1 {0, 1} -> items {0, 1, 4} of 5
    assert metrics.coverage_at_k(SCORES, 2) == pytest.approx(3 / 5)


def test_ties_go_to_the_lower_item_and_users_without_targets_are_left_out() -> None:
    scores = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    targets = np.array([[0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(metrics.top_k(scores, 2), [[0, 1], [0, 1]])
    assert metrics.recall_at_k(scores, targets, 1) == 0.0  # item 0 wins the tie; only user 0 counts
    assert metrics.recall_at_k(scores, targets, 2) == 1.0


def test_excluded_items_at_minus_infinity_are_ranked_last() -> None:
    scores = np.array([[-np.inf, 0.1, 0.2]])
    np.testing.assert_array_equal(metrics.top_k(scores, 3), [[2, 1, 0]])


def test_rmse_and_mae_by_hand() -> None:
    pred, true = np.array([3.0, 4.0, 1.0]), np.array([4.0, 4.0, 3.0])
    assert metrics.rmse(pred, true) == pytest.approx(math.sqrt((1 + 0 + 4) / 3))
    assert metrics.mae(pred, true) == pytest.approx((1 + 0 + 2) / 3)


def test_ranking_report_has_every_metric_at_every_k() -> None:
    report = metrics.ranking_report(SCORES, TARGETS, ks=(2, 3))
    assert report["recall@2"] == metrics.recall_at_k(SCORES, TARGETS, 2)
    assert set(report) == {
        f"{m}@{k}" for m in ("recall", "plain_recall", "precision", "ndcg", "coverage") for k in (2, 3)
    }


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: metrics.recall_at_k(SCORES, TARGETS[:1], 2), ValueError, "targets have shape"),
        (lambda: metrics.recall_at_k(SCORES, np.zeros_like(TARGETS), 2), ValueError, "no user has a target"),
        (lambda: metrics.ndcg_at_k(SCORES, TARGETS, 0), ValueError, "k must be ≥ 1"),
        (lambda: metrics.top_k(SCORES, 6), ValueError, "more than the 5 items"),
        (lambda: metrics.top_k(np.array([[np.nan, 1.0]]), 1), ValueError, "scores hold NaN"),
        (lambda: metrics.rmse(np.ones(3), np.ones(2)), ValueError, "must pair up"),
        (lambda: metrics.mae(np.array([]), np.array([])), ValueError, "pred is empty"),
        (lambda: metrics.precision_at_k(SCORES, TARGETS, 2.0), TypeError, "k must be an integer"),
    ],
)
def test_bad_input_is_a_clear_error(call, error: type[Exception], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()
