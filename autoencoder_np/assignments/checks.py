"""The grader's checks, one per function, run by ``worker.py`` in a process of their own.

The student's package is importable as ``autoencoder_np``; this module belongs to the grader's copy (the
teacher's installed package, or the workspace's own copy when a student runs ``grade.py``).

Each check calls the student's function and nothing else the student wrote: a backward pass is checked
against the grader's own forward (the docstring's equation), a model is built from the grader's layers
(:func:`grader_layers`), a loss's derivative is checked against the grader's ℓ. So a mistake costs the
points of its own function only. Backward passes are judged by the gradient checker (finite differences,
with its diagnosis hints); forward passes and the Adam step by the docstring's equations. Inputs, shapes
and hyperparameters are drawn from the seed, so every run sees fresh numbers.

Hint codes beyond the gradient checker's (``diagnosis.HINT_CODES``): see :data:`HINT_CODES`.
"""

from __future__ import annotations

import functools
import importlib
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..diagnosis import Hint
from ..gradcheck import GradCheckReport, check_layer, check_loss

STUDENT = "autoencoder_np"

HINT_CODES: dict[str, str] = {
    "accumulates": "backward adds to grads instead of overwriting them",
    "in_place": "an array changed in place that must not (grad_y), or not changed in place that must (p, m, v)",
    "bias": "the bias b is missing from y = x W + b",
    "dtype": "a float32 layer returned float64",
    "kink": "the derivative at the kink x = 0 differs from the docstring's convention",
    "not_finite": "NaN or inf where the exact value is finite (overflow, log 0, division by 0)",
    "mask": "the mask is ignored",
    "bias_correction": "Adam's bias correction is missing or uses β instead of β^t",
    "eps": "Adam's ε is inside the square root",
    "state": "Adam's m and v do not carry over between steps",
    "weight_decay": "the weight decay is missing or of the wrong kind",
    "input_grad": "a model's backward walks on past the layer that returned None (input_grad False)",
}


@dataclass
class Failure:
    """Why a function is wrong: a sentence, and the hints (gradient checker's or the grader's)."""

    detail: str
    hints: list[Hint]


class StudentImportError(Exception):
    """A module of the student's package does not import (its message says which and why)."""


def student(module: str) -> ModuleType:
    """``autoencoder_np.<module>`` from the student's package (never the installed one)."""
    name = f"{STUDENT}.{module}"
    try:
        imported = importlib.import_module(name)
    except Exception as err:
        raise StudentImportError(f"{name.replace('.', '/')}.py does not import: {_describe(err)}") from err
    root = Path(sys.modules[STUDENT].__path__[0]).resolve()
    if root not in Path(imported.__file__ or "").resolve().parents:
        raise StudentImportError(f"{name} was imported from {imported.__file__}, not from {root}")
    return imported


def _describe(err: BaseException) -> str:
    """``Type: message (at autoencoder_np/file.py:line, in function)``, the place being in the student's code."""
    text = f"{type(err).__name__}: {err}"
    if isinstance(err, SyntaxError):
        return text
    root = Path(sys.modules[STUDENT].__path__[0]).resolve()
    grader = root / "assignments"  # the workspace's copy of the grader is not the student's code
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if root in Path(f.filename).resolve().parents and grader not in Path(f.filename).resolve().parents
    ]
    if frames:
        frame = frames[-1]
        text += f" (at {STUDENT}/{Path(frame.filename).resolve().relative_to(root).as_posix()}:{frame.lineno}"
        text += f", in {frame.name})"
    return text


# Comparing values -------------------------------------------------------------------------------------------


def _compare(
    name: str,
    got: Any,
    expected: np.ndarray,
    equation: str,
    *,
    rtol: float = 1e-10,
    atol: float | np.ndarray | None = None,
    alternatives: Iterable[tuple[np.ndarray, Hint]] = (),
    not_finite: str = "",
) -> Failure | None:
    """None when ``got`` equals ``expected`` (its shape; its values within rtol, atol); else the worst entry.

    ``alternatives``: (what a known mistake would give, its hint); the ones ``got`` equals become hints, as
    do a sign error, a factor 2 and a factor ½. ``not_finite``: the hint when ``got`` holds NaN or inf where
    ``expected`` does not.
    """
    got = np.asarray(got)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        detail = f"{name} has shape {got.shape}, expected {expected.shape}"
        return Failure(detail, [Hint("shape", f"{detail}: {equation}.")])
    if got.dtype.kind not in "fiu":
        return Failure(f"{name} has dtype {got.dtype}, expected real numbers", [])
    got = got.astype(np.float64)
    atol = rtol * 1e-3 if atol is None else atol
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return None
    if not np.isfinite(got).all() and np.isfinite(expected).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0])
        return Failure(
            f"{name}{list(where)} is {got[where]} where {equation} gives {expected[where]:.6g}",
            [Hint("not_finite", not_finite or f"{name} is not finite at {list(where)} while the exact value is.")],
        )
    error = np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)
    worst = tuple(
        int(i) for i in np.unravel_index(int(np.nanargmax(np.where(np.isnan(error), np.inf, error))), got.shape)
    )
    entry = f"{name}{list(worst)}" if worst else name
    detail = f"{name} differs from {equation}: {entry} is {got[worst]:.6g}, expected {expected[worst]:.6g}"
    common = [
        (-expected, Hint("sign", f"{name} has the opposite sign everywhere: a sign error?")),
        (2.0 * expected, Hint("factor", f"{name} is twice the expected value everywhere: a doubled term?")),
        (0.5 * expected, Hint("factor", f"{name} is half the expected value everywhere: a missing factor 2?")),
    ]
    hints = [hint for value, hint in [*alternatives, *common] if np.allclose(got, value, rtol=rtol, atol=atol)]
    return Failure(detail, hints)


def _gradient(report: GradCheckReport) -> Failure | None:
    """The gradient checker's verdict as a failure: its summary and its diagnosis hints."""
    return None if report.passed else Failure(report.summary(), list(report.diagnosis))


def _first(cases: Iterable[Callable[[], Failure | None]]) -> Failure | None:
    """Run every case; the first failure with a hint, else the first failure, else None.

    A case that raises counts as a failure (its exception is the detail), so a mistake that crashes on
    one shape (a transpose) can still be named by a case where the shapes happen to fit.
    """
    failures = []
    for case in cases:
        try:
            failure = case()
        except (NotImplementedError, StudentImportError):
            raise
        except Exception as err:  # the student's code may raise anything: it is this case's failure
            failure = Failure(_describe(err), [])
        if failure:
            failures.append(failure)
    with_hints = [f for f in failures if f.hints]
    return (with_hints or failures or [None])[0]


def _distinct_sizes(rng: np.random.Generator, count: int) -> list[int]:
    """``count`` different sizes in 3 … 7: a batch never equals a width, so the diagnosis can tell N from 2."""
    return [int(k) for k in 3 + rng.choice(5, size=count, replace=False)]


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def _side_effects(layer: Any, x: np.ndarray, rng: np.random.Generator) -> Failure | None:
    """Side effects of backward: it must not change its argument, and must overwrite grads, not add to them."""
    G = rng.standard_normal(np.shape(layer.forward(x)))
    G_before = G.copy()
    layer.backward(G)
    if not np.array_equal(G, G_before):
        text = "backward changed its argument grad_y in place (grad_y *= …): compute the result in a new array."
        return Failure("backward changed grad_y in place", [Hint("in_place", text)])
    first = {key: np.array(value) for key, value in layer.grads.items()}
    layer.backward(G)
    for key, value in first.items():
        if np.isfinite(value).all() and np.any(value) and np.allclose(layer.grads[key], 2.0 * value):
            text = f"{key}: a second backward doubled the gradient: overwrite grads (=), do not add to them (+=)."
            return Failure(f"grads[{key!r}] accumulates over backward calls", [Hint("accumulates", text)])
    return None


# The grader's own pieces ------------------------------------------------------------------------------------


def dense(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x: (batch, in), W: (in, out), b: (out,) -> y = x W + b: (batch, out), written as a sum over the input index."""
    return np.einsum("ni,io->no", x, W) + b


def logcosh(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ = log cosh(p − t), a smooth loss that is none of the exercises; ℓ′ = tanh(p − t)."""
    d = pred - target
    return np.logaddexp(d, -d) - np.log(2.0)


def _clip(p: np.ndarray) -> np.ndarray:
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1.0 - eps)


def _cross_entropy(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """−log of the likelihood p^t (1 − p)^(1 − t), at the clipped p as BCELoss documents."""
    p = _clip(pred)
    return -np.log(p**target * (1.0 - p) ** (1.0 - target))


def grader_layers(Layer: type) -> tuple[type, type, type, type]:
    """Four layers none of the exercises covers, on the student's Layer base: Scale, Sin, Spread, Dropout.

    Scale: y = x ⊙ s + c;  Sin: y = sin x;  Spread(index): y = x[:, index] (changes the width);
    Dropout(size, rng): y = x ⊙ m / (1 − rate) with one fixed 0/1 mask m (no parameters).
    Each backward checks the shape of grad_y, so a chain walked in the wrong order says so. Scale follows
    the input_grad protocol (returns None when nobody reads dL/dx); Dropout records a None it is given in
    ``cache["got_none"]`` (a real Dropout would crash on it), so the check can say what went wrong.
    """

    class _Checked(Layer):
        def _incoming(self, grad_y: np.ndarray) -> np.ndarray:
            if grad_y is None:
                raise ValueError(
                    f"{type(self).__name__}.backward got None for dL/dy: does every backward return its dL/dx?"
                )
            grad_y = np.asarray(grad_y)
            if grad_y.shape != self.cache["y_shape"]:
                raise ValueError(
                    f"{type(self).__name__}.backward got dL/dy of shape {grad_y.shape}, but its output had shape "
                    f"{self.cache['y_shape']}: are the layers walked from last to first?"
                )
            return grad_y

    class Scale(_Checked):
        def __init__(self, size: int, rng: np.random.Generator) -> None:
            super().__init__()
            self.params["s"] = rng.uniform(0.5, 1.5, size)
            self.params["c"] = rng.standard_normal(size)
            self.grads["s"] = np.zeros(size)
            self.grads["c"] = np.zeros(size)

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["x"] = x
            y = x * self.params["s"] + self.params["c"]
            self.cache["y_shape"] = y.shape
            return y

        def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
            grad_y = self._incoming(grad_y)
            x = self.cache["x"]
            self.grads["s"] = np.sum(grad_y * x, axis=0)
            self.grads["c"] = np.sum(grad_y, axis=0)
            return grad_y * self.params["s"] if self.input_grad else None

    class Sin(_Checked):
        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["x"] = x
            self.cache["y_shape"] = np.shape(x)
            return np.sin(x)

        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            return self._incoming(grad_y) * np.cos(self.cache["x"])

    class Spread(_Checked):
        def __init__(self, index: np.ndarray) -> None:
            super().__init__()
            self.index = index

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["x_shape"] = np.shape(x)
            y = x[:, self.index]
            self.cache["y_shape"] = y.shape
            return y

        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            grad_x = np.zeros(self.cache["x_shape"], dtype=np.result_type(grad_y))
            np.add.at(grad_x, (slice(None), self.index), self._incoming(grad_y))
            return grad_x

    class Dropout(_Checked):
        def __init__(self, size: int, rng: np.random.Generator, rate: float = 0.5) -> None:
            super().__init__()
            self.scaled_mask = (rng.random(size) >= rate) / (1.0 - rate)

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["y_shape"] = np.shape(x)
            return x * self.scaled_mask

        def backward(self, grad_y: np.ndarray | None) -> np.ndarray | None:
            if grad_y is None:
                self.cache["got_none"] = True
                return None
            return self._incoming(grad_y) * self.scaled_mask

    return Scale, Sin, Spread, Dropout


# The checks -------------------------------------------------------------------------------------------------

CHECKS: dict[str, Callable[[np.random.Generator], Failure | None]] = {}


def _check(function: str) -> Callable[[Callable[[np.random.Generator], Failure | None]], Any]:
    def register(fn: Callable[[np.random.Generator], Failure | None]) -> Any:
        CHECKS[function] = fn
        return fn

    return register


@_check("dense.forward")
def _dense_forward(rng: np.random.Generator) -> Failure | None:
    layers = student("layers")
    batch, n_in, n_out = _distinct_sizes(rng, 3)

    def case(batch: int, dtype: type) -> Failure | None:
        layer = layers.Dense(n_in, n_out, rng=0, dtype=dtype)
        layer.params["W"] = rng.standard_normal((n_in, n_out))
        layer.params["b"] = rng.standard_normal(n_out)
        x = rng.standard_normal((batch, n_in)).astype(dtype)
        W, b = (np.asarray(layer.params[k], dtype=np.float64) for k in ("W", "b"))
        y = layer.forward(x)
        if np.asarray(y).dtype != np.dtype(dtype):
            text = f"y is {np.asarray(y).dtype} for a {np.dtype(dtype)} layer: compute in the layer's dtype."
            return Failure(f"y has dtype {np.asarray(y).dtype}, expected {np.dtype(dtype)}", [Hint("dtype", text)])
        x64 = x.astype(np.float64)
        missing_bias = Hint("bias", "y equals x W: the bias b is missing (y = x W + b, b added to every row).")
        tol = 1e-10 if dtype is np.float64 else 1e-5
        scale = np.abs(x64) @ np.abs(W) + np.abs(b)  # rounding grows with the terms summed, not with |y|
        expected = dense(x64, W, b)
        return _compare(
            "y", y, expected, "y = x W + b", rtol=tol, atol=tol * scale, alternatives=[(x64 @ W, missing_bias)]
        )

    return _first([lambda: case(batch, np.float64), lambda: case(1, np.float64), lambda: case(batch, np.float32)])


@_check("dense.backward")
def _dense_backward(rng: np.random.Generator) -> Failure | None:
    layers = student("layers")

    class GradedDense(layers.Dense):
        """The student's backward after the grader's forward (which caches x, as the starter code does)."""

        def forward(self, x: np.ndarray) -> np.ndarray:
            x = np.asarray(x, dtype=self.params["W"].dtype)
            self.cache = {"x": x, "W": self.params["W"]}  # what the starter's forward caches
            return dense(x, self.params["W"], self.params["b"])

    def case(batch: int, n_in: int, n_out: int) -> Failure | None:
        layer = GradedDense(n_in, n_out, rng=0)
        layer.params["W"] = rng.standard_normal((n_in, n_out))
        layer.params["b"] = rng.standard_normal(n_out)
        x = rng.standard_normal((batch, n_in))
        return _side_effects(layer, x, rng) or _gradient(check_layer(layer, x, seed=_seed(rng)))

    batch, n_in, n_out = _distinct_sizes(rng, 3)
    # A square W too: there the shapes fit a transposed product, and the checker names the transpose.
    return _first([lambda: case(batch, n_in, n_out), lambda: case(batch, n_out, n_out)])


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def _at_kink(layer: Any, rng: np.random.Generator, slope: float, rule: str) -> Failure | None:
    """At x = 0 the derivative is ``slope`` by the docstring's convention."""
    x = np.array([[0.0, 1.0, -1.0]])
    layer.forward(x)
    G = rng.uniform(0.5, 1.5, size=x.shape)
    grad_x = np.asarray(layer.backward(G))
    if grad_x.shape == x.shape and not np.isclose(grad_x[0, 0], slope * G[0, 0]):
        name = type(layer).__name__
        text = f"at x = 0 {name}'s derivative is taken as {slope:g} ({rule}); got {grad_x[0, 0] / G[0, 0]:.3g}."
        detail = f"dL/dx at the kink x = 0 is {grad_x[0, 0]:.6g}, expected {slope * G[0, 0]:.6g}"
        return Failure(detail, [Hint("kink", text)])
    return None


def _finite(name: str, got: Any, hint: str) -> Failure | None:
    """Where the exact value is finite (the extremes a careless formula overflows at), ``got`` must be too."""
    values = np.asarray(got, dtype=np.float64)
    if np.isfinite(values).all():
        return None
    where = [int(i) for i in np.argwhere(~np.isfinite(values))[0]]
    return Failure(f"{name}{where} is {values[tuple(where)]}", [Hint("not_finite", hint)])


def _saturated(layer: Any, rng: np.random.Generator) -> Failure | None:
    """Far out on both sides the derivative is (nearly) 0, and finite."""
    x = np.array([[-800.0, -40.0, 40.0, 800.0]])
    layer.forward(x)
    G = rng.uniform(0.5, 1.5, size=x.shape)
    text = "dL/dx is not finite at |x| = 800: compute f′ from the cached output y, without exponentiating x."
    return _finite("dL/dx", layer.backward(G), text)


@dataclass(frozen=True)
class _Activation:
    """make(the student's activations module, α) -> the layer; a ReLU-like one has its f′(0) and rule."""

    make: Callable[[ModuleType, float], Any]
    slope_at_kink: Callable[[float], float] | None = None
    rule: str = ""


_ACTIVATIONS = {
    "relu": _Activation(lambda a, alpha: a.ReLU(), lambda alpha: 0.0, "the gradient passes only where x > 0"),
    "leaky_relu": _Activation(lambda a, alpha: a.LeakyReLU(alpha), lambda alpha: alpha, "1 only where x > 0"),
    "sigmoid": _Activation(lambda a, alpha: a.Sigmoid()),
    "tanh": _Activation(lambda a, alpha: a.Tanh()),
}


def _activation_backward(spec: _Activation, rng: np.random.Generator) -> Failure | None:
    activations = student("activations")
    alpha = float(rng.uniform(0.05, 0.5))  # LeakyReLU's slope: not the default 0.01, so a hard-coded one shows
    batch, width = _distinct_sizes(rng, 2)
    slope = spec.slope_at_kink
    x = 2.0 * rng.standard_normal((batch, width)) if slope is None else _away_from_zero(rng, (batch, width))

    def checked() -> Failure | None:
        layer = spec.make(activations, alpha)
        return _side_effects(layer, x, rng) or _gradient(check_layer(layer, x, seed=_seed(rng)))

    def edge() -> Failure | None:
        layer = spec.make(activations, alpha)
        return _saturated(layer, rng) if slope is None else _at_kink(layer, rng, slope(alpha), spec.rule)

    return _first([checked, edge])


for _key, _activation in _ACTIVATIONS.items():
    CHECKS[f"{_key}.backward"] = functools.partial(_activation_backward, _activation)


@dataclass(frozen=True)
class _ElementwiseLoss:
    """What the grader knows of one element-wise loss: its own ℓ, the inputs, and the extremes."""

    class_name: str
    equation: str
    ell: Callable[[np.ndarray, np.ndarray], np.ndarray]
    draw: Callable[[np.random.Generator, tuple[int, int]], tuple[np.ndarray, np.ndarray]]
    extreme: tuple[np.ndarray, np.ndarray]  # (pred, target) where a careless formula overflows
    not_finite: str  # the hint when it does


_LOSSES = {
    "mse": _ElementwiseLoss(
        "MSELoss",
        "ℓ = (p − t)²",
        lambda p, t: np.square(p - t),
        lambda rng, shape: (rng.standard_normal(shape), rng.standard_normal(shape)),
        (np.array([[-1e3, 0.0, 1e3]]), np.array([[1e3, 0.0, -1e3]])),
        "not finite for |p − t| = 2000.",
    ),
    "bce": _ElementwiseLoss(
        "BCELoss",
        "ℓ = −[t log p + (1 − t) log(1 − p)]",
        _cross_entropy,
        lambda rng, shape: (rng.uniform(0.05, 0.95, shape), rng.uniform(0.0, 1.0, shape)),
        (np.array([[0.0, 1.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 1.0, 1.0]])),
        "not finite at p = 0 or p = 1: use the clipped p the starter code computes, not pred.",
    ),
    "bce_logits": _ElementwiseLoss(
        "BCEWithLogitsLoss",
        "ℓ = max(z, 0) − z t + log(1 + e^(−|z|))",
        lambda z, t: np.logaddexp(0.0, z) - t * z,  # log(1 + e^z) − t z, stable through logaddexp
        lambda rng, shape: (3.0 * rng.standard_normal(shape), rng.uniform(0.0, 1.0, shape)),
        (np.array([[-800.0, 800.0, -800.0, 800.0]]), np.array([[0.0, 0.0, 1.0, 1.0]])),
        "not finite at |z| = 800: e^z overflows; use the stable form max(z, 0) − z·t + log(1 + e^(−|z|)).",
    ),
}


def _loss_forward(spec: _ElementwiseLoss, rng: np.random.Generator) -> Failure | None:
    loss = getattr(student("losses"), spec.class_name)()
    batch, width = _distinct_sizes(rng, 2)

    def case(pred: np.ndarray, target: np.ndarray) -> Failure | None:
        got = loss.elementwise(pred.copy(), target.copy())
        return _compare("ℓ", got, spec.ell(pred, target), spec.equation, not_finite=f"ℓ is {spec.not_finite}")

    return _first([lambda: case(*spec.draw(rng, (batch, width))), lambda: case(*spec.extreme)])


class _Derivative:
    """L = mean ℓ(p, t) with the grader's ℓ; dL/dp from the student's ℓ′. Checks ℓ′ alone."""

    def __init__(self, loss: Any, ell: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        self.loss = loss
        self.ell = ell
        self.args: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))

    def __repr__(self) -> str:
        return f"{type(self.loss).__name__}.derivative"

    def forward(self, pred: np.ndarray, target: np.ndarray, mask: None = None) -> float:
        self.args = (pred, target)
        return float(np.mean(self.ell(pred, target)))

    def backward(self) -> np.ndarray:
        pred, target = self.args
        return np.asarray(self.loss.derivative(pred.copy(), target.copy())) / pred.size


def _loss_backward(spec: _ElementwiseLoss, rng: np.random.Generator) -> Failure | None:
    loss = getattr(student("losses"), spec.class_name)()
    batch, width = _distinct_sizes(rng, 2)
    pred, target = spec.draw(rng, (batch, width))
    extreme = (spec.extreme[0].copy(), spec.extreme[1].copy())  # where the exact ℓ′ is finite
    return _first(
        [
            lambda: _gradient(check_loss(_Derivative(loss, spec.ell), pred, target, seed=_seed(rng))),
            lambda: _finite("ℓ′", loss.derivative(*extreme), f"ℓ′ is {spec.not_finite}"),
        ]
    )


for _key, _spec in _LOSSES.items():
    CHECKS[f"{_key}.forward"] = functools.partial(_loss_forward, _spec)
    CHECKS[f"{_key}.backward"] = functools.partial(_loss_backward, _spec)


def _masks(rng: np.random.Generator, shape: tuple[int, int]) -> list[np.ndarray | None]:
    """No mask, a 0/1 mask with some entries observed, and non-negative weights."""
    observed = rng.random(shape) < 0.6
    observed.flat[int(rng.integers(observed.size))] = True
    return [None, observed.astype(np.float64), rng.uniform(0.0, 2.0, shape)]


def _log_cosh_loss(Loss: type) -> type:
    """A Loss subclass on the student's base whose ℓ is the grader's log cosh."""
    return type(
        "LogCoshLoss",
        (Loss,),
        {
            "elementwise": lambda self, p, t: logcosh(p, t),
            "derivative": lambda self, p, t: np.tanh(p - t),
            "__repr__": lambda self: "Loss with ℓ = log cosh(p − t)",
        },
    )


@_check("loss.masked_mean")
def _masked_mean(rng: np.random.Generator) -> Failure | None:
    loss = _log_cosh_loss(student("losses").Loss)()
    batch, width = _distinct_sizes(rng, 2)
    pred, target = rng.standard_normal((2, batch, width))

    def case(mask: np.ndarray | None) -> Failure | None:
        ell = logcosh(pred, target)
        m = np.ones_like(ell) if mask is None else mask
        n = float(m.sum())
        got = loss.forward(pred.copy(), target.copy(), None if mask is None else mask.copy())
        if np.ndim(got) != 0:
            text = f"forward returned an array of shape {np.shape(got)}: the loss is one number, Σ m·ℓ / Σ m."
            return Failure(f"L has shape {np.shape(got)}, expected a number", [Hint("shape", text)])
        mistakes = [
            (np.sum(m * ell), Hint("batch_mean", "L equals Σ m·ℓ: the mean is missing; divide by n = Σ m.")),
            (
                np.sum(m * ell) / ell.size,
                Hint("batch_mean", f"L divides by the number of entries {ell.size}, not by n = Σ m = {n:g}."),
            ),
            (np.mean(ell), Hint("mask", "L equals the plain mean of ℓ: the mask is ignored (L = Σ m·ℓ / Σ m).")),
        ]
        equation = "L = Σ m·ℓ / Σ m" + (" (no mask: m = 1)" if mask is None else "")
        return _compare("L", np.float64(got), np.sum(m * ell) / n, equation, alternatives=mistakes)

    return _first([lambda mask=mask: case(mask) for mask in _masks(rng, (batch, width))])


@_check("loss.masked_mean_backward")
def _masked_mean_backward(rng: np.random.Generator) -> Failure | None:
    LogCosh = _log_cosh_loss(student("losses").Loss)

    class GradedLoss(LogCosh):
        """The student's backward after the grader's forward, which fills the cache the losses module documents."""

        def forward(self, pred: Any, target: Any, mask: Any = None) -> float:
            pred, target, mask, n = self._validate(pred, target, mask)
            self.cache = {"pred": pred, "target": target, "mask": mask, "n": n}
            weights = 1.0 if mask is None else mask
            return float(np.sum(weights * logcosh(pred, target)) / n)

    batch, width = _distinct_sizes(rng, 2)
    pred, target = rng.standard_normal((2, batch, width))
    return _first(
        [
            lambda mask=mask: _gradient(check_loss(GradedLoss(), pred, target, mask, seed=_seed(rng)))
            for mask in _masks(rng, (batch, width))
        ]
    )


@_check("model.backward")
def _model_backward(rng: np.random.Generator) -> Failure | None:
    model_module = student("model")
    Scale, Sin, Spread, Dropout = grader_layers(student("layers").Layer)
    batch, width, code = _distinct_sizes(rng, 3)

    def build() -> Any:
        encoder = model_module.Sequential([Scale(width, rng), Sin(), Spread(rng.integers(width, size=code))])
        decoder = model_module.Sequential([Scale(code, rng), Sin(), Spread(rng.integers(code, size=width))])
        return model_module.Autoencoder(encoder, decoder)

    def denoising(seed: int) -> tuple[Any, Any]:
        """(model, its Dropout): a Dropout with no parameters before the first layer with parameters."""
        draw = np.random.default_rng(seed)
        dropout = Dropout(width, draw)
        first = [dropout, Scale(width, draw), Sin(), Spread(draw.integers(width, size=code))]
        decoder = model_module.Sequential([Scale(code, draw), Sin(), Spread(draw.integers(code, size=width))])
        return model_module.Autoencoder(model_module.Sequential(first), decoder), dropout

    x = rng.standard_normal((batch, width))
    return _first(
        [
            lambda: _side_effects(build(), x, rng),
            lambda: _gradient(check_layer(build(), x, seed=_seed(rng))),
            lambda: _stops_where_input_grad_ends(denoising, x, rng),
        ]
    )


def _stops_where_input_grad_ends(
    build: Callable[[int], tuple[Any, Any]], x: np.ndarray, rng: np.random.Generator
) -> Failure | None:
    """``fit`` sets ``model.input_grad = False``: the first layer with parameters returns None, the walk stops.

    The model begins with a Dropout (no parameters), as a denoising autoencoder does. Its gradients must
    equal those of the same model with input_grad True, and backward must return None.
    """
    seed = _seed(rng)
    model, dropout = build(seed)
    reference, _ = build(seed)
    G = rng.standard_normal(np.shape(model.forward(x)))
    reference.forward(x)
    reference.backward(G)
    model.input_grad = False
    returned = model.backward(G)
    if dropout.cache.get("got_none"):
        text = (
            "with input_grad False (as fit sets it) the first layer with parameters returns None, and the walk went "
            "on: the Dropout before it got None for dL/dy. Stop the walk when a backward returns None."
        )
        detail = "model.backward passed None on to a layer before the first layer with parameters"
        return Failure(detail, [Hint("input_grad", text)])
    if returned is not None:
        return Failure(f"model.backward returned {type(returned).__name__} with input_grad False, expected None", [])
    for (name, _, got), (_, _, expected) in zip(model.parameters(), reference.parameters(), strict=True):
        if not np.allclose(got, expected, rtol=1e-10, atol=1e-12):
            return Failure(f"model.backward with input_grad False: grads[{name!r}] differs from input_grad True", [])
    return None


# Adam --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AdamSettings:
    lr: float
    beta1: float
    beta2: float
    eps: float
    weight_decay: float
    decoupled: bool

    def __str__(self) -> str:
        return (
            f"Adam(lr={self.lr:.3g}, beta1={self.beta1:.3g}, beta2={self.beta2:.4g}, eps={self.eps:.2g}, "
            f"weight_decay={self.weight_decay:.3g}, decoupled={self.decoupled})"
        )


Trajectory = list[dict[str, np.ndarray]]

# (variant, hint code, hint): what a known mistake makes of the update; "" is Adam as the docstring has it.
_ADAM_MISTAKES = [
    (
        "no_bias_correction",
        "bias_correction",
        "p moves as Adam without bias correction would: divide m by (1 − β1^t) and v by (1 − β2^t) "
        "(at t = 1 that makes m̂ = g).",
    ),
    (
        "beta_not_power",
        "bias_correction",
        "the bias corrections divide by (1 − β1) and (1 − β2): they use β1^t and β2^t, t = self.t the step count.",
    ),
    ("eps_inside", "eps", "ε is inside the square root: Adam adds it after, lr·m̂ / (√v̂ + ε)."),
    (
        "no_state",
        "state",
        "m and v start from zero at every step: the new m is β1·m + (1 − β1)·g from the m passed in (likewise v), "
        "m = β1·m + … only rebinds a local name.",
    ),
    ("frozen", "in_place", "p never changes: return the updated p, p − lr·m̂ / (√v̂ + ε)."),
    ("sign", "sign", "p moves uphill: the step is subtracted, p ← p − lr·m̂ / (√v̂ + ε)."),
    (
        "no_weight_decay",
        "weight_decay",
        "the weight decay λ is missing: decoupled=False adds λ·p to g, decoupled=True shrinks p by (1 − lr·λ).",
    ),
    (
        "swapped_weight_decay",
        "weight_decay",
        "the weight decay is of the other kind: decoupled=False adds λ·p to g; decoupled=True shrinks p by "
        "(1 − lr·λ) before the step.",
    ),
]


def adam(
    start: dict[str, np.ndarray], grads: list[dict[str, np.ndarray]], s: _AdamSettings, variant: str = ""
) -> Trajectory:
    """The parameters after each step of the docstring's Adam (or of the mistake ``variant``)."""
    p = {k: v.astype(np.float64) for k, v in start.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    decay = 0.0 if variant == "no_weight_decay" else s.weight_decay
    decoupled = s.decoupled != (variant == "swapped_weight_decay")
    trajectory = []
    for t, g_t in enumerate(grads, start=1):
        for k in p:
            g = g_t[k] + (0.0 if decoupled else decay * p[k])
            if variant == "no_state":
                m[k], v[k] = np.zeros_like(g), np.zeros_like(g)
            m[k] = s.beta1 * m[k] + (1.0 - s.beta1) * g
            v[k] = s.beta2 * v[k] + (1.0 - s.beta2) * g * g
            power = 1 if variant == "beta_not_power" else t
            m_hat = m[k] if variant == "no_bias_correction" else m[k] / (1.0 - s.beta1**power)
            v_hat = v[k] if variant == "no_bias_correction" else v[k] / (1.0 - s.beta2**power)
            if variant == "frozen":
                continue
            if decoupled:
                p[k] = p[k] * (1.0 - s.lr * decay)
            denominator = np.sqrt(v_hat + s.eps) if variant == "eps_inside" else np.sqrt(v_hat) + s.eps
            step = s.lr * m_hat / denominator
            p[k] = p[k] + step if variant == "sign" else p[k] - step
        trajectory.append({k: x.copy() for k, x in p.items()})
    return trajectory


def _same(a: Trajectory, b: Trajectory) -> bool:
    return all(np.allclose(x[k], y[k], rtol=1e-9, atol=1e-12) for x, y in zip(a, b, strict=True) for k in x)


@_check("adam.step")
def _adam_step(rng: np.random.Generator) -> Failure | None:
    Adam = student("optimizers").Adam
    Sequential = student("model").Sequential
    Scale, Sin, _, _ = grader_layers(student("layers").Layer)
    width = _distinct_sizes(rng, 1)[0]
    # One layer (Adam's per-parameter path) and a model (its flat buffer), without and with weight decay.
    cases = [
        (lambda: Scale(width, rng), 0.0, False),
        (lambda: Sequential([Scale(width, rng), Sin(), Scale(width, rng)]), float(rng.uniform(0.05, 0.3)), False),
        (lambda: Sequential([Scale(width, rng), Sin(), Scale(width, rng)]), float(rng.uniform(0.05, 0.3)), True),
    ]

    def case(make: Callable[[], Any], weight_decay: float, decoupled: bool) -> Failure | None:
        s = _AdamSettings(
            lr=float(rng.uniform(0.01, 0.1)),
            beta1=float(rng.uniform(0.8, 0.95)),
            beta2=float(rng.uniform(0.9, 0.999)),
            eps=float(10 ** rng.uniform(-4, -1)),  # large enough that where ε goes shows
            weight_decay=weight_decay,
            decoupled=decoupled,
        )
        model = make()
        start = {name: np.array(p) for name, p, _ in model.parameters()}
        grads = [
            {name: rng.standard_normal(p.shape) * 10 ** rng.uniform(-1, 1, p.shape) for name, p in start.items()}
            for _ in range(4)
        ]
        optimizer = Adam(
            lr=s.lr, beta1=s.beta1, beta2=s.beta2, eps=s.eps, weight_decay=s.weight_decay, decoupled=decoupled
        )
        got: Trajectory = []
        for g in grads:
            for name, _, grad in model.parameters():
                grad[...] = g[name]
            optimizer.step(model)
            got.append({name: np.array(p, dtype=np.float64) for name, p, _ in model.parameters()})
        expected = adam(start, grads, s)
        if _same(got, expected):
            return None
        step, name = next(
            (t, k) for t, (x, y) in enumerate(zip(got, expected, strict=True)) for k in x if not _same([x], [y])
        )
        gap = float(np.max(np.abs(got[step][name] - expected[step][name])))
        on = "a model (its flat buffer)" if hasattr(model, "flat") else "one layer"
        detail = f"{s} on {on}: after step {step + 1}, {name} differs from the docstring's update by up to {gap:.3g}"
        hints = [
            Hint(code, text)
            for variant, code, text in _ADAM_MISTAKES
            if not _same(adam(start, grads, s, variant), expected) and _same(got, adam(start, grads, s, variant))
        ]
        return Failure(detail, hints[:1])

    return _first([lambda c=c: case(*c) for c in cases])


# Running one check -------------------------------------------------------------------------------------------


def run(function: str, seed: int) -> dict[str, Any]:
    """The status of one function ("correct", "wrong", "not implemented"), its detail and hints, for ``seed``."""
    rng = np.random.default_rng(seed)
    try:
        with np.errstate(all="ignore"):  # overflow in the student's code shows in the values, not as warnings
            failure = CHECKS[function](rng)
    except NotImplementedError as err:
        return {"status": "not implemented", "detail": str(err) or "NotImplementedError", "hints": []}
    except StudentImportError as err:
        return {"status": "wrong", "detail": str(err), "hints": []}
    except Exception as err:  # the student's code may raise anything: it costs this function only
        return {"status": "wrong", "detail": _describe(err), "hints": []}
    if failure is None:
        return {"status": "correct", "detail": "", "hints": []}
    hints = [{"code": h.code, "text": h.text} for h in failure.hints]
    return {"status": "wrong", "detail": failure.detail, "hints": hints}
