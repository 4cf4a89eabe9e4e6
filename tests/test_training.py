"""fit / evaluate: the founding example trains, results reproduce, float32 stays float32, NaN stops."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from helpers import seeds
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np import guard
from autoencoder_np.optimizers import l2_norm


def _founding(seed: int = 1, dtype: type = np.float64) -> tuple[ae.Autoencoder, np.ndarray]:
    X = ae.datasets.founding_example(1)
    model = ae.Autoencoder.from_sizes(
        [10, 5], hidden_activation="relu", output_activation="sigmoid", seed=seed, dtype=dtype
    )
    return model, X


def test_founding_example_learns() -> None:
    model, X = _founding()
    history = model.fit(X, epochs=100, batch_size=32, optimizer=ae.Adam(lr=1e-3), loss=ae.MSELoss(), seed=1, verbose=0)
    first, last = history["loss"][0], history["loss"][-1]
    assert len(history["loss"]) == 100
    assert last < first
    assert last < 1 / 12  # better than always predicting 0.5 on U(0, 1) data
    assert model.evaluate(X) < 1 / 12


def test_legacy_data_form_trains_too() -> None:
    X = ae.datasets.founding_example(1, legacy=True)
    np.random.seed(1)  # noqa: NPY002 -- the legacy form is exactly what this test is about
    np.testing.assert_array_equal(X, np.random.rand(100, 10))  # noqa: NPY002
    model = ae.Autoencoder.from_sizes([10, 5], seed=1)
    history = model.fit(X, epochs=100, batch_size=32, seed=1, verbose=0)
    assert history["loss"][-1] < min(history["loss"][0], 1 / 12)


def test_same_seed_gives_bitwise_identical_weights_and_history() -> None:
    runs = []
    for _ in range(2):
        model, X = _founding(seed=7)
        history = model.fit(X, epochs=5, batch_size=16, seed=3, verbose=0)
        runs.append((model.flat.params.copy(), history["loss"]))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    model, X = _founding(seed=8)
    assert not np.array_equal(model.flat.params, runs[0][0])


def test_float32_end_to_end() -> None:
    model, X = _founding(dtype=np.float32)
    history = model.fit(X, epochs=3, batch_size=32, seed=0, verbose=0)
    assert model.flat.params.dtype == np.float32
    assert all(v.dtype == np.float32 for v in model.grads.values())
    assert all(s.dtype == np.float32 for state in model.optimizer.state.values() for s in state.values())
    assert model.reconstruct(X).dtype == np.float32
    assert model.encode(X).dtype == np.float32
    assert history["loss"][-1] < history["loss"][0]


def test_shuffle_false_reproduces_a_hand_written_loop_step_by_step() -> None:
    model, X = _founding()
    twin, _ = _founding()
    model.fit(X, epochs=2, batch_size=32, optimizer=ae.Adam(1e-2), shuffle=False, verbose=0)
    loss, opt = ae.MSELoss(), ae.Adam(1e-2)
    for _ in range(2):
        for start in range(0, 100, 32):
            xb = X[start : start + 32]
            loss.forward(twin.forward(xb), xb)
            twin.backward(loss.backward())
            opt.step(twin)
    np.testing.assert_array_equal(model.flat.params, twin.flat.params)


def test_epoch_loss_is_the_exact_mean_over_the_epoch() -> None:
    model, X = _founding()
    history = model.fit(X, epochs=1, batch_size=100, optimizer=ae.SGD(1e-12), verbose=0)
    # one batch and a negligible step: the epoch loss is the loss of the initial model on X
    assert history["loss"][0] == pytest.approx(ae.Autoencoder.from_sizes([10, 5], seed=1).evaluate(X), rel=1e-9)


def test_divergence_stops_with_epoch_batch_and_value() -> None:
    model, X = _founding()
    with pytest.raises(
        ae.TrainingDiverged, match=r"epoch \d+, batch \d+: .*(loss is (nan|inf)|NaN or inf|overflow encountered)"
    ):
        model.fit(X * 1e200, epochs=3, batch_size=32, optimizer=ae.SGD(1e100), verbose=0)


def test_nan_loss_is_caught_before_any_update() -> None:
    class Exploding(ae.Identity):
        def forward(self, x: np.ndarray) -> np.ndarray:
            return super().forward(x) * np.nan

    model = ae.Sequential([ae.Dense(2, 2, rng=0), Exploding()])
    before = model.flat.params.copy()
    with pytest.raises(ae.TrainingDiverged, match=r"epoch 1, batch 1: the loss is nan"):
        model.fit(np.ones((4, 2)), np.ones((4, 2)), epochs=1, batch_size=2, verbose=0)
    np.testing.assert_array_equal(model.flat.params, before)


def test_validation_data_and_history() -> None:
    model, X = _founding()
    history = model.fit(X[:80], epochs=4, batch_size=20, validation_data=X[80:], verbose=0)
    assert set(history) == {"loss", "val_loss"}
    assert history.epochs == [1, 2, 3, 4]
    assert history.history is history
    assert history["val_loss"][-1] == pytest.approx(model.evaluate(X[80:]))


def test_early_stopping_restores_the_best_weights() -> None:
    model, X = _founding()
    stopper = ae.EarlyStopping(patience=2)
    # a learning rate far too large makes the validation loss worsen quickly
    history = model.fit(X[:80], epochs=50, batch_size=20, optimizer=ae.SGD(50.0), validation_data=X[80:],
                        callbacks=[stopper], verbose=0)  # fmt: skip
    assert stopper.stopped_epoch == len(history["loss"]) < 50
    assert stopper.best == min(history["val_loss"])
    assert model.evaluate(X[80:]) == pytest.approx(stopper.best)


def test_fit_with_a_mask_learns_only_observed_entries() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (40, 6))
    mask = (rng.random(X.shape) < 0.5).astype(float)
    model = ae.Autoencoder.from_sizes([6, 3], output_activation="identity", seed=0)
    history = model.fit(X * mask, X, mask=mask, epochs=30, batch_size=8, seed=0, verbose=0)
    assert history["loss"][-1] < history["loss"][0]
    assert model.evaluate(X * mask, X, mask=mask) == pytest.approx(history["loss"][-1], rel=0.2)


def test_fit_prints_keras_like_lines_every_k_epochs(capsys: pytest.CaptureFixture[str]) -> None:
    model, X = _founding()
    model.fit(X, epochs=10, batch_size=32, every=5, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch  1/10", "Epoch  5/10", "Epoch 10/10"]
    assert "loss: 0.0" in lines[-1]


def test_second_fit_continues_with_the_same_optimizer() -> None:
    model, X = _founding()
    model.fit(X, epochs=2, verbose=0)
    opt = model.optimizer
    model.fit(X, epochs=2, verbose=0)
    assert model.optimizer is opt
    assert opt.t == 2 * 2 * 4  # 4 batches per epoch


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs must be ≥ 1, got 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be ≥ 1, got 0"),
        ({"batch_size": 101}, ValueError, "batch_size is 101, more than the 100 rows of X"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer"),
        ({"y": np.ones((99, 10))}, ValueError, "y has 99 rows, expected one per row of X"),
        ({"mask": np.zeros((100, 10))}, ValueError, "mask has no observed entry"),
        ({"mask": np.ones((100, 9))}, ValueError, r"mask has shape \(100, 9\), expected the shape of y"),
        (
            {"validation_data": np.ones((5, 7))},
            ValueError,
            r"\(validation_data\): X_val has 7 features, expected 10",
        ),
        ({"optimizer": "adagrad"}, ValueError, "optimizer must be one of"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs: dict, error: type, message: str) -> None:
    model, X = _founding()
    with pytest.raises(error, match=message):
        model.fit(X, verbose=0, **kwargs)


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        (np.ones((100, 7)), ValueError, r"Dense\(10→5\)\.forward: x has 7 features, expected 10"),
        (np.full((3, 10), np.inf), ValueError, "X holds 30 NaN or inf"),
        (np.ones(10), ValueError, "X must be 2-D"),
        (np.ones((0, 10)), ValueError, "X is empty"),
        ([["a"] * 10], TypeError, "X must be a numeric array"),
    ],
)
def test_fit_rejects_bad_data(X: object, error: type, message: str) -> None:
    model, _ = _founding()
    with pytest.raises(error, match=message):
        model.fit(X, epochs=1, batch_size=1, verbose=0)


def test_an_update_that_overflows_is_undone_and_training_goes_on_with_a_lower_lr() -> None:
    model = ae.Sequential([ae.Dense(2, 2, rng=0)])
    X, Y = np.ones((8, 2)), np.full((8, 2), 10.0)
    before = model.flat.params.copy()
    opt = ae.SGD(1e308, momentum=0.9)  # lr·g overflows to inf in the very first update
    with pytest.raises(
        ae.TrainingDiverged, match=r"epoch 1, batch 1: overflow encountered in multiply in the update, which was undone"
    ):
        model.fit(X, Y, epochs=2, batch_size=4, optimizer=opt, verbose=0)
    np.testing.assert_array_equal(model.flat.params, before)
    assert not any(state["velocity"].any() for state in opt.state.values())  # the momentum was undone too
    opt.lr = 0.01
    history = model.fit(X, Y, epochs=5, batch_size=4, verbose=0)
    assert model.optimizer is opt
    assert np.isfinite(model.flat.params).all()
    assert history["loss"][-1] < history["loss"][0]


def test_an_interrupted_per_parameter_update_is_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    class Scale:
        """A student's layer with plain-dict parameters: the model has no flat buffer, so updates go one by one."""

        def __init__(self) -> None:
            self.params = {"s": np.array([2.0])}
            self.grads = {"s": np.zeros(1)}

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.x = x
            return x * self.params["s"]

        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            self.grads["s"] = np.array([np.sum(grad_y * self.x)])
            return grad_y * self.params["s"]

    model = ae.Sequential([ae.Dense(3, 3, rng=0), Scale()], kernels="textbook")  # the textbook: one by one
    opt = ae.Adam(0.1)
    opt.bounds_after_step = lambda grad_bound, bounds: {"params": math.inf}  # no bound: fit copies first
    before = [p.copy() for _, p, _ in model.parameters()]
    update, calls = ae.Adam._textbook_update, []

    def interrupted(self, p, g, state):  # Ctrl-C after the first parameter of the first step is updated
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        update(self, p, g, state)

    monkeypatch.setattr(ae.Adam, "_textbook_update", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.fit(np.ones((4, 3)), np.zeros((4, 3)), epochs=1, batch_size=4, optimizer=opt, verbose=0)
    assert calls == [1, 1]
    for (_, p, _), p0 in zip(model.parameters(), before, strict=True):
        np.testing.assert_array_equal(p, p0)
    assert opt.t == 0
    assert not any(value.any() for state in opt.state.values() for value in state.values())


def test_adam_second_moment_overflow_is_caught_not_left_as_a_silent_inf() -> None:
    # In float32 g = 1e38 is finite but g² is not: Adam's v would hold inf and freeze that weight for good.
    model = ae.Sequential([ae.Dense(1, 1, rng=0, dtype=np.float32)])
    model.params["0.W"] = [[0.5]]
    before = model.flat.params.copy()
    opt = ae.Adam()
    X = np.full((1, 1), 1e19, dtype=np.float32)
    with pytest.raises(ae.TrainingDiverged, match=r"epoch 1, batch 1: overflow encountered in multiply in the update"):
        model.fit(X, np.zeros((1, 1)), batch_size=1, optimizer=opt, verbose=0)
    np.testing.assert_array_equal(model.flat.params, before)
    assert opt.t == 0
    assert not any(value.any() for state in opt.state.values() for value in state.values())


def test_an_overflow_in_a_hidden_layer_stops_fit_before_the_update() -> None:
    # Huge weights overflow inside the decoder while the sigmoid keeps the output (and so the loss) finite.
    model = ae.Autoencoder.from_sizes([4, 2], seed=0)
    model.params["decoder.0.W"] = np.full((2, 4), 1e300)
    model.params["encoder.0.W"] = np.full((4, 2), 1e300)
    before = model.flat.params.copy()
    with pytest.raises(
        ae.TrainingDiverged, match=r"^Autoencoder\.fit: epoch 1, batch 1: overflow encountered in matmul in the forward"
    ):
        model.fit(np.ones((4, 4)), epochs=1, batch_size=4, verbose=0)
    np.testing.assert_array_equal(model.flat.params, before)


class _Infinite(ae.Layer):
    """Outputs inf without a floating-point error (no overflow happens): only the loss's value can show it."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.full_like(x, np.inf)

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y


def test_a_model_whose_output_is_inf_gets_errors_that_name_fit_or_evaluate() -> None:
    model = ae.Sequential([ae.Dense(3, 3, rng=0), _Infinite()])
    with pytest.raises(ValueError, match=r"^Sequential\.evaluate: the loss is inf: the model's output is not finite"):
        model.evaluate(np.ones((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ae.TrainingDiverged, match=r"^Sequential\.fit: epoch 1, batch 1: the loss is inf\."):
        model.fit(np.ones((2, 3)), np.zeros((2, 3)), epochs=1, batch_size=2, verbose=0)


OPTIMIZER_SETTINGS = [
    lambda: ae.Adam(lr=0.5),
    lambda: ae.Adam(lr=20.0),  # a step larger than c: the scratch bound must cover it
    lambda: ae.Adam(lr=0.05, beta1=0.5, beta2=0.9, weight_decay=0.3),
    lambda: ae.Adam(lr=0.05, weight_decay=2.0, decoupled=True),
    lambda: ae.SGD(lr=0.5, weight_decay=0.1),
    lambda: ae.SGD(lr=3.0),
    lambda: ae.SGD(lr=0.3, momentum=0.9),
    lambda: ae.SGD(lr=0.3, momentum=0.9, nesterov=True, weight_decay=0.2),
]


@pytest.mark.parametrize("make", OPTIMIZER_SETTINGS)
@given(seed=seeds, scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_carried_bounds_hold_every_value_a_step_writes(make: Any, seed: int, scale: float) -> None:
    # fit skips the undo copy when these bounds are far below overflow, so none may ever be exceeded: step an
    # optimizer ten times with wild gradients, carrying the bounds from the first norms as fit does, and compare
    # each bound with what the step actually wrote (the scratch array holds the step's last intermediate).
    rng = np.random.default_rng(seed)
    model = ae.Sequential([ae.Dense(4, 3, rng=seed), ae.Tanh(), ae.Dense(3, 2, rng=seed + 1)])
    opt = make()
    bounds = {"params": l2_norm([model.flat.params]), **opt.state_norms()}
    for _ in range(10):
        model.flat.grads[:] = scale * rng.standard_normal(model.flat.grads.size) ** 3
        bounds = opt.bounds_after_step(l2_norm([model.flat.grads]), bounds)
        binding = opt.bind(model)
        opt.update(binding)
        written = {"params": model.flat.params, **binding.flat_state, "scratch": binding.flat_work}
        assert set(bounds) == set(written)
        for name, array in written.items():
            assert float(np.abs(array).max()) <= bounds[name], name


def test_only_steps_the_bounds_cannot_clear_are_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    saves, measures = [], []
    real_save, real_measure = guard.Undo.save, guard.WriteBounds.measure
    monkeypatch.setattr(guard.Undo, "save", lambda undo, *a: saves.append(1) or real_save(undo, *a))
    monkeypatch.setattr(guard.WriteBounds, "measure", lambda b, *a: measures.append(1) or real_measure(b, *a))
    small, X = _founding()
    small.fit(X, epochs=3, batch_size=25, verbose=0)
    assert (saves, len(measures)) == ([], 1)  # Adam's steps are bounded: 12 steps, no copy, norms measured once
    small.fit(X, epochs=3, batch_size=25, verbose=0, callbacks=[object()])
    assert (saves, len(measures)) == ([], 4)  # a callback may change the weights: measured again after each
    opt = ae.SGD(lr=0.1)
    opt.bounds_after_step = lambda grad_bound, bounds: {"params": math.inf}  # type: ignore[method-assign]
    small.fit(X, epochs=1, batch_size=25, optimizer=opt, verbose=0)
    assert len(saves) == 4  # an optimizer without a bound: every step copied
    loose, real_bounds = ae.SGD(lr=0.1), ae.SGD.bounds_after_step
    loose.bounds_after_step = lambda g, b: {k: 1e160 * v for k, v in real_bounds(loose, g, b).items()}  # type: ignore
    measures.clear()
    small.fit(X, epochs=1, batch_size=25, optimizer=loose, verbose=0)
    assert (len(saves), len(measures)) == (4, 4)  # carried bounds outgrow the limit each step: measured, not copied


def test_adam_moves_a_parameter_by_about_lr_whatever_the_gradient() -> None:
    opt = ae.Adam()
    for gradient in (1e-6, 1.0, 1e30):
        bounds = opt.bounds_after_step(gradient, {"params": 1.0, "m": 0.0, "v": 0.0})
        assert bounds["params"] < 1.0 + 3 * opt.lr
    bounds = ae.Adam(beta1=0.99, beta2=0.9).bounds_after_step(1.0, {"params": 1.0, "m": 0.0, "v": 0.0})
    assert bounds["params"] == math.inf  # β1² ≥ β2: no bound
