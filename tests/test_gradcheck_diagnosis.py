"""Diagnosis: each deliberately broken backward fails and gets the hint that names its mistake."""

from __future__ import annotations

import numpy as np
import pytest
from broken_layers import (
    DoubledTanh,
    HalvedMSE,
    InputThroughW,
    MissingBiasSum,
    MissingMean,
    MSEWithoutMean,
    NeverWritesGrads,
    SignError,
    TransposedShape,
    TransposedW,
    WritesZeros,
)
from helpers import batch_sizes, feature_sizes, seeds, uniform
from hypothesis import given

import autoencoder_np as ae
from autoencoder_np import gradcheck as gc
from autoencoder_np.gradcheck.diagnosis import HINT_CODES

N = 5  # batch size of the broken-layer tests: not 2, so "ratio 2" cannot also mean "the batch size"


@pytest.mark.parametrize(
    ("layer", "in_features", "row", "code", "numbers"),
    [
        (MissingMean(4, 3, rng=0), 4, "W", "batch_mean", "≈ the batch size 5"),
        (SignError(), 4, "x (input)", "sign", "ratio is -1.00"),
        (TransposedW(4, 3, rng=0), 4, "W", "transpose", "transposed and reshaped to (4, 3)"),
        (TransposedShape(4, 3, rng=0), 4, "W", "transpose", "a (3, 4) gradient for a (4, 3) quantity"),
        (InputThroughW(3, 3, rng=0), 3, "x (input)", "transpose", "dL/dy·W"),
        (MissingBiasSum(4, 3, rng=0), 4, "b", "bias_sum", "row 0 of dL/dy"),
        (NeverWritesGrads(4, 3, rng=0), 4, "W", "not_written", "NaN in all 12 entries"),
        (WritesZeros(4, 3, rng=0), 4, "W", "not_written", "0 in all 12 entries"),
        (DoubledTanh(), 4, "x (input)", "factor", "ratio is 2.00"),
    ],
)
def test_each_broken_layer_fails_with_its_hint(
    layer: ae.Layer, in_features: int, row: str, code: str, numbers: str
) -> None:
    report = gc.check_layer(layer, uniform(1, (N, in_features)))
    assert not report.passed
    assert not report[row].passed
    assert code in report[row].hint_codes, report[row].hints
    text = report[row].hints[report[row].hint_codes.index(code)]
    assert text.startswith(f"{row}: ")
    assert numbers in text
    assert text in report.hints
    assert f"hint: {text}" in str(report)


@pytest.mark.parametrize(
    ("loss", "code", "numbers"),
    [
        (MSEWithoutMean(), "batch_mean", "≈ the number of entries 20"),
        (HalvedMSE(), "factor", "ratio is 0.50"),
    ],
)
def test_each_broken_loss_fails_with_its_hint(loss: ae.Loss, code: str, numbers: str) -> None:
    report = gc.check_loss(loss, uniform(0, (N, 4)), uniform(1, (N, 4)))
    assert not report.passed
    assert code in report.hint_codes
    assert numbers in report.hints[report.hint_codes.index(code)]


def test_masked_loss_without_its_mean_names_the_observed_count() -> None:
    mask = (uniform(2, (N, 4)) > 0).astype(float)
    report = gc.check_loss(MSEWithoutMean(), uniform(0, (N, 4)), uniform(1, (N, 4)), mask)
    assert f"≈ Σ mask (the observed entries) {mask.sum():g}" in report.hints[0]


def test_only_the_bias_wrong_inside_a_model_is_named() -> None:
    model = ae.Sequential([MissingBiasSum(4, 3, rng=0), ae.Tanh(), ae.Dense(3, 2, rng=1)])
    report = gc.check_model(model, uniform(0, (N, 4)), ae.MSELoss(), target=uniform(1, (N, 2)))
    assert [row.name for row in report.rows if not row.passed] == ["0.b"]
    assert report["0.b"].hint_codes == ["bias_sum"]
    assert "only the bias gradient is wrong (0.W passes)" in report["0.b"].hints[0]


def test_a_negative_batch_ratio_names_both_mistakes() -> None:
    class NegativeMissingMean(MissingMean):
        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            return -super().backward(grad_y)

    report = gc.check_layer(NegativeMissingMean(4, 3, rng=0), uniform(1, (N, 4)))
    assert report["x (input)"].hint_codes == ["sign", "batch_mean"]


def test_every_code_used_is_documented() -> None:
    assert {"batch_mean", "sign", "factor", "bias_sum", "transpose", "not_written"} <= set(HINT_CODES)


@given(batch=batch_sizes, n_in=feature_sizes, n_out=feature_sizes, seed=seeds)
def test_correct_layers_get_no_hints_and_missing_means_always_do(batch: int, n_in: int, n_out: int, seed: int) -> None:
    x = uniform(seed, (batch + 2, n_in))  # at least 3 rows: a ratio of 1 or 2 would be ambiguous
    assert gc.check_layer(ae.Dense(n_in, n_out, rng=seed), x, seed=seed).hints == []
    report = gc.check_layer(MissingMean(n_in, n_out, rng=seed), x, seed=seed)
    assert not report.passed
    assert "batch_mean" in report["W"].hint_codes


@pytest.mark.parametrize("method", gc.METHODS)
def test_relu_network_with_inputs_near_zero_counts_kinks_and_passes(method: str) -> None:
    model = ae.Sequential([ae.Dense(3, 4, rng=0), ae.ReLU(), ae.Dense(4, 4, rng=1), ae.LeakyReLU(0.1)])
    model.params["0.b"][...] = 0.0
    x = uniform(0, (6, 3)) * 1e-6  # every pre-activation of the first ReLU lies within ±h of 0
    report = gc.check_layer(model, x, method=method)
    assert report.passed, str(report)
    assert report.n_kinks > 0
    assert report.hints == []
    assert "kink(s) skipped" in report.summary()
