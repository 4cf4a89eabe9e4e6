"""The core gradient checker: it must pass correct code and fail wrong code."""

from __future__ import annotations

import numpy as np
import pytest
from broken_layers import MissingBiasSum, NeverWritesGrads, SignError, Square, SquareWithoutTheTwo
from helpers import seeds, uniform
from hypothesis import given

import autoencoder_np as ae
from autoencoder_np import gradcheck as gc


@given(seed=seeds)
def test_numerical_gradient_of_known_functions(seed: int) -> None:
    x = uniform(seed, (3, 4))
    np.testing.assert_allclose(gc.numerical_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(gc.numerical_gradient(lambda v: float(np.sum(np.sin(v))), x), np.cos(x), atol=1e-9)


def test_numerical_gradient_restores_x_and_wants_float64() -> None:
    x = uniform(0, (2, 2))
    before = x.copy()
    gc.numerical_gradient(lambda v: float(v.sum()), x)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(TypeError, match="must be float64"):
        gc.numerical_gradient(lambda v: float(v.sum()), x.astype(np.float32))


def test_rel_error_and_bands() -> None:
    assert gc.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert gc.rel_error(np.array([1.0]), np.array([1.1])) == pytest.approx(0.1 / 1.1)
    assert gc.rel_error(np.array([1e-12]), np.array([0.0]), atol=1e-9) == 0.0
    assert np.isnan(gc.rel_error(np.array([np.nan]), np.array([1.0])))
    assert [gc.band(e) for e in (1e-1, 1e-3, 1e-5, 1e-9, np.nan)] == [
        "probably wrong", "uncomfortable", "fine with kinks", "good", "probably wrong",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("layer", "failing"),
    [
        (MissingBiasSum(4, 3, rng=0), {"b"}),
        (NeverWritesGrads(4, 3, rng=0), {"W", "b"}),
        (SignError(), {"x (input)"}),
    ],
)
def test_wrong_backward_fails_on_the_right_rows(layer: ae.Layer, failing: set[str]) -> None:
    report = gc.check_layer(layer, uniform(1, (5, 4)))
    assert not report.passed
    assert {row.name for row in report.rows if not row.passed} == failing
    assert "FAIL" in report.summary()


def test_a_tiny_mistake_in_one_entry_is_found() -> None:
    class OneEntryOff(ae.Dense):
        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            grad_x = super().backward(grad_y)
            self.grads["W"][1, 2] *= 1 + 1e-5
            return grad_x

    report = gc.check_layer(OneEntryOff(4, 3, rng=0), uniform(0, (5, 4)))
    assert not report["W"].passed
    assert report["W"].worst_index == (1, 2)
    assert report["W"].max_rel_error == pytest.approx(1e-5, rel=1e-3)


def test_float32_layer_is_checked_in_float64_with_a_note() -> None:
    layer = ae.Dense(3, 2, rng=0, dtype=np.float32)
    report = gc.check_layer(layer, uniform(0, (4, 3)))
    assert report.passed
    assert report.upcast == "float32 parameters were copied to float64 for the check"
    assert layer.params["W"].dtype == np.float32  # the user's layer is untouched
    model = ae.Autoencoder.from_sizes([3, 2], seed=0, dtype=np.float32)
    assert gc.check_model(model, uniform(0, (4, 3)), ae.MSELoss()).passed


def test_relu_network_with_inputs_at_the_kink_reports_kinks_without_failing() -> None:
    model = ae.Sequential([ae.Dense(3, 4, rng=0), ae.ReLU(), ae.Dense(4, 3, rng=1)])
    x = uniform(0, (6, 3))
    # put the first unit's pre-activation of the first row exactly at 0
    W, b = model.params["0.W"], model.params["0.b"]
    b[0] = -(x[0] @ W[:, 0])
    report = gc.check_layer(model, x)
    assert report.passed, str(report)
    assert report.n_kinks > 0
    assert "kink(s) skipped" in report.summary()


def test_a_correct_layer_at_a_tiny_input_is_not_failed_by_the_rounding_of_x_plus_h() -> None:
    # Found by hypothesis: at x = 6e-125, (x ± h)² = h² + 2xh rounds to h², so the numeric gradient is 0
    # while the analytic one is 2x·G; both are far below the rounding of L(x ± h), which the noise must count.
    tiny = np.full((3, 1), 6.06641816e-125)
    assert gc.check_layer(Square(), tiny).passed
    assert gc.check_function(lambda x: (x * x, x), lambda g, x: 2 * x * g, tiny).passed
    small = np.full((3, 1), 1e-5)  # the check stays sharp where a gradient is measurable
    assert gc.check_layer(Square(), small).passed
    assert gc.check_layer(SquareWithoutTheTwo(), small).hint_codes == ["factor"]


def test_check_layer_leaves_parameters_unchanged_and_validates_grad_y() -> None:
    layer = ae.Dense(3, 2, rng=0)
    before = layer.params["W"].copy()
    gc.check_layer(layer, uniform(0, (4, 3)))
    np.testing.assert_array_equal(layer.params["W"], before)
    with pytest.raises(ValueError, match=r"grad_y has shape \(4, 3\), expected the output shape \(4, 2\)"):
        gc.check_layer(layer, uniform(0, (4, 3)), grad_y=np.ones((4, 3)))


def test_the_modules_the_checker_had_before_it_was_a_package_still_import() -> None:
    from autoencoder_np import diagnosis, finite_differences, gradcheck_cli, gradcheck_report

    assert gradcheck_report.GradCheckReport is gc.GradCheckReport
    assert gradcheck_report.EpsSweep is gc.EpsSweep
    assert gradcheck_report.band is gc.band
    assert diagnosis.HINT_CODES is gc.HINT_CODES
    assert diagnosis.Hint is gc.Hint
    assert finite_differences.numerical_gradient is gc.numerical_gradient
    assert finite_differences.DEFAULT_STEPS is gc.DEFAULT_STEPS
    assert gradcheck_cli.run is gc.cli.run
    assert callable(gradcheck_cli.add_arguments)
    assert gradcheck_cli.details is gc.outcomes.Outcome.details


def test_report_prints_a_table_with_every_row() -> None:
    report = gc.check_layer(ae.Dense(3, 2, rng=0), uniform(0, (4, 3)))
    text = str(report)
    assert text.splitlines()[0].startswith("gradient check PASS: Dense(3→2)")
    for name in ("W", "b", "x (input)"):
        assert any(line.startswith(name) for line in text.splitlines())


def test_a_zero_gradient_where_the_loss_curves_sharply_is_not_a_false_failure() -> None:
    # BCE at p = t = 0.05: dL/dp = 0 exactly, while central differences' truncation error (h²/6 · L‴) is ~1e-9,
    # far above their rounding noise: the relative error would read 1. Richardson extrapolation agrees with 0.
    pred = np.array([[0.05, 0.3], [0.5, 0.7]])
    report = gc.check_loss(ae.BCELoss(), pred, pred.copy())
    assert report.passed, str(report)
    assert report.notes == [
        "1 in pred: central differences disagreed, Richardson extrapolation agreed (the gradient is near 0 where "
        "L curves sharply: central differences' own truncation error)"
    ]

    class ZeroDerivative(ae.BCELoss):  # a real bug at the same point still fails
        def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
            return np.zeros_like(pred)

    target = pred.copy()
    target[0, 0] = 0.2
    assert not gc.check_loss(ZeroDerivative(), pred, target).passed
