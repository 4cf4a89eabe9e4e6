"""Numerical derivatives of a scalar function: central differences, Richardson extrapolation, complex step.

Each method estimates the derivative of f at x₀ along a direction d (one entry e_i, or a dense vector u)::

    central        D(h) = (f(x₀ + h d) − f(x₀ − h d)) / (2h)      truncation O(h²),  rounding ≈ ε·S/h
    richardson     R(h) = (4 D(h/2) − D(h)) / 3                    truncation O(h⁴),  rounding ≈ 3ε·S/h
    complex step   C(h) = Im f(x₀ + i h d) / h                     truncation O(h²),  no cancellation

ε is the machine epsilon and S the size of f's terms (see ``noise``). The step of entry i is
h = eps · max(1, |x_i|); the default eps balances truncation against rounding: ε^(1/3) ≈ 6e-6 for central
differences, ε^(1/5) ≈ 1e-3 for Richardson. Complex step has no subtraction, so h = 1e-20 is exact to
rounding, but only where f is complex-safe: f must be analytic in x, which ``np.abs``, comparisons that
pick a branch on the real part, ``.conj()`` and ``np.vdot`` break.

A ``probe`` (optional) returns, after an evaluation of f, which side of its kinks every ReLU-like input is
on; when the pattern differs between the evaluations of one estimate, the estimate crossed a kink.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..validation import as_array, check_float, overflow_as_error

METHODS = ("central", "complex-step", "richardson")
DEFAULT_STEPS = {"central": 6e-6, "complex-step": 1e-20, "richardson": 1e-3}
NOISE_FACTOR = 10.0  # measured: correct layers stay below 2·ε·S/h
_ROUNDING = {"central": 1.0, "complex-step": 1.0, "richardson": 3.0}  # R = (4 D(h/2) − D(h))/3: (8 + 1)/3

Probe = Callable[[], np.ndarray]
Move = Callable[[Any], None]


def check_method(method: str, where: str) -> str:
    """``method`` if it is one of METHODS, else a ValueError naming them."""
    if method not in METHODS:
        raise ValueError(f"{where}: method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def steps(x: np.ndarray, eps: float) -> np.ndarray:
    """The step of every entry: h = eps · max(1, |x|) (of the real part)."""
    return eps * np.maximum(1.0, np.abs(np.real(x)))


def direction_step(x: np.ndarray, eps: float) -> float:
    """The step along a direction u with max |u| = 1: t = eps · max(1, max |x|)."""
    return float(eps * max(1.0, float(np.max(np.abs(np.real(x))))))


def noise(x: np.ndarray | float, eps: float, method: str, scale: float, atol: float = 0.0) -> np.ndarray:
    """Per-entry size of the numeric derivative's rounding error: max(atol, 10 · r · (ε·S + tiny) / h).

    Rounding makes each evaluation of f wrong by about ε·S, with S the first-order size of f over all it
    depends on; a difference quotient divides that by h (r = 3 for Richardson's two quotients). Complex
    step divides nothing that cancels: its error is about ε·S / max(1, |x|). tiny, the smallest normal
    float64, is the absolute resolution of f near 0.
    """
    info = np.finfo(np.float64)
    x = np.asarray(x, dtype=np.float64)
    h = np.maximum(1.0, np.abs(x)) if method == "complex-step" else steps(x, eps)
    return np.maximum(atol, NOISE_FACTOR * _ROUNDING[method] * (info.eps * scale + info.smallest_normal) / h)


def derivative(f: Callable[[], Any], move: Move, h: float, method: str, probe: Probe | None) -> tuple[float, bool]:
    """(the derivative of f along the direction ``move`` follows, whether the estimate crossed a kink).

    ``move(s)`` puts the point at x₀ + s·d (s may be complex); ``move(0)`` restores x₀. f is called with
    no argument and reads the moved point.
    """
    if method == "complex-step":
        move(1j * h)
        value = complex(f()).imag / h
        move(0)
        return value, False
    offsets = (h, -h) if method == "central" else (h, -h, h / 2, -h / 2)
    values = []
    patterns = []
    for s in offsets:
        move(s)
        values.append(float(f()))
        if probe is not None:
            patterns.append(probe())
    move(0)
    kink = any(not np.array_equal(patterns[0], p) for p in patterns[1:])
    coarse = (values[0] - values[1]) / (2.0 * h)
    if method == "central":
        return coarse, kink
    fine = (values[2] - values[3]) / h
    return (4.0 * fine - coarse) / 3.0, kink


def _set_entry(x: np.ndarray, index: tuple[int, ...], original: Any, s: Any) -> None:
    x[index] = original + s


def _set_along(x: np.ndarray, origin: np.ndarray, u: np.ndarray, s: Any) -> None:
    np.add(origin, s * u, out=x)


def entry_derivatives(
    f: Callable[[], Any],
    x: np.ndarray,
    indices: list[tuple[int, ...]],
    eps: float,
    method: str,
    probe: Probe | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(∂f/∂x_i, crossed a kink) for every index i, as arrays of x's shape (NaN / False at other entries).

    x is moved in place, one entry at a time, and restored.
    """
    values = np.full(x.shape, np.nan)
    kinks = np.zeros(x.shape, dtype=bool)
    h = steps(x, eps)
    for i in indices:
        values[i], kinks[i] = derivative(f, functools.partial(_set_entry, x, i, x[i]), float(h[i]), method, probe)
    return values, kinks


def directional_derivative(
    f: Callable[[], Any], x: np.ndarray, u: np.ndarray, eps: float, method: str, probe: Probe | None = None
) -> tuple[float, bool]:
    """(the derivative of f along u, crossed a kink), i.e. the numeric (∇f)ᵀu; u: x's shape, max |u| = 1."""
    origin = x.copy()
    return derivative(f, functools.partial(_set_along, x, origin, u), direction_step(x, eps), method, probe)


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, *, eps: float | None = None, method: str = "central"
) -> np.ndarray:
    """The gradient of the scalar function f at x, entry by entry.

    Args:
        f: called as f(x) with x moved in place (one entry at a time); returns a float (a complex number
            for the complex step, where f receives a complex128 copy of x).
        x: float64 array, any shape; restored before returning.
        eps: relative step: h = eps · max(1, |x_i|); default: ``DEFAULT_STEPS[method]``.
        method: "central", "richardson" or "complex-step" (see the module docstring).

    Returns:
        array of x's shape: ∂f/∂x_i, e.g. (f(x + h e_i) − f(x − h e_i)) / (2h) for central differences.
    """
    where = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of x returning a number, got {type(f).__name__}")
    x = as_array(x, "x", where)
    if x.dtype != np.float64:
        raise TypeError(f"{where}: x must be float64 (checks run in double precision), got {x.dtype}")
    method = check_method(method, where)
    point = x.astype(np.complex128) if method == "complex-step" else x
    eps = DEFAULT_STEPS[method] if eps is None else check_float(eps, "eps", where, low=0.0, high=1.0, low_open=True)

    def value() -> Any:
        result = f(point)
        if np.ndim(result) != 0 or not isinstance(result, (int, float, complex, np.number)):
            raise TypeError(f"{where}: f must return one number, got {type(result).__name__} {result!r}")
        return result

    with overflow_as_error(where):
        return entry_derivatives(value, point, list(np.ndindex(x.shape)), eps, method)[0]
