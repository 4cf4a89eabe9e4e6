"""Numeric methods (central, Richardson, complex step), large-tensor sampling, layer-by-layer, eps sweep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from broken_layers import NeverWritesGrads, SignError, Square, SquareWithoutTheTwo
from helpers import seeds, uniform
from hypothesis import given

import autoencoder_np as ae
from autoencoder_np import gradcheck as gc
from autoencoder_np.plotting import save_eps_sweep

SMOOTH = [
    lambda: ae.Dense(4, 3, rng=0),
    ae.Tanh,
    ae.Identity,
    lambda: ae.Sequential([ae.Dense(4, 5, rng=0), ae.Tanh(), ae.Dense(5, 2, rng=1)]),
]


@pytest.mark.parametrize("make", SMOOTH)
@pytest.mark.parametrize("method", ["complex-step", "richardson"])
def test_other_methods_agree_with_central_on_smooth_layers(make: type, method: str) -> None:
    x = uniform(0, (3, 4))
    central = gc.check_layer(make(), x)
    other = gc.check_layer(make(), x, method=method)
    assert central.passed
    assert other.passed, str(other)
    assert other.method == method
    assert other.notes == []
    for row, reference in zip(other.rows, central.rows, strict=True):
        np.testing.assert_allclose(row.numeric, reference.numeric, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(row.numeric, row.analytic, rtol=1e-10, atol=1e-12)  # both are more exact


def test_complex_step_is_exact_to_rounding() -> None:
    report = gc.check_layer(ae.Tanh(), uniform(0, (3, 4)), method="complex-step", rtol=1e-13)
    assert report.passed, str(report)


def test_complex_step_says_when_a_layer_is_not_complex_safe_and_keeps_the_right_verdict() -> None:
    correct = gc.check_layer(ae.Sigmoid(), uniform(0, (3, 4)), method="complex-step")
    assert correct.passed  # central differences decide, not the wrong complex step
    assert any("not complex-safe" in note and "x (input)" in note for note in correct.notes)
    wrong = gc.check_layer(SignError(), uniform(0, (3, 4)), method="complex-step")
    assert not wrong.passed
    assert wrong.hint_codes == ["sign"]


def test_complex_step_on_a_loss_that_refuses_complex_numbers_falls_back_with_a_note() -> None:
    report = gc.check_loss(ae.MSELoss(), uniform(0, (3, 4)), uniform(1, (3, 4)), method="complex-step")
    assert report.passed
    assert report.notes[0].startswith("complex step unavailable: MSELoss() refuses complex numbers (TypeError")


def test_richardson_is_more_accurate_than_central() -> None:
    x = uniform(0, (3, 4))
    errors = {}
    for method in ("central", "richardson"):
        row = gc.check_layer(ae.Tanh(), x, method=method)["x (input)"]
        errors[method] = np.max(np.abs(row.numeric - row.analytic))
    assert errors["richardson"] < errors["central"] / 10


@given(seed=seeds)
def test_numerical_gradient_methods_on_a_known_function(seed: int) -> None:
    x = uniform(seed, (2, 3))
    for method in gc.METHODS:
        grad = gc.numerical_gradient(lambda v: np.sum(np.sin(v) * v), x, method=method)
        np.testing.assert_allclose(grad, np.cos(x) * x + np.sin(x), rtol=1e-8, atol=1e-9)


class OneEntryOff(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads["W"][117, 45] *= 1.001
        return grad_x


def test_large_tensor_mode_finds_one_wrong_entry_among_more_than_ten_thousand() -> None:
    layer = OneEntryOff(200, 60, rng=0)  # W has 12 000 entries
    report = gc.check_layer(layer, uniform(0, (2, 200)))
    assert not report.passed
    row = report["W"]
    assert row.n_checked == 12_000  # the sampled check failed, so every entry was checked
    assert row.worst_index == (117, 45)
    wrong = ~np.isclose(row.analytic, row.numeric, rtol=1e-6)
    assert [tuple(int(i) for i in index) for index in np.argwhere(wrong)] == [(117, 45)]
    assert row.hint_codes == ["few_entries"]
    assert "only 1 of 12000 entries is wrong, at (117, 45)" in row.hints[0]
    assert "W: the sampled check failed, so every entry was checked" in report.notes


def test_large_tensor_mode_samples_a_correct_layer() -> None:
    report = gc.check_layer(ae.Dense(200, 60, rng=0), uniform(0, (2, 200)))
    assert report.passed
    row = report["W"]
    assert row.sampled
    assert row.n_checked == gc.DEFAULT_SAMPLES
    assert len(row.directions) == gc.DEFAULT_DIRECTIONS
    assert "W: 12000 entries: 32 sampled entries and 3 random directions (uᵀ∇L) checked" in report.all_notes
    full = gc.check_layer(ae.Dense(200, 60, rng=0), uniform(0, (2, 200)), large=None)["W"]
    assert full.n_checked == 12_000
    assert not full.sampled


def test_layer_by_layer_check_names_the_first_failing_layer() -> None:
    class Doubled(ae.Dense):
        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            grad_x = super().backward(grad_y)
            self.grads["W"] = 2 * self.grads["W"]
            return grad_x

    model = ae.Autoencoder(
        ae.Sequential([ae.Dense(6, 4, rng=0), ae.ReLU()]), ae.Sequential([Doubled(4, 6, rng=1), ae.Sigmoid()])
    )
    report = gc.check_model_layers(model, uniform(0, (3, 6)))
    assert not report.passed
    assert [path for path, _ in report.layers] == ["encoder.0", "encoder.1", "decoder.0", "decoder.1"]
    assert report.first_failure == "decoder.0"
    assert report.hint_codes == ["factor"]
    assert report.hints[0].startswith("decoder.0: W: analytic/numeric ratio is 2.00")
    assert "first failing layer decoder.0 (Dense(4→6))" in report.summary()
    # the layers get different random upstream gradients
    assert not np.allclose(report["encoder.0"]["W"].analytic[:1, :1], report["decoder.0"]["W"].analytic[:1, :1])


def test_layer_by_layer_check_of_a_correct_float32_model() -> None:
    model = ae.Autoencoder.from_sizes([5, 3], seed=0, dtype=np.float32, input_dropout=0.2)
    report = gc.check_model_layers(model, uniform(0, (4, 5)))
    assert report.passed, str(report)
    assert report.first_failure is None
    assert report.notes == ["float32 parameters were copied to float64 for the check"]
    assert model.params["encoder.1.W"].dtype == np.float32


def test_eps_sweep_shows_truncation_and_rounding(tmp_path: Path) -> None:
    sweep = gc.eps_sweep()
    assert sweep.eps[0] == pytest.approx(1e-1)
    assert sweep.eps[-1] == pytest.approx(1e-12)
    assert set(sweep.errors) == {"central float64", "central float32", "richardson float64", "complex step"}
    eps64, error64 = sweep.best("central float64")
    assert 1e-7 <= eps64 <= 1e-4
    assert error64 < 1e-8
    assert sweep.best("central float32")[1] > 1e3 * error64  # float32 rounding dominates
    central = sweep.errors["central float64"]
    assert central[0] > 1e3 * error64
    assert central[-1] > 1e3 * error64
    assert np.all(sweep.errors["complex step"][sweep.eps <= 1e-8] < 1e-14)
    assert sweep.notes == []
    png = save_eps_sweep(sweep, tmp_path / "sweep.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eps_sweep_of_a_layer_that_is_not_complex_safe_says_so() -> None:
    sweep = gc.eps_sweep(ae.Sigmoid(), uniform(0, (2, 3)), eps=[1e-3, 1e-6])
    assert len(sweep.errors["complex step"]) == 2
    assert sweep.notes == ["complex step: the layer is not complex-safe (np.abs, …): its curve is wrong"]


def test_eps_sweep_of_a_wrong_backward_says_the_backward_is_wrong_not_that_it_is_not_complex_safe() -> None:
    right = gc.eps_sweep(Square(), uniform(0, (3, 4)))
    assert right.notes == []
    assert right.best("complex step")[1] < 1e-14
    wrong = gc.eps_sweep(SquareWithoutTheTwo(), uniform(0, (3, 4)))
    assert not any("complex-safe" in note for note in wrong.notes), wrong.notes
    assert len(wrong.notes) == 1
    assert wrong.notes[0].startswith("backward is wrong (gradient check FAIL: SquareWithoutTheTwo(): max relative")
    assert wrong.best("complex step")[1] == pytest.approx(0.5)  # every curve shows the mistake, ratio 1/2


@pytest.mark.parametrize("layer", [ae.Tanh(), ae.Sequential([ae.Dense(4, 3, rng=0), ae.Tanh()])])
def test_eps_sweep_errors_are_the_tables_relative_error(layer: ae.Layer) -> None:
    x = uniform(0, (3, 4))
    x[0, 0] = 0.05  # dL/dx entries of very different sizes: max|n − a| / max|a| would understate the error
    steps = [1e-2, 1e-3]
    sweep = gc.eps_sweep(layer, x, eps=steps, seed=3)  # the same G as check_layer(..., seed=3)
    for k, eps in enumerate(steps):
        row = gc.check_layer(layer, x, eps=eps, seed=3)["x (input)"]
        assert row.max_rel_error > 1e-8  # truncation, far above the table's noise floor
        assert sweep.errors["central float64"][k] == pytest.approx(row.max_rel_error, rel=1e-6)
        richardson = gc.check_layer(layer, x, eps=eps, seed=3, method="richardson")["x (input)"]
        expected = gc.rel_error(richardson.analytic, richardson.numeric)
        assert sweep.errors["richardson float64"][k] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "forward"}, ValueError, "method must be one of central, complex-step, richardson, got 'forward'"),
        ({"eps": 0.0}, ValueError, "check_layer: eps must be in"),
        ({"rtol": -1.0}, ValueError, "check_layer: rtol must be in"),
        ({"large": 0}, ValueError, "check_layer: large must be ≥ 1"),
        ({"seed": "a"}, TypeError, "check_layer: seed must be an integer"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        gc.check_layer(ae.Tanh(), uniform(0, (2, 3)), **kwargs)


def test_a_backward_returning_none_is_a_clear_error() -> None:
    class ReturnsNothing(ae.Tanh):
        def backward(self, grad_y: np.ndarray) -> None:
            super().backward(grad_y)

    with pytest.raises(TypeError, match=r"backward returned None; it must return dL/dx \(shape \(2, 3\)\)"):
        gc.check_layer(ReturnsNothing(), uniform(0, (2, 3)))


def test_a_gradient_never_written_in_a_later_row_makes_the_whole_report_nan() -> None:
    class ForgetsBias(ae.Dense):
        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            self.grads["W"] = self.cache["x"].T @ grad_y
            return grad_y @ self.params["W"].T

    report = gc.check_layer(ForgetsBias(3, 2, rng=0), uniform(0, (4, 3)))
    assert [row.name for row in report.rows if not row.passed] == ["b"]  # the NaN row sits between two zeros
    assert np.isnan(report.max_rel_error)
    assert report.summary() == "gradient check FAIL: Dense(3→2): max relative error nan (probably wrong, in b)"


def test_report_to_dict_is_json_ready() -> None:
    data = gc.check_layer(NeverWritesGrads(3, 2, rng=0), uniform(0, (4, 3))).to_dict()
    assert data["passed"] is False
    assert data["max_rel_error"] is None  # NaN becomes null
    assert [h["code"] for h in data["hints"]] == ["not_written", "not_written"]
    assert data["rows"][0]["name"] == "W"
    assert data["rows"][0]["shape"] == [3, 2]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: gc.eps_sweep(eps=[1e-3, 0.0]), ValueError, "eps_sweep: every eps must be > 0, got 0.0"),
        (lambda: gc.check_model_layers(ae.Sequential([ae.Tanh()]), "x"), TypeError, "check_model_layers: x must be"),
        (lambda: gc.check_loss(ae.MSELoss(), [[1.0]], [[1.0]], method="exact"), ValueError, "check_loss: method"),
        (lambda: gc.numerical_gradient(np.sum, np.ones(2), method="exact"), ValueError, "numerical_gradient: method"),
    ],
)
def test_other_entry_points_reject_bad_input_clearly(call: Callable[[], object], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
