"""What each check expects: the grader's side, which a student handout never carries.

``expect(function, inputs)`` returns the expected outputs of one case as plain arrays:

- forward values from the docstrings' equations (y = x W + b, each ℓ, the masked mean), with what the
  known mistakes would give (for the hints);
- gradients by finite differences of those forwards (central differences, as the gradient checker takes
  them), with the rounding noise of each entry: no backward pass is written here;
- Adam's trajectory from the docstring's update, and the trajectory of each known mistake.

These are working copies of the forward passes and of Adam: that is why ``assignment create`` leaves this
module out of the handout and ships the public cases' expectations as numbers instead
(``public_checks.npz``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ..gradcheck import finite_differences as fd
from .checks import adam as adam_check
from .checks.activations import ACTIVATIONS
from .checks.autoencoder import SCALES
from .checks.losses import LOSSES
from .checks.masked_loss import logcosh
from .checks.protocol import Arrays

EPS = fd.DEFAULT_STEPS["central"]
FLOAT32_RTOL = 1e-4  # a float32 layer's gradients, against finite differences taken in float64


def _numeric(loss: Callable[[], float], quantities: Arrays, output_scale: float = 0.0) -> Arrays:
    """dL/dq for every quantity q (moved in place, one entry at a time) and its noise, "noise q".

    The noise is the gradient checker's: rounding makes each L wrong by about ε·S, S = |L| + Σ |∂L/∂q · q|
    + the output's own size, so a central difference is wrong by about 10·ε·S/h.
    """
    grads = {
        name: fd.entry_derivatives(loss, q, list(np.ndindex(q.shape)), EPS, "central")[0]
        for name, q in quantities.items()
    }
    scale = abs(float(loss())) + output_scale + sum(float(np.sum(np.abs(grads[n] * q))) for n, q in quantities.items())
    noise = {f"noise {name}": fd.noise(q, EPS, "central", scale) for name, q in quantities.items()}
    return {**grads, **noise, "rtol": np.array(1e-6)}


def _float32(expected: Arrays, names: list[str]) -> Arrays:
    """Tolerances for a float32 layer: its own rounding, ~ε32 of the largest gradient, dominates the noise."""
    for name in names:
        expected[f"noise {name}"] = np.maximum(expected[f"noise {name}"], FLOAT32_RTOL * np.max(np.abs(expected[name])))
    return {**expected, "rtol": np.array(FLOAT32_RTOL)}


def _as64(inputs: Arrays, *names: str) -> list[np.ndarray]:
    return [inputs[name].astype(np.float64) for name in names]


# dense ------------------------------------------------------------------------------------------------------


def dense(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x: (batch, in), W: (in, out), b: (out,) -> y = x W + b: (batch, out), written as a sum over the input index."""
    return np.einsum("ni,io->no", x, W) + b


def _dense_forward(inputs: Arrays) -> Arrays:
    x, W, b = _as64(inputs, "x", "W", "b")
    rtol = 1e-10 if inputs["x"].dtype == np.float64 else 1e-5
    scale = np.abs(x) @ np.abs(W) + np.abs(b)  # rounding grows with the terms summed, not with |y|
    return {"y": dense(x, W, b), "x W": x @ W, "rtol": np.array(rtol), "atol": rtol * scale}


def _dense_backward(inputs: Arrays) -> Arrays:
    x, W, b, G = _as64(inputs, "x", "W", "b", "G")
    expected = _numeric(
        lambda: float(np.sum(G * dense(x, W, b))), {"W": W, "b": b, "x": x}, float(np.sum(np.abs(G * dense(x, W, b))))
    )
    return expected if inputs["x"].dtype == np.float64 else _float32(expected, ["W", "b", "x"])


# activations ------------------------------------------------------------------------------------------------

_FORWARDS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "relu": lambda x, alpha: np.maximum(x, 0.0),
    "leaky_relu": lambda x, alpha: np.where(x > 0, x, alpha * x),
    "sigmoid": lambda x, alpha: 0.5 * (1.0 + np.tanh(0.5 * x)),  # σ(x) = (1 + tanh(x/2)) / 2: no overflow
    "tanh": lambda x, alpha: np.tanh(x),
}
_SLOPE_AT_0 = {"relu": lambda alpha: 0.0, "leaky_relu": lambda alpha: alpha}


def _activation_backward(name: str, inputs: Arrays) -> Arrays:
    x, G = _as64(inputs, "x", "G")
    alpha = float(inputs["alpha"])
    f = _FORWARDS[name]
    expected = _numeric(lambda: float(np.sum(G * f(x, alpha))), {"x": x}, float(np.sum(np.abs(G * f(x, alpha)))))
    if ACTIVATIONS[name].rule:
        expected["slope at 0"] = np.array(_SLOPE_AT_0[name](alpha))
    return expected


# losses -----------------------------------------------------------------------------------------------------


def _clip(p: np.ndarray) -> np.ndarray:
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1.0 - eps)


def _cross_entropy(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """−log of the likelihood p^t (1 − p)^(1 − t), at the clipped p as BCELoss documents."""
    p = _clip(pred)
    return -np.log(p**target * (1.0 - p) ** (1.0 - target))


_ELL: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "mse": lambda p, t: np.square(p - t),
    "bce": _cross_entropy,
    "bce_logits": lambda z, t: np.logaddexp(0.0, z) - t * z,  # log(1 + e^z) − t z, stable through logaddexp
}


def _loss_forward(name: str, inputs: Arrays) -> Arrays:
    return {"ℓ": _ELL[name](*_as64(inputs, "pred", "target"))}


def _loss_backward(name: str, inputs: Arrays) -> Arrays:
    pred, target = _as64(inputs, "pred", "target")
    ell = _ELL[name]
    return _numeric(lambda: float(np.sum(ell(pred, target))), {"p": pred})


# the masked mean --------------------------------------------------------------------------------------------


def _weights(inputs: Arrays) -> np.ndarray:
    return inputs["mask"] if "mask" in inputs else np.ones_like(inputs["pred"])


def _masked_mean(inputs: Arrays) -> Arrays:
    ell = logcosh(*_as64(inputs, "pred", "target"))
    m = _weights(inputs)
    return {
        "L": np.array(np.sum(m * ell) / np.sum(m)),
        "n": np.array(np.sum(m)),
        "Σ m·ℓ": np.array(np.sum(m * ell)),
        "Σ m·ℓ / entries": np.array(np.sum(m * ell) / ell.size),
        "mean ℓ": np.array(np.mean(ell)),
    }


def _masked_mean_backward(inputs: Arrays) -> Arrays:
    pred, target = _as64(inputs, "pred", "target")
    m = _weights(inputs)
    return _numeric(lambda: float(np.sum(m * logcosh(pred, target)) / np.sum(m)), {"p": pred})


# a model's backward -----------------------------------------------------------------------------------------


def _model_backward(inputs: Arrays) -> Arrays:
    """dL/dθ (and dL/dx, unless the walk must stop) of L = Σ G ⊙ model(x), the grader's layers written out."""
    x, G = _as64(inputs, "x", "G")
    params = {f"{layer}.{k}": inputs[f"{layer}.{k}"].astype(np.float64) for layer in SCALES for k in "sc"}
    mask = inputs.get("mask")

    def model() -> np.ndarray:
        h = x if mask is None else x * mask  # Dropout's fixed mask
        h = np.sin(h * params["encoder.0.s"] + params["encoder.0.c"])[:, inputs["encoder.index"]]
        return np.sin(h * params["decoder.0.s"] + params["decoder.0.c"])[:, inputs["decoder.index"]]

    quantities = params if mask is not None else {**params, "x": x}
    return _numeric(lambda: float(np.sum(G * model())), quantities, float(np.sum(np.abs(G * model()))))


# Adam -------------------------------------------------------------------------------------------------------


def adam(inputs: Arrays, variant: str = "") -> Arrays:
    """The parameters after each step of the docstring's Adam (or of the mistake ``variant``): (steps, ...) each."""
    s = {key: float(inputs[key]) for key in adam_check.SETTINGS}
    names = adam_check.parameter_names(inputs)
    p = {name: inputs[name].astype(np.float64) for name in names}
    m = {name: np.zeros_like(value) for name, value in p.items()}
    v = {name: np.zeros_like(value) for name, value in p.items()}
    decay = 0.0 if variant == "no_weight_decay" else s["weight_decay"]
    decoupled = bool(s["decoupled"]) != (variant == "swapped_weight_decay")
    trajectory: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for t in range(1, adam_check.STEPS + 1):
        for k in names:
            g = inputs[f"g {k}"][t - 1] + (0.0 if decoupled else decay * p[k])
            if variant == "no_state":
                m[k], v[k] = np.zeros_like(g), np.zeros_like(g)
            m[k] = s["beta1"] * m[k] + (1.0 - s["beta1"]) * g
            v[k] = s["beta2"] * v[k] + (1.0 - s["beta2"]) * g * g
            power = 1 if variant == "beta_not_power" else t
            m_hat = m[k] if variant == "no_bias_correction" else m[k] / (1.0 - s["beta1"] ** power)
            v_hat = v[k] if variant == "no_bias_correction" else v[k] / (1.0 - s["beta2"] ** power)
            if variant != "frozen":
                if decoupled:
                    p[k] = p[k] * (1.0 - s["lr"] * decay)
                denominator = np.sqrt(v_hat + s["eps"]) if variant == "eps_inside" else np.sqrt(v_hat) + s["eps"]
                step = s["lr"] * m_hat / denominator
                p[k] = p[k] + step if variant == "sign" else p[k] - step
            trajectory[k].append(p[k].copy())
    return {name: np.stack(values) for name, values in trajectory.items()}


def _adam_step(inputs: Arrays) -> Arrays:
    expected = adam(inputs)
    for variant, _, _ in adam_check.MISTAKES:
        expected.update({f"{variant} {name}": value for name, value in adam(inputs, variant).items()})
    return expected


EXPECT: dict[str, Callable[[Arrays], Arrays]] = {
    "dense.forward": _dense_forward,
    "dense.backward": _dense_backward,
    **{f"{name}.backward": functools.partial(_activation_backward, name) for name in ACTIVATIONS},
    **{f"{name}.forward": functools.partial(_loss_forward, name) for name in LOSSES},
    **{f"{name}.backward": functools.partial(_loss_backward, name) for name in LOSSES},
    "loss.masked_mean": _masked_mean,
    "loss.masked_mean_backward": _masked_mean_backward,
    "model.backward": _model_backward,
    "adam.step": _adam_step,
}


def expect(function: str, inputs: Arrays) -> Arrays:
    """The expected outputs of ``function`` on one case's ``inputs``."""
    with np.errstate(all="ignore"):  # the extremes (|z| = 800) overflow where no result depends on it
        return EXPECT[function](inputs)
