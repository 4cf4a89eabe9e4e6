"""The eps sweep: the error of a numeric gradient as the step shrinks, truncation against rounding.

A difference quotient makes two errors: truncation (∝ h² for central differences) falls as the step h
shrinks, rounding (∝ ε/h) grows; their sum is smallest near ε^(1/3), 6e-6 in float64 and 5e-3 in
float32. The complex step has no rounding term, so it stays exact down to the smallest steps. Each error
is the one the check's table reports, max_i |a_i − n_i| / max(|a_i|, |n_i|) (:func:`~.engine.rel_error`),
without the table's noise floor (the rounding is what the sweep shows).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..activations import Tanh
from ..layers import Dense
from ..model import Sequential
from ..validation import as_array
from . import finite_differences as fd
from .checks import check_layer
from .engine import rel_error
from .report import EpsSweep
from .subjects import copy_as, float64, named_leaves, noise_freezer

NOT_COMPLEX_SAFE = "complex step: the layer is not complex-safe (np.abs, …): its curve is wrong"


def _sweep_subject(seed: int) -> Any:
    """A small smooth layer whose third derivative is not zero: Dense(4→3) then Tanh."""
    return Sequential([Dense(4, 3, rng=seed), Tanh()])


def eps_sweep(
    layer: Any = None, x: np.ndarray | None = None, *, eps: np.ndarray | None = None, seed: int = 0
) -> EpsSweep:
    """Relative error of numeric dL/dx (L = Σ G ⊙ layer(x)) as the step eps goes from 1e-1 to 1e-12.

    Args:
        layer: a correct layer (backward's dL/dx is the reference); default Dense(4→3) + Tanh.
        x: (batch, ...) the input; default uniform on [−2, 2), shape (3, in_features) or (3, 4).
        eps: the steps; default 23 values from 1e-1 to 1e-12 (half decades).
        seed: seeds the default layer, x and G (G is the one ``check_layer(layer, x, seed=seed)`` draws).

    The layer is also checked (with the complex step): a note says when its backward is wrong (then every
    curve shows that mistake, not the step's), and when it is not complex-safe (the complex step and
    central differences disagree; a wrong backward alone never makes it "not complex-safe").
    """
    rng = np.random.default_rng(seed)
    layer = _sweep_subject(seed) if layer is None else layer
    if x is None:
        x = rng.uniform(-2.0, 2.0, (3, getattr(named_leaves(layer)[0][1], "in_features", 4)))
    steps = np.logspace(-1, -12, 23) if eps is None else as_array(eps, "eps", "eps_sweep", ndim=1)
    if not (steps > 0).all():
        raise ValueError(f"eps_sweep: every eps must be > 0, got {steps.min()}")
    layer64, _ = float64(layer)
    x64 = np.array(as_array(x, "x", "eps_sweep"), dtype=np.float64)
    reset = noise_freezer(layer64)
    reset()
    y = layer64.forward(x64)
    G = rng.standard_normal(y.shape)
    reference = np.asarray(layer64.backward(G), dtype=np.float64)
    everything = list(np.ndindex(x64.shape))
    notes: list[str] = []

    def errors(target: Any, point: np.ndarray, method: str) -> np.ndarray:
        grad_y = G.astype(point.real.dtype)
        freeze = noise_freezer(target)

        def f() -> Any:
            freeze()
            return np.sum(target.forward(point) * grad_y)

        return np.array(
            [rel_error(reference, fd.entry_derivatives(f, point, everything, float(h), method)[0]) for h in steps]
        )

    reset()
    curves = {
        "central float64": errors(copy_as(layer64, np.float64), x64.copy(), "central"),
        "central float32": errors(copy_as(layer64, np.float32), x64.astype(np.float32), "central"),
        "richardson float64": errors(copy_as(layer64, np.float64), x64.copy(), "richardson"),
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            curves["complex step"] = errors(copy_as(layer64, np.complex128), x64.astype(np.complex128), "complex-step")
    except Exception as err:  # a layer that refuses complex numbers has no complex-step curve
        curves["complex step"] = np.full(steps.shape, np.nan)
        notes.append(f"complex step unavailable: {type(err).__name__}: {err}")
    reset()
    check = check_layer(layer64, x64, grad_y=G, seed=seed, method="complex-step")
    if not check.passed:
        notes.append(
            f"backward is wrong ({check.summary()}): every curve measures against backward, so it shows that "
            "mistake, not the step's; sweep a layer that passes its check"
        )
    if any(note.startswith("not complex-safe") for note in check.notes):
        notes.append(NOT_COMPLEX_SAFE)
    return EpsSweep(repr(layer), steps, curves, notes)
