"""SGD and Adam against their update rules written out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import seeds
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae


class Fixed(ae.Layer):
    """A layer whose gradient we set by hand: params {"w": (3,)}, grads written by the test."""

    def __init__(self, w: np.ndarray) -> None:
        super().__init__()
        self.params["w"] = w.copy()
        self.grads["w"] = np.zeros_like(w)


def _gradients(seed: int, steps: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=3) for _ in range(steps)]


def _adam_by_hand(w, grads, lr, b1, b2, eps, wd, decoupled):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if wd and not decoupled:
            g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        if wd and decoupled:
            w = w - lr * wd * w
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w, m, v


@pytest.mark.parametrize("steps", [1, 10])
@pytest.mark.parametrize(("wd", "decoupled"), [(0.0, False), (0.1, False), (0.1, True)])
@given(
    seed=seeds,
    lr=st.sampled_from([1e-3, 0.05]),
    b1=st.sampled_from([0.0, 0.9]),
    b2=st.sampled_from([0.9, 0.999]),
)
def test_adam_matches_the_paper_by_hand(
    steps: int, wd: float, decoupled: bool, seed: int, lr: float, b1: float, b2: float
) -> None:
    w0 = np.random.default_rng(seed + 1).normal(size=3)
    grads = _gradients(seed, steps)
    layer = Fixed(w0)
    opt = ae.Adam(lr=lr, beta1=b1, beta2=b2, eps=1e-8, weight_decay=wd, decoupled=decoupled)
    for g in grads:
        layer.grads["w"] = g
        opt.step(layer)
    w, m, v = _adam_by_hand(w0, grads, lr, b1, b2, 1e-8, wd, decoupled)
    np.testing.assert_allclose(layer.params["w"], w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(opt.state["w"]["m"], m, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(opt.state["w"]["v"], v, rtol=1e-12, atol=1e-15)
    assert opt.t == steps


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_reads_its_betas_at_every_step(dtype: type) -> None:
    # Adam keeps β1, β2 as 0-d arrays of the parameters' dtype (faster than floats): a changed β must still count.
    w0 = np.array([0.5, -1.0, 2.0])
    grads = _gradients(4, 2)
    layer = Fixed(w0.astype(dtype))
    opt = ae.Adam(lr=0.1)
    layer.grads["w"] = grads[0].astype(dtype)
    opt.step(layer)
    opt.beta1, opt.beta2 = 0.5, 0.9
    layer.grads["w"] = grads[1].astype(dtype)
    opt.step(layer)
    m = 0.5 * (0.1 * grads[0]) + 0.5 * grads[1]
    v = 0.9 * (0.001 * grads[0] ** 2) + 0.1 * grads[1] ** 2
    w1 = w0 - 0.1 * np.sign(grads[0])  # the first step: lr·g/|g| (up to ε)
    w2 = w1 - 0.1 * (m / (1 - 0.5**2)) / (np.sqrt(v / (1 - 0.9**2)) + 1e-8)
    assert layer.params["w"].dtype == opt.state["w"]["m"].dtype == dtype
    tol = 10 * float(np.finfo(dtype).eps)
    np.testing.assert_allclose(opt.state["w"]["m"], m, rtol=tol)
    np.testing.assert_allclose(opt.state["w"]["v"], v, rtol=tol)
    np.testing.assert_allclose(layer.params["w"], w2, rtol=1e-6)


def test_adam_first_step_moves_every_weight_by_lr() -> None:
    # At t = 1, m̂ = g and v̂ = g², so the step is lr · g / (|g| + ε) ≈ lr · sign(g): bias correction at work.
    layer = Fixed(np.zeros(3))
    layer.grads["w"] = np.array([1e-3, -5.0, 200.0])
    ae.Adam(lr=0.01).step(layer)
    np.testing.assert_allclose(layer.params["w"], [-0.01, 0.01, -0.01], rtol=1e-4)


def test_adam_weight_decay_l2_and_decoupled_differ_as_documented() -> None:
    w0 = np.array([1.0, -2.0, 3.0])
    for decoupled in (False, True):
        layer = Fixed(w0)
        layer.grads["w"] = np.zeros(3)
        ae.Adam(lr=0.1, weight_decay=0.5, decoupled=decoupled).step(layer)
        if decoupled:  # p ← p(1 − lr·λ), and a zero gradient adds nothing
            np.testing.assert_allclose(layer.params["w"], w0 * (1 - 0.1 * 0.5))
        else:  # g = λ·p goes through Adam: a step of lr against the sign of p
            np.testing.assert_allclose(layer.params["w"], w0 - 0.1 * np.sign(w0), rtol=1e-6)


@pytest.mark.parametrize(
    ("momentum", "nesterov", "wd"),
    [(0.0, False, 0.0), (0.9, False, 0.0), (0.9, True, 0.0), (0.5, False, 0.1), (0.0, False, 0.1)],
)
@pytest.mark.parametrize("steps", [1, 10])
def test_sgd_matches_the_update_by_hand(momentum: float, nesterov: bool, wd: float, steps: int) -> None:
    w = np.array([0.5, -1.0, 2.0])
    grads = _gradients(3, steps)
    layer = Fixed(w)
    opt = ae.SGD(lr=0.1, momentum=momentum, nesterov=nesterov, weight_decay=wd)
    u = np.zeros(3)
    for g in grads:
        layer.grads["w"] = g
        opt.step(layer)
        g = g + wd * w
        u = momentum * u + g
        w = w - 0.1 * ((g + momentum * u) if nesterov else (u if momentum else g))
    np.testing.assert_allclose(layer.params["w"], w, rtol=1e-12)
    if momentum:
        np.testing.assert_allclose(opt.state["w"]["velocity"], u, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: ae.Adam(lr=0.01, weight_decay=0.01), lambda: ae.SGD(0.1, momentum=0.9)])
def test_flat_buffer_and_per_parameter_updates_agree_bitwise(make) -> None:
    # A model updates one flat buffer; a lone Dense updates W and b one by one: the numbers must agree.
    model = ae.Sequential([ae.Dense(4, 3, rng=0)])
    lone = ae.Dense(4, 3, rng=0)
    assert model.flat is not None
    opt_model, opt_lone = make(), make()
    x = np.random.default_rng(1).normal(size=(5, 4))
    for _ in range(5):
        for layer, opt in ((model, opt_model), (lone, opt_lone)):
            layer.forward(x)
            layer.backward(np.ones((5, 3)))
            opt.step(layer)
    np.testing.assert_array_equal(model.params["0.W"], lone.params["W"])
    np.testing.assert_array_equal(model.params["0.b"], lone.params["b"])
    for key in opt_lone.state["W"]:
        np.testing.assert_array_equal(opt_model.state["0.W"][key], opt_lone.state["W"][key])


def test_optimizer_state_is_inspectable_per_parameter() -> None:
    model = ae.Autoencoder.from_sizes([4, 2], seed=0)
    opt = ae.Adam()
    model.forward(np.ones((2, 4)))
    model.backward(np.ones((2, 4)))
    opt.step(model)
    assert set(opt.state) == {"encoder.0.W", "encoder.0.b", "decoder.0.W", "decoder.0.b"}
    assert opt.state["encoder.0.W"]["m"].shape == (4, 2)
    assert opt.state["decoder.0.b"]["v"].shape == (4,)
    np.testing.assert_allclose(opt.state["decoder.0.b"]["m"], 0.1 * model.grads["decoder.0.b"])


def test_optimizer_refuses_a_second_model() -> None:
    opt = ae.SGD(0.1)
    a, b = ae.Dense(2, 2, rng=0), ae.Dense(2, 2, rng=1)
    opt.step(a)
    with pytest.raises(ValueError, match="already holds state for another model"):
        opt.step(b)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: ae.Adam(lr=0), ValueError, r"Adam: lr must be in \(0.0, inf\], got 0"),
        (lambda: ae.Adam(lr=-1e-3), ValueError, "lr must be in"),
        (lambda: ae.Adam(lr=float("nan")), ValueError, "lr must be in"),
        (lambda: ae.Adam(beta1=1.0), ValueError, r"beta1 must be in \[0.0, 1.0\), got 1.0"),
        (lambda: ae.Adam(beta2=-0.1), ValueError, "beta2 must be in"),
        (lambda: ae.Adam(eps=0), ValueError, "eps must be in"),
        (lambda: ae.Adam(lr="fast"), TypeError, "lr must be a real number"),
        (lambda: ae.SGD(0.1, weight_decay=-1), ValueError, "weight_decay must be in"),
        (lambda: ae.SGD(0.1, momentum=1.0), ValueError, "momentum must be in"),
        (lambda: ae.SGD(0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    ],
)
def test_optimizers_reject_bad_hyperparameters(make, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_optimizer_registry() -> None:
    assert isinstance(ae.optimizers.get("adam"), ae.Adam)
    assert ae.optimizers.get("sgd").lr == 0.01
    with pytest.raises(ValueError, match="optimizer must be one of"):
        ae.optimizers.get("rmsprop")
