"""autoencoder_np.testing: assertions, strategies and the fixture, in process (the downstream run is elsewhere)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import numpy as np
import pytest
from broken_layers import MissingBiasSum, MSEWithoutMean
from helpers import uniform
from hypothesis import given, settings
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np.gradcheck import named_leaves
from autoencoder_np.testing import strategies
from autoencoder_np.testing.assertions import GradCheck

MARGIN = strategies.KINK_MARGIN


class OneEntryOff(ae.Dense):
    """dL/dW is off by 0.1% in one entry: fails the default rtol (1e-6), passes rtol 1e-2."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        grad_x = super().backward(grad_y)
        self.grads["W"][1, 2] *= 1.001
        return grad_x


def test_a_passing_assertion_is_silent_and_returns_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    report = ae.testing.assert_layer_gradients(ae.Dense(4, 3, rng=0), uniform(0, (5, 4)))
    assert report.passed
    assert capsys.readouterr() == ("", "")


def test_a_failing_assertion_is_an_assertion_error_whose_message_is_the_report() -> None:
    with pytest.raises(AssertionError) as caught:
        ae.testing.assert_layer_gradients(MissingBiasSum(4, 3, rng=0), uniform(0, (5, 4)))
    message = str(caught.value)
    assert message == str(caught.value.report)  # type: ignore[attr-defined]
    assert message.startswith("gradient check FAIL: Dense(4→3): max relative error")
    assert "\nb                     (3,)" in message
    assert "hint: b: the analytic gradient equals row 0 of dL/dy" in message
    assert message.splitlines()[-1].endswith("[bias_sum]")


def test_the_model_assertion_names_the_first_failing_layer() -> None:
    model = ae.Sequential([ae.Dense(4, 3, rng=0), ae.Tanh(), MissingBiasSum(3, 4, rng=1)])
    with pytest.raises(AssertionError, match=r"(?s)gradient check FAIL: .*first failing layer 2 \(Dense\(3→4\)\)"):
        ae.testing.assert_model_gradients(model, uniform(0, (5, 4)), ae.MSELoss())
    ae.testing.assert_model_gradients(ae.Autoencoder.from_sizes([4, 2], seed=0), uniform(0, (5, 4)), ae.MSELoss())


def test_the_loss_and_function_assertions() -> None:
    pred, target, mask = uniform(0, (5, 4)), uniform(1, (5, 4)), np.ones((5, 4))
    ae.testing.assert_loss_gradients(ae.MSELoss(), pred, target, mask)
    with pytest.raises(AssertionError, match=r"\[batch_mean\]"):
        ae.testing.assert_loss_gradients(MSEWithoutMean(), pred, target)

    def square_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x * x, x

    ae.testing.assert_function_gradients(square_forward, lambda g, x: 2 * x * g, pred)
    with pytest.raises(AssertionError, match=r"ratio is 0.50 .*\[factor\]"):
        ae.testing.assert_function_gradients(square_forward, lambda g, x: x * g, pred)


def test_gradcheck_settings_apply_to_every_assertion_and_calls_override_them() -> None:
    x = uniform(0, (5, 4))
    with pytest.raises(AssertionError, match=r"\[few_entries\]"):
        GradCheck().layer(OneEntryOff(4, 3, rng=0), x)
    loose = GradCheck(method="richardson", rtol=1e-2)
    assert loose.layer(OneEntryOff(4, 3, rng=0), x).method == "richardson"
    with pytest.raises(AssertionError):
        loose.layer(OneEntryOff(4, 3, rng=0), x, rtol=1e-6)
    assert loose.loss(ae.MSELoss(), x, uniform(1, (5, 4))).rtol == 1e-2
    assert loose.model(ae.Autoencoder.from_sizes([4, 2], seed=0), x, ae.MSELoss()).passed
    assert loose.function(lambda x: (2 * x, None), lambda g, c: 2 * g, x).passed


def test_the_fixture_takes_the_command_line_settings(
    pytestconfig: pytest.Config, request: pytest.FixtureRequest
) -> None:
    if not pytestconfig.pluginmanager.has_plugin("autoencoder_np"):
        pytest.skip("the pytest11 entry point is not installed: pip install -e . again")
    gradcheck = request.getfixturevalue("gradcheck")
    assert gradcheck == GradCheck(pytestconfig.getoption("gradcheck_method"), pytestconfig.getoption("gradcheck_rtol"))
    assert gradcheck.layer(ae.Tanh(), uniform(0, (3, 4))).passed


@given(x=ae.testing.inputs_for(ae.ReLU()))
def test_inputs_for_a_kinked_layer_keep_away_from_its_kink(x: np.ndarray) -> None:
    assert x.dtype == np.float64
    assert 3 <= x.shape[0] <= 6
    assert 1 <= x.shape[1] <= 5
    assert np.all(np.abs(x) >= MARGIN)
    assert np.all(np.abs(x) <= strategies.VALUE_RANGE)
    report = ae.testing.assert_layer_gradients(ae.ReLU(), x)
    assert report.n_kinks == 0


RELU_MODEL = ae.Sequential([ae.Dense(4, 3, rng=0), ae.ReLU(), ae.Dense(3, 2, rng=1), ae.LeakyReLU(0.1)])


@given(x=ae.testing.inputs_for(RELU_MODEL))
def test_inputs_for_a_model_keep_its_inner_kinks_away(x: np.ndarray) -> None:
    assert x.shape[1] == 4  # the first Dense's in_features
    RELU_MODEL.forward(x)
    for _, leaf in named_leaves(RELU_MODEL):
        if getattr(leaf, "kinks", ()):
            assert np.all(np.abs(leaf.cache["x"]) >= MARGIN)
    assert ae.testing.assert_layer_gradients(RELU_MODEL, x).n_kinks == 0


def _noisy_relu_model() -> ae.Sequential:
    """Dropout before a Dense and a ReLU: a dropped row feeds the ReLU its bias, 0."""
    return ae.Sequential([ae.Dropout(0.5, rng=0), ae.Dense(4, 4, rng=0), ae.ReLU()])


@given(x=ae.testing.inputs_for(_noisy_relu_model()))
def test_inputs_for_a_model_with_noise_keep_its_kinks_away_under_the_noise_a_check_draws(x: np.ndarray) -> None:
    assert ae.testing.assert_layer_gradients(_noisy_relu_model(), x).n_kinks == 0
    assert ae.testing.assert_model_gradients(_noisy_relu_model(), x, ae.MSELoss()).n_kinks == 0


@given(x=ae.testing.inputs_for(ae.Tanh(), shape=(2, 7), low=-1.0, high=0.5))
def test_inputs_for_take_a_shape_and_a_range(x: np.ndarray) -> None:
    assert x.shape == (2, 7)
    assert np.all((x >= -1.0) & (x <= 0.5))


@given(v=strategies.values_between(-1.0, 1.0, kinks=(0.0, 0.5), margin=0.1))
def test_values_between_skip_every_kinks_neighbourhood(v: float) -> None:
    assert -1.0 <= v <= 1.0
    assert abs(v) >= 0.1
    assert abs(v - 0.5) >= 0.1 * (1 - 1e-12)  # 0.6 − 0.5 rounds to 0.09999999999999998


def test_values_between_refuse_a_range_with_no_room() -> None:
    with pytest.raises(ValueError, match=r"no value in \[-0.1, 0.1\] is 0.5 away from the kinks \[0.0\]"):
        strategies.values_between(-0.1, 0.1, kinks=(0.0,), margin=0.5)


@given(x=ae.testing.inputs_for(ae.Dense(3, 2, rng=0), batch=st.integers(1, 2)))
def test_inputs_for_take_a_batch_and_keep_the_layers_features(x: np.ndarray) -> None:
    assert x.shape in {(1, 3), (2, 3)}


def test_inputs_for_refuse_a_shape_and_a_batch() -> None:
    with pytest.raises(ValueError, match=r"^inputs_for: give shape or batch, not both"):
        ae.testing.inputs_for(ae.Tanh(), shape=(2, 3), batch=2)


@given(x=ae.testing.arrays(st.tuples(st.integers(1, 3), st.just(4)), low=-1.0, high=2.0, kinks=(0.0, 1.0)))
def test_arrays_keep_their_range_and_their_distance_from_the_kinks(x: np.ndarray) -> None:
    assert x.dtype == np.float64
    assert x.shape[1] == 4
    assert np.all((x >= -1.0) & (x <= 2.0))
    assert np.all(np.abs(x) >= MARGIN)
    assert np.all(np.abs(x - 1.0) >= MARGIN * (1 - 1e-12))


def test_arrays_draw_each_entry_on_its_own() -> None:
    # hypothesis's default fills most of an array with one value: 13 in 40 of these would hold at most 2
    distinct: list[int] = []

    @settings(derandomize=True, database=None, max_examples=40)
    @given(x=ae.testing.arrays((3, 4)))
    def draw(x: np.ndarray) -> None:
        distinct.append(len(np.unique(x)))

    draw()
    assert sum(n <= 2 for n in distinct) <= len(distinct) / 10


@given(mask=ae.testing.masks((4, 3), weights=(0.5, 2.0)))
def test_weighted_masks_weigh_each_observed_entry_within_the_range(mask: np.ndarray) -> None:
    observed = mask != 0
    assert observed.any()
    assert np.all((mask[observed] >= 0.5) & (mask[observed] <= 2.0))


@given(case=ae.testing.loss_inputs(ae.MSELoss(), shape=(3, 4), masked=False, low=-3.0, high=3.0))
def test_loss_inputs_take_a_range_and_keep_target_apart_from_pred(case: tuple[np.ndarray, np.ndarray, None]) -> None:
    pred, target, mask = case
    assert mask is None
    assert np.all((pred >= -3.0) & (pred <= 3.0))
    assert np.all((target >= 0.0) & (target <= 1.0))
    assert np.all(np.abs(target - pred) >= strategies.TARGET_MARGIN * (1 - 1e-12))
    ae.testing.assert_loss_gradients(ae.MSELoss(), pred, target, rtol=1e-7)


def _square_error(pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, tuple]:
    weights = np.ones_like(pred) if mask is None else mask
    return float(np.sum(weights * (pred - target) ** 2)), (pred, target, weights)


@given(case=ae.testing.loss_inputs(_square_error, masked=True))
def test_loss_inputs_for_a_plain_forward_function(case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    pred, target, mask = case
    ae.testing.assert_function_gradients(
        _square_error, lambda c: 2 * c[2] * (c[0] - c[1]), pred, target, mask, wrt=["pred"]
    )


@given(model=ae.testing.models(in_features=st.just(1), max_depth=1, max_width=1, corrupt=False))
def test_models_take_a_strategy_of_in_features_and_a_width(model: ae.Autoencoder) -> None:
    assert [value.shape for key, value in model.params.items() if key.endswith("W")] == [(1, 1), (1, 1)]


@given(mask=ae.testing.masks(st.tuples(st.integers(1, 4), st.integers(1, 4))))
def test_masks_are_0_1_with_an_observed_entry(mask: np.ndarray) -> None:
    assert set(np.unique(mask)) <= {0.0, 1.0}
    assert mask.sum() >= 1


@given(case=ae.testing.loss_inputs(ae.MSELoss(), masked=True))
def test_loss_inputs_prove_a_masked_loss(case: tuple[np.ndarray, np.ndarray, np.ndarray | None]) -> None:
    pred, target, mask = case
    assert mask is not None
    assert pred.shape == target.shape == mask.shape
    ae.testing.assert_loss_gradients(ae.MSELoss(), pred, target, mask)


@pytest.mark.parametrize("loss", [ae.MSELoss(), ae.BCELoss(), ae.BCEWithLogitsLoss(), ae.MultinomialLoss()])
@given(data=st.data())
def test_loss_inputs_suit_every_builtin_loss(loss: ae.Loss, data: st.DataObject) -> None:
    pred, target, mask = data.draw(ae.testing.loss_inputs(loss))
    if isinstance(loss, ae.MultinomialLoss):
        assert mask is None  # it takes no mask, so none is drawn
    ae.testing.assert_loss_gradients(loss, pred, target, mask)


@given(model=ae.testing.models(), data=st.data())
def test_random_models_from_the_library_pass_end_to_end(model: ae.Autoencoder, data: st.DataObject) -> None:
    assert named_leaves(model)[0][1].__class__ in (ae.Dense, ae.Dropout, ae.GaussianNoise)
    ae.testing.assert_model_gradients(model, data.draw(ae.testing.inputs_for(model)), ae.MSELoss())


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, stdin=subprocess.DEVNULL
    )
    return result.stdout.strip()


def test_import_loads_no_pytest_or_hypothesis_and_ae_testing_loads_them_only_when_used() -> None:
    out = _python(
        "import sys\nimport autoencoder_np as ae\n"
        "print('pytest' in sys.modules, 'hypothesis' in sys.modules)\n"
        "ae.testing.assert_layer_gradients\nprint('pytest' in sys.modules, 'hypothesis' in sys.modules)\n"
        "ae.testing.inputs_for\nprint('hypothesis' in sys.modules)"
    )
    assert out.split() == ["False", "False", "False", "False", "True"]


def test_the_plugin_imports_no_hypothesis_and_a_missing_hypothesis_is_a_clear_error() -> None:
    assert _python("import sys, autoencoder_np.testing.plugin\nprint('hypothesis' in sys.modules)") == "False"
    out = _python(
        "import sys\nsys.modules['hypothesis'] = None\nimport autoencoder_np as ae\n"
        "try:\n    ae.testing.inputs_for\nexcept ImportError as err:\n    print(err)"
    )
    assert out.startswith("autoencoder_np.testing.inputs_for needs hypothesis (")
    assert out.endswith("pip install 'autoencoder_np[testing]'")


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    points = {e.name: e.value for e in metadata.entry_points(group="pytest11")}
    if "autoencoder_np" not in points:
        pytest.skip("the pytest11 entry point is not installed: pip install -e . again")
    assert points["autoencoder_np"] == "autoencoder_np.testing.plugin"
