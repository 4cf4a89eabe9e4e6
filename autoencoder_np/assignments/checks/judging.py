"""Judging a student's outputs against the expected ones: values, gradients, and the likely mistake.

Runs in the grader's process (and in a handout's self-check), on plain arrays: nothing here calls the
student's code.

- :func:`compare_values`: a forward value against the docstring's equation, with the known mistakes
  (``alternatives``), a sign error, a factor 2 or ½ named as hints.
- :func:`compare_gradients`: backward's gradients against finite differences of the reference forward,
  entry by entry with the rounding noise of the finite difference as a floor (as the gradient checker
  judges), and the gradient checker's diagnosis (``diagnosis.py``) for the failed ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .protocol import Failure, Hint, Outputs

GRADIENT_RTOL = 1e-6  # the gradient checker's default: float64 finite differences agree far closer


def raised(value: Any) -> Failure | None:
    """A Failure when the student's code raised instead of producing ``value`` (``protocol.attempt``)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "U":
        return Failure(str(value))
    return None


def compare_values(
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
    if got is None:
        return Failure(f"{name} is None: the function must return it ({equation})")
    if failure := raised(got):
        return failure
    got = np.asarray(got)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        detail = f"{name} has shape {got.shape}, expected {expected.shape}"
        return Failure(detail, [Hint("shape", f"{detail}: {equation}.")])
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


def finite(name: str, got: Any, hint: str) -> Failure | None:
    """Where the exact value is finite (the extremes a careless formula overflows at), ``got`` must be too."""
    if got is None:
        return Failure(f"{name} is None: the function must return it")
    if failure := raised(got):
        return failure
    values = np.asarray(got, dtype=np.float64)
    if np.isfinite(values).all():
        return None
    where = [int(i) for i in np.argwhere(~np.isfinite(values))[0]]
    return Failure(f"{name}{where} is {values[tuple(where)]}", [Hint("not_finite", hint)])


def _row(name: str, a: np.ndarray, n: np.ndarray, noise: np.ndarray, rtol: float) -> tuple[np.ndarray, str]:
    """(the failing entries, a sentence on the worst one) for analytic ``a`` against numeric ``n``."""
    diff = np.abs(a - n)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff <= noise, 0.0, diff / np.maximum(np.abs(a), np.abs(n)))
    rel = np.where(np.isnan(diff), np.inf, rel)
    failing = ~(rel <= rtol)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(rel)), rel.shape))
    detail = (
        f"dL/d{name} differs from finite differences: max relative error {float(rel[worst]):.2e} at "
        f"{list(worst)} (analytic {a[worst]:.6g}, numeric {n[worst]:.6g})"
    )
    return failing, detail


def _layer_of(name: str) -> str:
    """The layer a quantity belongs to: "encoder.0" for "encoder.0.s"; "" for "W" and for the input x."""
    return "" if name == "x" else name.rpartition(".")[0]


def compare_gradients(
    analytic: Outputs,
    numeric: dict[str, np.ndarray],
    noise: dict[str, np.ndarray],
    *,
    rtol: float = GRADIENT_RTOL,
    counts: dict[str, float] | None = None,
    grad_y: np.ndarray | None = None,
    params: dict[str, np.ndarray] | None = None,
    dtype: str = "",
) -> dict[str, Failure | None]:
    """For each quantity q of ``numeric`` (W, b, x, …): None when backward's dL/dq matches, else a Failure.

    An entry passes when |a − n| ≤ noise or |a − n| ≤ rtol · max(|a|, |n|). A failed gradient gets the
    gradient checker's diagnosis (``counts``, ``grad_y``, ``params``: what it may compare with; the bias
    hint when only b fails). ``dtype``: the dtype the gradients must have (a float32 layer), or "".
    """
    # Imported here, not at the top: this module is imported in the student's process too, where the
    # checker package (whose __init__ imports the layers: the student's files) must not be.
    from ...gradcheck.diagnosis import Context, diagnose

    failures: dict[str, Failure | None] = {}
    rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for name, n in numeric.items():
        a = analytic.get(name)
        if a is None:
            failures[name] = Failure(f"dL/d{name} is None: backward must return or write it")
            continue
        if failure := raised(a):
            failures[name] = failure
            continue
        if dtype and a.dtype != np.dtype(dtype):
            text = f"dL/d{name} is {a.dtype} for a {dtype} layer: compute in the layer's dtype."
            failures[name] = Failure(f"dL/d{name} has dtype {a.dtype}, expected {dtype}", [Hint("dtype", text)])
            continue
        a = a.astype(np.float64)
        if a.shape != n.shape:
            failing = np.ones(n.shape, dtype=bool)
            detail = f"dL/d{name} has shape {a.shape}, expected {n.shape}"
        else:
            failing, detail = _row(name, a, n, noise[name], rtol)
        failures[name] = Failure(detail) if failing.any() else None
        rows[name] = (a, n, failing)
    context = Context(counts or {}, grad_y, params or {})
    passed = [name for name in numeric if failures[name] is None]
    for name, (a, n, failing) in rows.items():
        failure = failures[name]
        if failure is None:
            continue
        neighbours = [other for other in numeric if other != name and _layer_of(other) == _layer_of(name)]
        alone = name != "x" and neighbours and all(other in passed for other in neighbours)
        judged = np.ones(n.shape, dtype=bool)
        hints = diagnose(name, a, n, judged, failing, context, passing_neighbours=neighbours if alone else [])
        failure.hints = [Hint(h.code, h.text) for h in hints]
    return failures


def changed_in_place(grad_y: np.ndarray, after: np.ndarray | None) -> Failure | None:
    """backward must not change its argument: ``after`` is grad_y as the call left it."""
    if after is None or (after.shape == grad_y.shape and np.array_equal(after, grad_y, equal_nan=True)):
        return None
    text = "backward changed its argument grad_y in place (grad_y *= …): compute the result in a new array."
    return Failure("backward changed grad_y in place", [Hint("in_place", text)])


def accumulated(name: str, first: np.ndarray | None, again: np.ndarray | None) -> Failure | None:
    """A second backward must overwrite the gradient ``name``, not add to it (``again`` = 2 × ``first``)."""
    if first is None or again is None or first.shape != again.shape or first.dtype.kind != "f":
        return None
    if np.isfinite(first).all() and np.any(first) and np.allclose(again, 2.0 * first):
        text = f"{name}: a second backward doubled the gradient: overwrite grads (=), do not add to them (+=)."
        return Failure(f"grads[{name!r}] accumulates over backward calls", [Hint("accumulates", text)])
    return None
