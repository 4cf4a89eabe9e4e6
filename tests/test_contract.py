"""The contract every layer, loss and optimizer keeps, in the spirit of scikit-learn's ``check_estimator``.

One battery per kind runs against every entry of LAYERS, LOSSES and OPTIMIZERS: a new class is covered by
adding it to its list, and ``test_every_public_class_is_in_a_list`` fails until it is. The fuzz tests feed
each public entry point malformed arrays (any dtype, any number of dimensions, empty sides, NaN, inf,
huge values, non-arrays): only ValueError and TypeError may escape (and ``TrainingDiverged`` from ``fit``),
never a RuntimeWarning (pytest turns warnings into errors), never a silent NaN.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, batch_sizes, malformed_arrays, uniform
from hypothesis import given, settings
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np.gradcheck import check_layer, check_loss, check_model

IN = 3  # every layer of the list takes x: (batch, 3)
DTYPES = [np.float32, np.float64]
DOCUMENTED = (ValueError, TypeError)
#: The battery's gradient checks draw a few inputs per class; the property tests of test_layers,
#: test_activations, test_model and test_losses draw 40.
battery = settings(max_examples=5)

#: name -> a factory of the layer in a given dtype (parameter-free layers ignore it).
LAYERS: dict[str, Callable[[type], Any]] = {
    "Dense": lambda dt: ae.Dense(IN, 4, rng=0, dtype=dt),
    "ReLU": lambda dt: ae.ReLU(),
    "LeakyReLU": lambda dt: ae.LeakyReLU(0.2),
    "Sigmoid": lambda dt: ae.Sigmoid(),
    "Tanh": lambda dt: ae.Tanh(),
    "Identity": lambda dt: ae.Identity(),
    "Dropout": lambda dt: ae.Dropout(0.4, rng=0),
    "GaussianNoise": lambda dt: ae.GaussianNoise(0.3, rng=0),
    "Sequential": lambda dt: ae.Sequential(
        [ae.Dense(IN, 4, rng=0, dtype=dt), ae.Tanh(), ae.Dense(4, 2, rng=1, dtype=dt)]
    ),
    "Autoencoder": lambda dt: ae.Autoencoder.from_sizes(
        [IN, 2], hidden_activation="tanh", input_dropout=0.2, input_noise=0.1, seed=0, dtype=dt
    ),
}
#: Layers whose forward needs x: (batch, IN) exactly (a Dense comes first or after noise).
DENSE_FIRST = {"Dense", "Sequential", "Autoencoder"}

#: name -> (class, the domain of pred: "real" or "probability", whether it takes a mask).
LOSSES: dict[str, tuple[type, str, bool]] = {
    "MSELoss": (ae.MSELoss, "real", True),
    "BCELoss": (ae.BCELoss, "probability", True),
    "BCEWithLogitsLoss": (ae.BCEWithLogitsLoss, "real", True),
    "MultinomialLoss": (ae.MultinomialLoss, "real", False),
}
#: domain -> the range pred is drawn from.
PRED_RANGES = {"real": (-3.0, 3.0), "probability": (0.05, 0.95)}

OPTIMIZERS: dict[str, Callable[[], ae.Optimizer]] = {
    "SGD": lambda: ae.SGD(0.05),
    "SGD momentum": lambda: ae.SGD(0.05, momentum=0.9),
    "SGD Nesterov L2": lambda: ae.SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": lambda: ae.Adam(1e-2),
    "Adam L2": lambda: ae.Adam(1e-2, weight_decay=1e-2),
    "AdamW": lambda: ae.Adam(1e-2, weight_decay=1e-2, decoupled=True),
}


def test_every_public_class_is_in_a_list() -> None:
    public = [getattr(ae, name) for name in ae.__all__]
    classes = {c for c in public if isinstance(c, type)}
    layer_types = {type(make(np.float64)) for make in LAYERS.values()}
    assert {c for c in classes if issubclass(c, ae.Layer)} - {ae.Layer, ae.Container} <= layer_types
    assert set(ae.activations.ACTIVATIONS.values()) <= layer_types
    loss_types = {cls for cls, _, _ in LOSSES.values()}
    assert {c for c in classes if issubclass(c, ae.Loss)} - {ae.Loss} == loss_types
    assert set(ae.losses.LOSSES.values()) == loss_types
    optimizer_types = {type(make()) for make in OPTIMIZERS.values()}
    assert {c for c in classes if issubclass(c, ae.Optimizer)} - {ae.Optimizer} == optimizer_types
    assert {type(make()) for make in ae.optimizers.OPTIMIZERS.values()} == optimizer_types


# Layers --------------------------------------------------------------------------------------------------

layer_names = pytest.mark.parametrize("name", list(LAYERS))


def _x(batch: int = 5, dtype: type = np.float64, seed: int = 0) -> np.ndarray:
    return uniform(seed, (batch, IN)).astype(dtype)


@layer_names
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_keeps_shapes_and_dtype(name: str, dtype: type) -> None:
    layer = LAYERS[name](dtype)
    x = _x(dtype=dtype)
    y = layer.forward(x)
    assert y.shape[0] == 5
    assert y.dtype == dtype
    assert np.isfinite(y).all()
    grad_x = layer.backward(np.ones_like(y))
    assert grad_x.shape == x.shape
    assert grad_x.dtype == dtype
    assert layer.grads.keys() == layer.params.keys()
    for key, value in layer.params.items():
        assert layer.grads[key].shape == value.shape
        assert layer.grads[key].dtype == value.dtype == dtype


@layer_names
@battery
@given(data=st.data())
def test_layer_backward_matches_finite_differences(name: str, data: st.DataObject) -> None:
    layer = LAYERS[name](np.float64)
    x = data.draw(ae.testing.inputs_for(layer, shape=st.tuples(batch_sizes, st.just(IN))))
    report = ae.testing.assert_layer_gradients(layer, x, rtol=SMOOTH_RTOL)
    assert {row.name for row in report.rows} == {*layer.params, "x (input)"}


@layer_names
def test_layer_backward_overwrites_its_gradients(name: str) -> None:
    layer = LAYERS[name](np.float64)
    y = layer.forward(_x())
    G = uniform(1, y.shape)
    first = layer.backward(G)
    grads = {key: value.copy() for key, value in layer.grads.items()}
    second = layer.backward(G)
    np.testing.assert_array_equal(first, second)
    for key, value in layer.grads.items():
        np.testing.assert_array_equal(value, grads[key])  # overwritten, not accumulated


@layer_names
def test_layer_backward_before_forward_is_a_clear_error(name: str) -> None:
    with pytest.raises(ValueError, match=r"\.backward: called before forward \(nothing cached\)"):
        LAYERS[name](np.float64).backward(np.ones((5, IN)))


_BAD_X = [
    (np.array([[np.nan, 1.0, 2.0]]), ValueError, r"\.forward: x holds 1 NaN or inf value\(s\); expected finite"),
    (np.full((2, IN), -np.inf), ValueError, r"\.forward: x holds 6 NaN or inf"),
    (np.ones((0, IN)), ValueError, r"\.forward: x is empty \(shape \(0, 3\)\)"),
    (np.array([[1, None, 2]], dtype=object), TypeError, r"\.forward: x must be a numeric array, got dtype object"),
    (np.full((2, IN), "1.0"), TypeError, r"\.forward: x must be a numeric array, got dtype <U3"),
    ([[1.0, 2.0, 3.0], [4.0]], TypeError, r"\.forward: x must be a numeric array, could not convert it"),
    (np.ma.ones((2, IN)), TypeError, r"\.forward: x is a masked array; fill it, or give fit the mask as mask="),
]
_BAD_X_DENSE = [  # element-wise layers take any shape, and complex x (for the complex-step check)
    (np.ones((2, IN), dtype=complex), TypeError, r"\.forward: x must be real, got dtype complex128"),
    (np.ones(IN), ValueError, r"\.forward: x must be 2-D \(batch, features\), got shape \(3,\)"),
    (np.ones((2, 5)), ValueError, r"Dense\(3→\d\)\.forward: x has 5 features, expected 3"),
]


@layer_names
@pytest.mark.parametrize(("x", "error", "message"), _BAD_X + _BAD_X_DENSE)
def test_layer_forward_rejects_bad_x_with_a_clear_error(name: str, x: Any, error: type, message: str) -> None:
    layer = LAYERS[name](np.float64)
    if any(x is bad for bad, _, _ in _BAD_X_DENSE) and name not in DENSE_FIRST:
        layer.forward(x)
        return
    with pytest.raises(error, match=message):
        layer.forward(x)


@layer_names
def test_layer_backward_rejects_bad_grad_y(name: str) -> None:
    layer = LAYERS[name](np.float64)
    y = layer.forward(_x())
    with pytest.raises(ValueError, match=r"\.backward: grad_y has shape \(5, 7\), expected \(5, \d\)"):
        layer.backward(np.ones((5, 7)))
    with pytest.raises(ValueError, match=r"\.backward: grad_y holds 1 NaN or inf"):
        layer.backward(np.where(np.arange(y.size).reshape(y.shape) == 0, np.nan, 1.0))
    with pytest.raises(TypeError, match=r"\.backward: grad_y must be a numeric array"):
        layer.backward(np.full(y.shape, "x"))


@layer_names
def test_shape_checks_stay_on_without_check_inputs(name: str) -> None:
    layer = LAYERS[name](np.float64)
    layer.check_inputs = False  # as inside fit
    layer.forward(np.array([[np.nan] * IN]))  # the NaN scan is skipped: fit validated the data once
    layer.forward(_x())
    with pytest.raises(ValueError, match="grad_y has shape"):
        layer.backward(np.ones((4, 9)))


@layer_names
def test_layer_in_eval_mode_is_deterministic(name: str) -> None:
    layer = LAYERS[name](np.float64).eval()
    x = _x()
    np.testing.assert_array_equal(layer.forward(x), layer.forward(x))
    assert not layer.training
    assert layer.train().training


@layer_names
def test_layer_config_is_json_and_repr_names_the_class(name: str) -> None:
    layer = LAYERS[name](np.float64)
    json.dumps(layer.get_config())
    assert repr(layer).startswith(type(layer).__name__)


@layer_names
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_save_load_round_trip_is_exact(name: str, dtype: type, tmp_path: Path) -> None:
    layer = LAYERS[name](dtype)
    loaded = ae.load(ae.save(layer, tmp_path / "layer.npz"))
    assert type(loaded) is type(layer)
    assert repr(loaded) == repr(layer)
    assert loaded.get_config() == layer.get_config()
    for key, value in layer.params.items():
        np.testing.assert_array_equal(loaded.params[key], value)
        assert loaded.params[key].dtype == value.dtype
    x = _x(dtype=dtype)
    np.testing.assert_array_equal(loaded.forward(x), layer.forward(x))  # training mode: same noise draws too


@layer_names
@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_is_finite_and_silent_at_plus_minus_1e4(name: str, dtype: type) -> None:
    layer = LAYERS[name](dtype)
    x = np.array([[1e4, -1e4, 1e4], [-1e4, 1e4, 0.5]], dtype=dtype)
    y = layer.forward(x)
    grad_x = layer.backward(np.ones_like(y))
    assert np.isfinite(y).all()
    assert np.isfinite(grad_x).all()
    assert all(np.isfinite(g).all() for g in layer.grads.values())


def _outcome(call: Callable[[], Any], allowed: tuple[type[BaseException], ...] = DOCUMENTED) -> Any:
    """Run ``call``: a documented exception is fine (None), any other escapes; a result must be finite."""
    try:
        result = call()
    except allowed:
        return None
    if isinstance(result, (np.ndarray, float)):
        assert np.isfinite(result).all(), f"a silent NaN or inf: {result}"
    return result


@layer_names
@given(x=malformed_arrays(IN))
def test_layer_fuzz_forward(name: str, x: Any) -> None:
    _outcome(lambda: LAYERS[name](np.float64).forward(x))


@layer_names
@given(grad_y=malformed_arrays(4))
def test_layer_fuzz_backward(name: str, grad_y: Any) -> None:
    layer = LAYERS[name](np.float32)
    layer.forward(_x(dtype=np.float32))
    _outcome(lambda: layer.backward(grad_y))


# Losses --------------------------------------------------------------------------------------------------

loss_names = pytest.mark.parametrize("name", list(LOSSES))


def _pred_target(name: str, shape: tuple[int, int] = (4, 5), dtype: type = np.float64, seed: int = 0):
    rng = np.random.default_rng(seed)
    _, domain, _ = LOSSES[name]
    pred = rng.uniform(*PRED_RANGES[domain], shape)
    return pred.astype(dtype), rng.uniform(0, 1, shape).astype(dtype)


@loss_names
@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_is_a_finite_non_negative_float_with_a_gradient_like_pred(name: str, dtype: type) -> None:
    loss = LOSSES[name][0]()
    pred, target = _pred_target(name, dtype=dtype)
    value = loss.forward(pred, target)
    assert isinstance(value, float)
    assert math.isfinite(value)
    assert value >= 0
    grad = loss.backward()
    assert grad.shape == pred.shape
    assert grad.dtype == dtype
    assert np.isfinite(grad).all()


@loss_names
@battery
@given(data=st.data())
def test_loss_backward_matches_finite_differences(name: str, data: st.DataObject) -> None:
    cls, domain, masks = LOSSES[name]
    low, high = PRED_RANGES[domain]
    pred, target, mask = data.draw(ae.testing.loss_inputs(cls(), masked=masks, low=low, high=high))
    ae.testing.assert_loss_gradients(cls(), pred, target, rtol=SMOOTH_RTOL)
    if mask is not None:
        ae.testing.assert_loss_gradients(cls(), pred, target, mask, rtol=SMOOTH_RTOL)


@loss_names
def test_loss_is_a_mean_so_repeating_the_batch_changes_nothing(name: str) -> None:
    pred, target = _pred_target(name)
    loss = LOSSES[name][0]()
    once = loss.forward(pred, target)
    grad_once = loss.backward()
    twice = loss.forward(np.vstack([pred, pred]), np.vstack([target, target]))
    assert twice == pytest.approx(once, rel=1e-12)
    np.testing.assert_allclose(loss.backward()[:4] * 2, grad_once, rtol=1e-12)


@loss_names
def test_loss_backward_before_forward_is_a_clear_error(name: str) -> None:
    with pytest.raises(ValueError, match=r"\.backward: called before forward"):
        LOSSES[name][0]().backward()


@loss_names
@pytest.mark.parametrize(
    ("which", "bad", "error", "message"),
    [
        ("pred", np.nan, ValueError, r"\.forward: pred holds 1 NaN or inf"),
        ("target", np.inf, ValueError, r"\.forward: target holds 1 NaN or inf"),
        ("pred", "str", TypeError, r"\.forward: pred must be a numeric array, got dtype <U"),
        ("target", "object", TypeError, r"\.forward: target must be a numeric array, got dtype object"),
        ("pred", "complex", TypeError, r"\.forward: pred must be real, got dtype complex128"),
        ("pred", "empty", ValueError, r"\.forward: pred is empty"),
        ("target", "shape", ValueError, r"\.forward: target has shape \(5, 4\), expected the shape of pred \(4, 5\)"),
    ],
)
def test_loss_rejects_bad_pred_and_target(name: str, which: str, bad: Any, error: type, message: str) -> None:
    pred, target = _pred_target(name)
    arrays = {"pred": pred, "target": target}
    value = arrays[which]
    if bad == "str":
        arrays[which] = value.astype(str)
    elif bad == "object":
        arrays[which] = value.astype(object)
    elif bad == "complex":
        arrays[which] = value.astype(complex)
    elif bad == "empty":
        arrays[which] = value[:0]
    elif bad == "shape":
        arrays[which] = value.reshape(5, 4)
    else:
        arrays[which] = value.copy()
        arrays[which][0, 0] = bad
    with pytest.raises(error, match=message):
        LOSSES[name][0]().forward(arrays["pred"], arrays["target"])


@loss_names
@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.zeros((4, 5)), "mask has no observed entry"),
        (-np.ones((4, 5)), "mask must be non-negative weights"),
        (np.ones((4, 4)), r"mask has shape \(4, 4\), expected the shape of pred"),
        (np.full((4, 5), np.nan), "mask holds 20 NaN or inf"),
        (np.full((4, 5), 1e308), "overflow encountered"),
    ],
)
def test_loss_rejects_bad_masks(name: str, mask: np.ndarray, message: str) -> None:
    cls, _, masks = LOSSES[name]
    pred, target = _pred_target(name)
    with pytest.raises(ValueError, match=message if masks else "mask is not supported"):
        cls().forward(pred, target, mask)


@loss_names
@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_is_finite_and_silent_at_plus_minus_1e4(name: str, dtype: type) -> None:
    cls, domain, _ = LOSSES[name]
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], dtype=dtype)
    pred = ae.Sigmoid().forward(z) if domain == "probability" else z  # p = σ(±1e4) is exactly 1 or 0
    target = np.array([[0.0, 1.0, 0.5], [0.0, 1.0, 1.0]], dtype=dtype)
    loss = cls()
    assert math.isfinite(loss.forward(pred, target))
    assert np.isfinite(loss.backward()).all()


@loss_names
@given(pred=malformed_arrays(5))
def test_loss_fuzz_pred(name: str, pred: Any) -> None:
    target = np.full((2, 5), 0.5)
    _outcome(lambda: LOSSES[name][0]().forward(pred, target))


@loss_names
@given(target=malformed_arrays(5), mask=st.none() | malformed_arrays(5))
def test_loss_fuzz_target_and_mask(name: str, target: Any, mask: Any) -> None:
    pred = _pred_target(name, (2, 5))[0]
    loss = LOSSES[name][0]()
    if _outcome(lambda: loss.forward(pred, target, mask)) is not None:
        _outcome(loss.backward)


# Optimizers ----------------------------------------------------------------------------------------------

optimizer_names = pytest.mark.parametrize("name", list(OPTIMIZERS))


def _regression(seed: int = 0) -> tuple[ae.Sequential, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(16, IN))
    return ae.Sequential([ae.Dense(IN, 2, rng=seed)]), X, X @ rng.normal(size=(IN, 2))


@optimizer_names
def test_optimizer_descends_on_a_least_squares_problem(name: str) -> None:
    model, X, Y = _regression()
    history = model.fit(X, Y, epochs=40, batch_size=4, optimizer=OPTIMIZERS[name](), shuffle=False, verbose=0)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


@optimizer_names
def test_optimizer_flat_and_per_parameter_updates_agree_bitwise(name: str) -> None:
    model, X, _ = _regression()
    lone = ae.Dense(IN, 2, rng=0)  # no flat buffer: the optimizer goes parameter by parameter
    opt_model, opt_lone = OPTIMIZERS[name](), OPTIMIZERS[name]()
    for _ in range(5):
        for layer, opt in ((model, opt_model), (lone, opt_lone)):
            layer.forward(X)
            layer.backward(np.cos(X[:, :2]))
            opt.step(layer)
    np.testing.assert_array_equal(model.params["0.W"], lone.params["W"])
    np.testing.assert_array_equal(model.params["0.b"], lone.params["b"])
    for key in opt_lone.state["W"]:
        np.testing.assert_array_equal(opt_model.state["0.W"][key], opt_lone.state["W"][key])


@optimizer_names
def test_optimizer_state_follows_float32(name: str) -> None:
    model = ae.Sequential([ae.Dense(IN, 2, rng=0, dtype=np.float32)])
    opt = OPTIMIZERS[name]()
    model.forward(np.ones((2, IN), np.float32))
    model.backward(np.ones((2, 2), np.float32))
    opt.step(model)
    assert model.flat.params.dtype == np.float32
    assert all(value.dtype == np.float32 for state in opt.state.values() for value in state.values())


@optimizer_names
def test_optimizer_serves_one_model_and_only_layers(name: str) -> None:
    opt = OPTIMIZERS[name]()
    opt.step(ae.Dense(2, 2, rng=0))
    with pytest.raises(ValueError, match="already holds state for another model"):
        opt.step(ae.Dense(2, 2, rng=0))
    with pytest.raises(TypeError, match="expected a layer or model, got ndarray"):
        OPTIMIZERS[name]().step(np.ones(3))


@optimizer_names
def test_optimizer_state_save_load_continues_bitwise(name: str, tmp_path: Path) -> None:
    model, X, Y = _regression()
    model.fit(X, Y, epochs=2, batch_size=4, optimizer=OPTIMIZERS[name](), shuffle=False, verbose=0)
    twin = ae.load(ae.save(model, tmp_path / "model.npz"))
    twin.optimizer = ae.load(ae.save(model.optimizer, tmp_path / "opt.npz"), model=twin)
    for m in (model, twin):
        m.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_array_equal(twin.flat.params, model.flat.params)
    for param, state in model.optimizer.state.items():
        for key, value in state.items():
            np.testing.assert_array_equal(twin.optimizer.state[param][key], value)


@optimizer_names
@pytest.mark.parametrize("poisoned_step", [1, 6])
def test_a_step_that_goes_non_finite_is_undone_exactly(name: str, poisoned_step: int) -> None:
    # The optimizer's step is made to leave an inf behind at one step; fit must stop there and leave model and
    # optimizer exactly as after the step before, as a twin stepped by hand that many times shows. A real
    # optimizer's bounds (bounds_after_step) prove its steps finite, so this one promises none, as a user's might.
    model, X, Y = _regression()
    opt = OPTIMIZERS[name]()
    opt.bounds_after_step = lambda grad_bound, bounds: {"params": math.inf}  # type: ignore[method-assign]
    real_update, count = opt.update, [0]

    def update(binding: Any) -> None:  # fit's guard binds, then updates
        real_update(binding)
        count[0] += 1
        if count[0] == poisoned_step:
            binding.model.flat.params[-1] = np.inf

    opt.update = update  # type: ignore[method-assign]
    with pytest.raises(ae.TrainingDiverged, match=r"parameter 0.b became NaN or inf in the update, which was undone"):
        model.fit(X, Y, epochs=3, batch_size=4, optimizer=opt, shuffle=False, verbose=0)
    twin, _, _ = _regression()
    twin_opt, loss = OPTIMIZERS[name](), ae.MSELoss()
    for i in range(poisoned_step - 1):
        xb, yb = X[4 * (i % 4) : 4 * (i % 4) + 4], Y[4 * (i % 4) : 4 * (i % 4) + 4]
        loss.forward(twin.forward(xb), yb)
        twin.backward(loss.backward())
        twin_opt.step(twin)
    np.testing.assert_array_equal(model.flat.params, twin.flat.params)
    assert getattr(opt, "t", None) == getattr(twin_opt, "t", None)
    for param, state in opt.state.items():
        for key, value in state.items():
            expected = twin_opt.state[param][key] if twin_opt.state else np.zeros_like(value)
            np.testing.assert_array_equal(value, expected)
    opt.update = real_update  # type: ignore[method-assign]  # lower nothing, just go on from where it stood
    assert np.isfinite(model.fit(X, Y, epochs=1, batch_size=4, verbose=0)["loss"]).all()


def _hyperparameters(name: str) -> list[str]:
    return [p for p in inspect.signature(type(OPTIMIZERS[name]()).__init__).parameters if p != "self"]


@optimizer_names
@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf"), "fast", None, True])
def test_optimizer_rejects_a_bad_learning_rate(name: str, lr: Any) -> None:
    with pytest.raises(DOCUMENTED, match="lr must be"):
        type(OPTIMIZERS[name]())(lr=lr)


@optimizer_names
@given(data=st.data())
def test_optimizer_fuzz_hyperparameters(name: str, data: st.DataObject) -> None:
    anything = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-3, 3),
        st.booleans(),
        st.none(),
        st.text(max_size=3),
    )
    kwargs = {key: data.draw(anything, label=key) for key in _hyperparameters(name)}
    opt = _outcome(lambda: type(OPTIMIZERS[name]())(**kwargs))
    if opt is not None:
        assert opt.lr > 0
        assert all(math.isfinite(getattr(opt, key)) for key in _hyperparameters(name))


# Models, training and the gradient checker -----------------------------------------------------------------


def _model() -> ae.Autoencoder:
    return ae.Autoencoder.from_sizes([IN, 2], seed=0, input_dropout=0.1)


_MODEL_CALLS: dict[str, Callable[[ae.Autoencoder, Any], Any]] = {
    "predict": lambda m, a: m.predict(a),
    "encode": lambda m, a: m.encode(a),
    "decode": lambda m, a: m.decode(a),
    "reconstruct": lambda m, a: m.reconstruct(a),
    "evaluate": lambda m, a: m.evaluate(a),
    "evaluate y": lambda m, a: m.evaluate(np.full((2, IN), 0.5), a),
    "fit X": lambda m, a: m.fit(a, epochs=1, batch_size=1, verbose=0),
    "fit y": lambda m, a: m.fit(np.full((2, IN), 0.5), a, epochs=1, batch_size=1, verbose=0),
    "fit mask": lambda m, a: m.fit(np.full((2, IN), 0.5), mask=a, epochs=1, batch_size=1, verbose=0),
    "fit validation_data": lambda m, a: m.fit(np.ones((2, IN)), validation_data=a, batch_size=1, verbose=0),
    "check_model": lambda m, a: check_model(m, a, ae.MSELoss()),
    "check_layer": lambda m, a: check_layer(m, a),
    "check_loss": lambda m, a: check_loss(ae.MSELoss(), a, np.zeros((2, IN))),
    "numerical_gradient": lambda m, a: ae.gradcheck.numerical_gradient(lambda v: float(np.tanh(v).sum()), a),
}


@pytest.mark.parametrize("entry", list(_MODEL_CALLS))
@given(a=malformed_arrays(IN))
def test_model_and_gradcheck_fuzz(entry: str, a: Any) -> None:
    result = _outcome(lambda: _MODEL_CALLS[entry](_model(), a), (*DOCUMENTED, ae.TrainingDiverged))
    if isinstance(result, ae.History):
        assert np.isfinite(result["loss"]).all()


_SCALARS = st.one_of(st.integers(-2, 5), st.floats(allow_nan=True), st.none(), st.booleans(), st.text(max_size=2))


@given(epochs=_SCALARS, batch_size=_SCALARS, every=_SCALARS, verbose=_SCALARS, shuffle=_SCALARS, seed=_SCALARS)
def test_fit_fuzz_settings(epochs: Any, batch_size: Any, every: Any, verbose: Any, shuffle: Any, seed: Any) -> None:
    X = np.full((4, IN), 0.5)
    settings = {"epochs": epochs, "batch_size": batch_size, "every": every, "verbose": verbose, "shuffle": shuffle}
    _outcome(lambda: _model().fit(X, seed=seed, **settings))


@given(sizes=st.one_of(st.lists(_SCALARS, max_size=4), _SCALARS), dropout=_SCALARS, dtype=_SCALARS)
def test_from_sizes_fuzz(sizes: Any, dropout: Any, dtype: Any) -> None:
    _outcome(lambda: ae.Autoencoder.from_sizes(sizes, input_dropout=dropout, dtype=dtype or np.float64))


@pytest.mark.parametrize("registry", [ae.activations.get, ae.losses.get, ae.optimizers.get, ae.init.get])
@given(key=st.one_of(_SCALARS, st.lists(st.integers(), max_size=2), st.just(np.arange(3))))
def test_registries_fuzz(registry: Callable[[Any], Any], key: Any) -> None:
    _outcome(lambda: registry(key))


# Clear messages for the arguments the batteries above do not reach ------------------------------------------

_x2 = np.full((2, IN), 0.5)
_CLEAR_ERRORS = [
    (lambda: ae.LeakyReLU(1.5), ValueError, r"LeakyReLU: alpha must be in \[0.0, 1.0\], got 1.5"),
    (lambda: ae.SGD(0.1, 0.9, nesterov="yes"), TypeError, "SGD: nesterov must be True or False, got str 'yes'"),
    (lambda: ae.Adam(decoupled=1), TypeError, "Adam: decoupled must be True or False, got int 1"),
    (lambda: ae.EarlyStopping(min_delta="0.1"), TypeError, "EarlyStopping: min_delta must be a real number"),
    (lambda: ae.EarlyStopping(min_delta=-1.0), ValueError, r"EarlyStopping: min_delta must be in \[0.0, inf\]"),
    (lambda: ae.EarlyStopping(monitor=3), TypeError, "EarlyStopping: monitor must be the name of a logged value"),
    (lambda: ae.EarlyStopping(restore_best_weights=None), TypeError, "restore_best_weights must be True or False"),
    (
        lambda: _model().fit(_x2, batch_size=2, callbacks=ae.EarlyStopping()),
        TypeError,
        "callbacks must be a list of callbacks",
    ),
    (
        lambda: _model().fit(_x2, batch_size=2, shuffle="no"),
        TypeError,
        "Autoencoder.fit: shuffle must be True or False",
    ),
    (lambda: ae.Sequential(ae.Dense(2, 2)), TypeError, "Sequential: layers must be a list of layers, got Dense"),
    (lambda: ae.Autoencoder.from_sizes(10), TypeError, "from_sizes: sizes must be a list of layer sizes, got int"),
    (lambda: ae.Dense(2, 2, rng=-1), ValueError, "rng: a seed must be ≥ 0, got -1"),
    (lambda: ae.activations.get(["relu"]), ValueError, "activation must be one of"),
    (lambda: ae.init.get({}), ValueError, "init must be one of"),
    (lambda: ae.datasets.founding_example(-1), ValueError, "founding_example: seed must be ≥ 0, got -1"),
    (lambda: check_layer(3, _x2), TypeError, "check_layer: int is not a layer: it lacks params, grads, forward"),
    (lambda: check_layer(ae.Tanh(), _x2, eps=0), ValueError, r"check_layer: eps must be in \(0.0, 1.0\]"),
    (lambda: check_layer(ae.Tanh(), _x2, seed=-1), ValueError, "check_layer: seed must be ≥ 0"),
    (lambda: check_layer(ae.Tanh(), _x2, grad_y="a"), TypeError, "check_layer: grad_y must be a numeric array"),
    (lambda: check_loss("mse", _x2, _x2), TypeError, "check_loss: loss must have forward"),
    (lambda: check_loss(ae.MSELoss(), _x2, _x2, rtol=-1), ValueError, r"check_loss: rtol must be in \[0.0, inf\]"),
    (lambda: check_model(_model(), _x2, ae.MSELoss(), "a"), TypeError, "check_model: target must be a numeric"),
    (lambda: ae.gradcheck.numerical_gradient(3, _x2), TypeError, "numerical_gradient: f must be a function"),
    (lambda: ae.gradcheck.numerical_gradient(np.tanh, _x2), TypeError, "f must return one number, got ndarray"),
    (lambda: _model().evaluate(np.full((2, IN), 1e308)), ValueError, "Autoencoder.evaluate: overflow encountered"),
    (
        lambda: ae.Dense(IN, 4, rng=0).forward(np.full((2, IN), 1.7e308)),
        ValueError,
        r"Dense\(3→4\)\.forward: overflow encountered in matmul: the values are too large for their dtype",
    ),
    (
        lambda: ae.Dense(IN, 4, rng=0, dtype=np.float32).forward(np.full((2, IN), 1e39)),
        ValueError,
        r"Dense\(3→4\)\.forward: x holds values beyond the range of float32 \(±3.403e\+38\)",
    ),
    (lambda: ae.MSELoss()(np.full((1, 2), 1e200), _x2[:1, :2]), ValueError, r"MSELoss\(\)\.forward: overflow"),
]


@pytest.mark.parametrize(("call", "error", "message"), _CLEAR_ERRORS)
def test_remaining_arguments_get_clear_errors(call: Callable[[], Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()
