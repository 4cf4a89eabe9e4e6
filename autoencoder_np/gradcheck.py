"""Gradient checking: is each backward pass the derivative of its forward pass, and if not, why not?

The numeric gradient uses central differences (error O(h²)) by default, or Richardson extrapolation or the
complex step (see ``finite_differences``)::

    ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h),      h = eps · max(1, |x_i|),  eps = 6e-6 ≈ ε_mach^(1/3)

A layer is checked through a scalar made with a random upstream gradient G (a vector-Jacobian product, so
off-diagonal mistakes cannot cancel out)::

    L(x, θ) = Σ G ⊙ layer.forward(x)   ⇒   backward(G) must return dL/dx and fill dL/dθ.

An entry passes when |a − n| ≤ rtol · max(|a|, |n|) (a: analytic, n: numeric), or when |a − n| is within
the noise of the finite difference itself: rounding makes each f(x ± h) wrong by about ε·S, with ε the
machine epsilon and S = |L| + Σ_u |∂L/∂u · u| the first-order size of L over its input, parameters and
output, so the numeric gradient is wrong by about ε·S/h. Differences below
``noise = max(atol, 10·(ε·S + tiny)/h)`` (tiny: the smallest normal float) count as a relative error of 0.
Entries whose finite difference crosses a kink (a ReLU input within ±h of 0) are counted as kinks and not
judged.
Checks run in float64: a float32 layer is copied to float64 for the check (``report.upcast`` says so).

Large tensors (more than ``large`` = 10 000 entries) are checked by ``samples`` random entries plus
``directions`` random directional derivatives uᵀ∇L (which see every entry at once); a tensor that fails
either is then checked entry by entry, so one wrong entry among many is still found and named.

The complex step also computes central differences and compares: where the two disagree, the forward
pass is not complex-safe (``np.abs``, …), the report says so in a note, and central differences decide.

A failed row gets diagnosis hints (``diagnosis.py``): a constant ratio analytic/numeric ≈ N (a missing
mean), ≈ −1 (sign), ≈ 2 (a doubled term), a transpose, an unwritten gradient, a bias without its sum.

Error bands (CS231n): > 1e-2 probably wrong; 1e-2 … 1e-4 uncomfortable; 1e-4 … 1e-7 fine with kinks;
< 1e-7 good.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import finite_differences as fd
from .activations import Tanh
from .diagnosis import Context, Hint, diagnose
from .finite_differences import DEFAULT_STEPS, METHODS, NOISE_FACTOR, Probe, numerical_gradient
from .gradcheck_report import EpsSweep, GradCheckReport, GradCheckRow, LayerwiseReport, band
from .layers import Dense
from .model import Sequential
from .validation import as_array, check_float, check_int, overflow_guard, require_layer

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_DIRECTIONS",
    "DEFAULT_EPS",
    "DEFAULT_LARGE",
    "DEFAULT_RTOL",
    "DEFAULT_SAMPLES",
    "DEFAULT_STEPS",
    "METHODS",
    "NOISE_FACTOR",
    "EpsSweep",
    "GradCheckReport",
    "GradCheckRow",
    "Hint",
    "LayerwiseReport",
    "band",
    "check_layer",
    "check_loss",
    "check_model",
    "check_model_layers",
    "copy_as",
    "eps_sweep",
    "named_leaves",
    "numerical_gradient",
    "rel_error",
]

DEFAULT_EPS = DEFAULT_STEPS["central"]
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 0.0
DEFAULT_LARGE = 10_000  # tensors with more entries are sampled (then fully checked if the sample fails)
DEFAULT_SAMPLES = 32
DEFAULT_DIRECTIONS = 3
COMPLEX_AGREEMENT = 1e-5  # complex step and central differences differ by less where f is complex-safe
INPUT = "x (input)"


def rel_error(analytic: np.ndarray, numeric: np.ndarray, *, atol: float = 0.0) -> float:
    """max_i |a_i − n_i| / max(|a_i|, |n_i|), counting differences ≤ atol as 0 (NaN if either holds NaN)."""
    return float(np.max(_rel_errors(np.asarray(analytic), np.asarray(numeric), atol), initial=0.0))


def _rel_errors(a: np.ndarray, n: np.ndarray, noise: np.ndarray | float) -> np.ndarray:
    """|a − n| / max(|a|, |n|) entry by entry, 0 where |a − n| ≤ noise; NaN where a or n is NaN."""
    diff = np.abs(a - n)
    scale = np.maximum(np.abs(a), np.abs(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff <= noise, 0.0, diff / scale)
    return np.where(np.isnan(diff), np.nan, rel)


# Layers as the checker sees them ---------------------------------------------------------------------------


def named_leaves(layer: Any) -> list[tuple[str, Any]]:
    """(path, layer) for the non-container layers of ``layer`` in forward order (("", layer) for a leaf)."""
    if hasattr(layer, "_named_leaves"):
        return list(layer._named_leaves())
    return [("", layer)]


def _kink_probe(layer: Any) -> Probe | None:
    """A function returning, after a forward, which side of its kinks every kinked layer's input is on."""
    kinked = [leaf for _, leaf in named_leaves(layer) if getattr(leaf, "kinks", ())]
    if not kinked:
        return None

    def probe() -> np.ndarray:
        return np.concatenate([(leaf.cache["x"] > k).ravel() for leaf in kinked for k in leaf.kinks])

    return probe


def _noise_freezer(layer: Any) -> Callable[[], None]:
    """A function that resets every random layer's generator, so each forward draws the same noise."""
    generators = [
        leaf.rng for _, leaf in named_leaves(layer) if isinstance(getattr(leaf, "rng", None), np.random.Generator)
    ]
    states = [g.bit_generator.state for g in generators]

    def reset() -> None:
        for g, s in zip(generators, states, strict=True):
            g.bit_generator.state = s

    return reset


def copy_as(layer: Any, dtype: Any) -> Any:
    """A deep copy of ``layer`` whose parameters and gradients are ``dtype`` arrays."""
    copied = copy.deepcopy(layer)
    for _, leaf in named_leaves(copied):
        for store in (leaf.params, leaf.grads):
            for key in list(store):
                value = store[key].astype(dtype)
                if hasattr(store, "rebind"):
                    store.rebind(key, value)
                else:
                    store[key] = value
    if hasattr(copied, "_pack"):
        copied._pack()
    return copied


def _float64(layer: Any) -> tuple[Any, str | None]:
    """``layer`` itself when its parameters are float64, else a float64 copy and a note saying so."""
    dtype = getattr(layer, "dtype", None)
    if dtype is None or dtype == np.float64:
        return layer, None
    return copy_as(layer, np.float64), f"{dtype} parameters were copied to float64 for the check"


# The check itself ------------------------------------------------------------------------------------------

Evaluator = Callable[[], Any]


@dataclass
class _Problem:
    """What one check compares: quantities (perturbed in place), the scalar L, and backward's answer.

    ``complex_twin()`` builds (L, quantities) in complex128 for the complex step; it may raise when the
    code refuses complex numbers.
    """

    subject: str
    loss: Evaluator
    quantities: dict[str, np.ndarray]
    analytic: dict[str, np.ndarray]
    output_scale: float
    probe: Probe | None
    context: Context
    complex_twin: Callable[[], tuple[Evaluator, dict[str, np.ndarray]]]
    upcast: str | None = None


@dataclass
class _Settings:
    method: str
    eps: float
    rtol: float
    atol: float
    large: int | None
    seed: int
    samples: int = DEFAULT_SAMPLES
    directions: int = DEFAULT_DIRECTIONS


@dataclass
class _Estimate:
    """Numeric derivatives of L for one quantity: per entry (NaN where not computed) and along directions."""

    values: np.ndarray
    kinks: np.ndarray
    checked: np.ndarray
    directions: list[np.ndarray]
    along: list[tuple[float, bool]]


def _settings(
    method: str, eps: float | None, rtol: float, atol: float, large: int | None, seed: int, where: str
) -> _Settings:
    method = fd.check_method(method, where)
    eps = DEFAULT_STEPS[method] if eps is None else check_float(eps, "eps", where, low=0.0, high=1.0, low_open=True)
    rtol = check_float(rtol, "rtol", where, low=0.0)
    atol = check_float(atol, "atol", where, low=0.0)
    large = None if large is None else check_int(large, "large", where)
    return _Settings(method, eps, rtol, atol, large, check_int(seed, "seed", where, minimum=0))


def _plan(x: np.ndarray, settings: _Settings, rng: np.random.Generator, *, full: bool) -> tuple[list, list]:
    """(entry indices, directions) to check: every entry, or a sample and random directions (max |u| = 1)."""
    if full or settings.large is None or x.size <= settings.large:
        return list(np.ndindex(x.shape)), []
    flat = rng.choice(x.size, size=min(settings.samples, x.size), replace=False)
    indices = [tuple(int(i) for i in np.unravel_index(k, x.shape)) for k in flat]
    directions = [u / np.max(np.abs(u)) for u in rng.standard_normal((settings.directions, *x.shape))]
    return indices, directions


def _estimate(
    f: Evaluator, x: np.ndarray, plan: tuple[list, list], method: str, eps: float, probe: Probe | None
) -> _Estimate:
    indices, directions = plan
    values, kinks = fd.entry_derivatives(f, x, indices, eps, method, probe)
    checked = np.zeros(x.shape, dtype=bool)
    for i in indices:
        checked[i] = True
    along = [fd.directional_derivative(f, x, u, eps, method, probe) for u in directions]
    return _Estimate(values, kinks, checked, directions, along)


def _complex_safe(
    central: _Estimate, complex_step: _Estimate, noise: np.ndarray, noise_along: float
) -> tuple[_Estimate, float | None]:
    """(the complex-step estimate, None) where it agrees with central differences, else (central, the gap)."""
    judged = central.checked & ~central.kinks
    along_gaps = [
        _rel_errors(np.array(z), np.array(c), noise_along)
        for (c, kink), (z, _) in zip(central.along, complex_step.along, strict=True)
        if not kink
    ]
    gaps = np.concatenate([_rel_errors(complex_step.values, central.values, noise)[judged], along_gaps])
    gap = float(np.max(gaps, initial=0.0))
    if not gap <= COMPLEX_AGREEMENT:  # also NaN
        return central, gap
    along = [(value, kink) for (value, _), (_, kink) in zip(complex_step.along, central.along, strict=True)]
    return _Estimate(complex_step.values, central.kinks, central.checked, central.directions, along), None


def _row(
    name: str,
    analytic: np.ndarray,
    est: _Estimate,
    noise: np.ndarray,
    noise_along: float,
    rtol: float,
) -> tuple[GradCheckRow, np.ndarray, np.ndarray]:
    """(the row, the judged entries, the failing entries) for one quantity."""
    n = est.values
    if analytic.shape != n.shape:
        nothing = np.zeros(n.shape, dtype=bool)
        row = GradCheckRow(
            name=name,
            shape=tuple(n.shape),
            max_rel_error=np.nan,
            median_rel_error=np.nan,
            worst_index=(),
            analytic_value=np.nan,
            numeric_value=np.nan,
            n_kinks=0,
            passed=False,
            analytic=analytic,
            numeric=n,
            kinks=est.kinks,
            n_checked=int(est.checked.sum()),
        )
        return row, nothing, nothing
    judged = est.checked & ~est.kinks
    rel = np.where(judged, _rel_errors(analytic, n, noise), 0.0)  # NaN survives only where judged
    along = tuple(
        float(_rel_errors(np.array(float(np.sum(analytic * u))), np.array(value), noise_along))
        for u, (value, kink) in zip(est.directions, est.along, strict=True)
        if not kink
    )
    failing = ~(rel <= rtol)
    errors = np.concatenate([rel[judged], along])
    ranked = np.where(judged, np.where(np.isnan(rel), np.inf, rel), -1.0)  # the worst among the judged
    worst = np.unravel_index(int(np.argmax(ranked)), rel.shape)
    judged_finite = rel[judged][~np.isnan(rel[judged])]
    row = GradCheckRow(
        name=name,
        shape=tuple(n.shape),
        max_rel_error=float(np.nan if np.isnan(errors).any() else errors.max(initial=0.0)),
        median_rel_error=float(np.median(judged_finite)) if judged_finite.size else (np.nan if judged.any() else 0.0),
        worst_index=tuple(int(i) for i in worst),
        analytic_value=float(analytic[worst]),
        numeric_value=float(n[worst]),
        n_kinks=int(est.kinks.sum()),
        passed=bool(np.all(errors <= rtol)),
        analytic=analytic,
        numeric=n,
        kinks=est.kinks,
        n_checked=int(est.checked.sum()),
        directions=along,
    )
    return row, judged, failing & judged


def _run(problem: _Problem, settings: _Settings) -> GradCheckReport:
    """Estimate, judge, re-check failed samples in full, and diagnose every quantity of ``problem``."""
    notes: list[str] = []
    twin = None
    if settings.method == "complex-step":
        twin, note = _try_complex(problem)
        notes += [note] if note else []
    real_method = "central" if settings.method == "complex-step" else settings.method
    real_eps = DEFAULT_STEPS["central"] if settings.method == "complex-step" else settings.eps
    rng = np.random.default_rng(settings.seed)

    def estimate(name: str, full: bool) -> tuple[_Estimate, _Estimate | None]:
        """(the real-valued estimate, the complex-step one or None)."""
        x = problem.quantities[name]
        plan = _plan(x, settings, rng, full=full)
        real = _estimate(problem.loss, x, plan, real_method, real_eps, problem.probe)
        if twin is None:
            return real, None
        loss_twin, quantities_twin = twin
        return real, _estimate(loss_twin, quantities_twin[name], plan, "complex-step", settings.eps, None)

    found = {name: estimate(name, full=False) for name in problem.quantities}
    scale = abs(float(problem.loss())) + problem.output_scale
    for name, (real, _) in found.items():
        terms = np.abs(real.values * problem.quantities[name])[real.checked]
        scale += float(np.nanmean(terms) * terms.size) if terms.size else 0.0

    def judge(name: str) -> tuple[GradCheckRow, np.ndarray, np.ndarray, float | None]:
        """(row, judged entries, failing entries, the complex-step gap when it is not complex-safe)."""
        x = problem.quantities[name]
        real, complex_step = found[name]
        est, method, eps, gap = real, real_method, real_eps, None
        if complex_step is not None:
            noise = fd.noise(x, real_eps, "central", scale, settings.atol)
            est, gap = _complex_safe(real, complex_step, noise, _noise_along(x, real_eps, "central", scale))
            method, eps = ("central", real_eps) if gap is not None else ("complex-step", settings.eps)
        noise = fd.noise(x, eps, method, scale, settings.atol)
        along = _noise_along(x, eps, method, scale)
        return (*_row(name, problem.analytic[name], est, noise, along, settings.rtol), gap)

    rows = []
    masks = {}
    unsafe: dict[str, float] = {}
    for name, x in problem.quantities.items():
        row, judged, failing, gap = judge(name)
        if not row.passed and row.sampled and problem.analytic[name].shape == x.shape:
            notes.append(f"{name}: the sampled check failed, so every entry was checked")
            found[name] = estimate(name, full=True)
            row, judged, failing, gap = judge(name)
        if gap is not None:
            unsafe[name] = gap
        rows.append(row)
        masks[row.name] = (judged, failing)
    if unsafe:
        notes.append(
            f"not complex-safe: complex step and central differences differ by up to {max(unsafe.values()):.1e} "
            f"in {', '.join(unsafe)} (np.abs, branches chosen on the real part and .conj() break the complex "
            "step); central differences decide those rows"
        )
    _diagnose(rows, masks, problem.context)
    return GradCheckReport(
        problem.subject, rows, settings.rtol, settings.atol, settings.eps, problem.upcast, settings.method, notes
    )


def _noise_along(x: np.ndarray, eps: float, method: str, scale: float) -> float:
    """The rounding noise of a directional derivative (its step is eps · max(1, max |x|))."""
    return float(fd.noise(np.max(np.abs(x)), eps, method, scale))


def _try_complex(problem: _Problem) -> tuple[tuple[Evaluator, dict[str, np.ndarray]] | None, str | None]:
    """The complex twin of ``problem``, or None and a note when the code refuses complex numbers."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a ComplexWarning: the imaginary part would be dropped
            twin = problem.complex_twin()
            complex(twin[0]())
    except Exception as err:  # any failure on complex input means "not complex-safe"; the check goes on
        message = str(err).splitlines()[0] if str(err) else ""
        return None, (
            f"complex step unavailable: {problem.subject} refuses complex numbers ({type(err).__name__}: "
            f"{message}); every row was checked with central differences"
        )
    return twin, None


def _layer_of(name: str) -> str:
    """The layer a row belongs to: "encoder.0" for "encoder.0.W"; "" for "W" and for the input."""
    return "" if name == INPUT else name.rpartition(".")[0]


def _diagnose(rows: list[GradCheckRow], masks: dict[str, tuple[np.ndarray, np.ndarray]], context: Context) -> None:
    """Attach hints to every failed row."""
    for row in rows:
        if row.passed:
            continue
        neighbours = [r for r in rows if r is not row and _layer_of(r.name) == _layer_of(row.name)]
        alone = row.name != INPUT and neighbours and all(r.passed for r in neighbours)
        judged, failing = masks[row.name]
        row.diagnosis = diagnose(
            row.name, row.analytic, row.numeric, judged, failing, context,
            passing_neighbours=[r.name for r in neighbours] if alone else [],
        )  # fmt: skip


# Public checks ---------------------------------------------------------------------------------------------


def _input_array(x: Any, name: str, where: str) -> np.ndarray:
    return np.array(as_array(x, name, where), dtype=np.float64)


def _target_and_mask(target: Any, mask: Any, where: str) -> tuple[np.ndarray, np.ndarray | None]:
    """target and mask (if any) as float64 arrays; the loss checks their shapes and values."""
    return _input_array(target, "target", where), None if mask is None else _input_array(mask, "mask", where)


def _require_loss(loss: Any, where: str) -> None:
    if not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None))):
        raise TypeError(
            f"{where}: loss must have forward(pred, target, mask) and backward(), got {type(loss).__name__}"
        )


def _layer_problem(
    subject: str, layer: Any, x: np.ndarray, output_loss: Callable[[Any, np.ndarray], Any],
    backward: Callable[[], Any], output_scale: Callable[[], float], context: Context, upcast: str | None,
) -> _Problem:  # fmt: skip
    """A problem whose scalar is ``output_loss(layer, x) + aux``, for a layer check or a model check.

    ``backward()`` runs after one forward and returns dL/dx; the grads are read from ``layer.grads``.
    """
    reset_noise = _noise_freezer(layer)
    aux = getattr(layer, "aux_loss", lambda: 0.0)

    def loss() -> Any:
        reset_noise()
        return output_loss(layer, x) + aux()

    # Analytic: fill grads with NaN first, so a gradient backward never wrote shows up as NaN.
    params = dict(layer.params)
    for g in layer.grads.values():
        g[...] = np.nan
    loss()
    grad_x = backward()
    if grad_x is None:
        raise TypeError(f"{subject}: backward returned None; it must return dL/dx (shape {x.shape})")
    grads = layer.grads  # read again: a layer with plain-dict grads may have bound new arrays
    missing = [key for key in params if key not in grads]
    if missing:
        raise TypeError(f"{subject}: grads lacks {', '.join(map(repr, missing))}, which params has")
    analytic = {name: np.array(grads[name], dtype=np.float64) for name in params}
    analytic[INPUT] = np.array(grad_x, dtype=np.float64)
    scale = output_scale()

    def complex_twin() -> tuple[Evaluator, dict[str, np.ndarray]]:
        reset_noise()  # the twin's generators start where this layer's do, so both draw the same noise
        twin = copy_as(layer, np.complex128)
        reset_twin = _noise_freezer(twin)
        aux_twin = getattr(twin, "aux_loss", lambda: 0.0)
        x_twin = x.astype(np.complex128)

        def loss_twin() -> Any:
            reset_twin()
            return output_loss(twin, x_twin) + aux_twin()

        return loss_twin, {**dict(twin.params), INPUT: x_twin}

    return _Problem(
        subject, loss, {**params, INPUT: x}, analytic, scale, _kink_probe(layer), context, complex_twin, upcast
    )


@overflow_guard
def check_layer(
    layer: Any,
    x: np.ndarray,
    *,
    grad_y: np.ndarray | None = None,
    eps: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
    method: str = "central",
    large: int | None = DEFAULT_LARGE,
) -> GradCheckReport:
    """Check ``layer.backward`` against finite differences of ``layer.forward``, for x and every parameter.

    Args:
        layer: anything with the layer protocol (params, grads, forward, backward); a model too.
        x: (batch, ...) an input; copied to float64.
        grad_y: the upstream gradient G (shape of the output); default: standard normal, seeded.
        eps: relative step; default ``DEFAULT_STEPS[method]`` (6e-6 for central differences).
        rtol, atol: tolerances (see the module docstring).
        seed: seeds the random G and the sampling of large tensors.
        method: "central", "richardson" or "complex-step".
        large: tensors with more entries are sampled first (None: always every entry).

    The scalar is L = Σ G ⊙ forward(x) (+ the layer's auxiliary loss); noise layers draw the same noise at
    every evaluation. ``layer``'s parameters are restored afterwards; its grads hold the analytic gradient.
    """
    require_layer(layer, "check_layer")
    settings = _settings(method, eps, rtol, atol, large, seed, "check_layer")
    layer, upcast = _float64(layer)
    x = _input_array(x, "x", "check_layer")
    y = np.asarray(layer.forward(x))
    G = (
        np.random.default_rng(seed).standard_normal(y.shape)
        if grad_y is None
        else _input_array(grad_y, "grad_y", "check_layer")
    )
    if G.shape != y.shape:
        raise ValueError(f"check_layer: grad_y has shape {G.shape}, expected the output shape {y.shape}")
    context = Context({"the batch size": float(x.shape[0])}, G, dict(layer.params))

    def output_loss(target: Any, x_: np.ndarray) -> Any:
        return np.sum(target.forward(x_) * G)

    problem = _layer_problem(
        repr(layer), layer, x, output_loss, lambda: layer.backward(G),
        lambda: float(np.sum(np.abs(G * layer.forward(x)))), context, upcast,
    )  # fmt: skip
    return _run(problem, settings)


def _loss_counts(pred: np.ndarray, mask: np.ndarray | None) -> dict[str, float]:
    """The normalizers a loss's mean may divide by."""
    counts = {"the batch size": float(pred.shape[0]), "the number of entries": float(pred.size)}
    if mask is not None:
        counts["Σ mask (the observed entries)"] = float(mask.sum())
    return counts


@overflow_guard
def check_loss(
    loss: Any,
    pred: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    eps: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
    method: str = "central",
    large: int | None = DEFAULT_LARGE,
) -> GradCheckReport:
    """Check ``loss.backward()`` against finite differences of ``loss.forward(pred, target, mask)`` in pred.

    pred, target, mask: same shape, e.g. (batch, features); the other arguments as in :func:`check_layer`.
    """
    _require_loss(loss, "check_loss")
    settings = _settings(method, eps, rtol, atol, large, seed, "check_loss")
    pred = _input_array(pred, "pred", "check_loss")
    target, mask = _target_and_mask(target, mask, "check_loss")
    value = loss.forward(pred, target, mask)
    analytic = np.array(loss.backward(), dtype=np.float64)

    def complex_twin() -> tuple[Evaluator, dict[str, np.ndarray]]:
        pred_twin = pred.astype(np.complex128)
        return (lambda: loss.forward(pred_twin, target, mask)), {"pred": pred_twin}

    problem = _Problem(
        repr(loss) + (" with mask" if mask is not None else ""),
        lambda: loss.forward(pred, target, mask), {"pred": pred}, {"pred": analytic}, abs(value), None,
        Context(_loss_counts(pred, mask)), complex_twin,
    )  # fmt: skip
    return _run(problem, settings)


@overflow_guard
def check_model(
    model: Any,
    x: np.ndarray,
    loss: Any,
    target: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    *,
    eps: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
    method: str = "central",
    large: int | None = DEFAULT_LARGE,
) -> GradCheckReport:
    """Check a whole model end to end: L = loss(model.forward(x), target, mask) + aux, target = x by default.

    To find which layer is wrong, see :func:`check_model_layers`.
    """
    require_layer(model, "check_model")
    _require_loss(loss, "check_model")
    settings = _settings(method, eps, rtol, atol, large, seed, "check_model")
    model, upcast = _float64(model)
    x = _input_array(x, "x", "check_model")
    target, mask = _target_and_mask(x.copy() if target is None else target, mask, "check_model")

    def output_loss(m: Any, x_: np.ndarray) -> Any:
        return loss.forward(m.forward(x_), target, mask)

    def output_scale() -> float:
        pred = model.forward(x)
        loss.forward(pred, target, mask)
        return float(np.sum(np.abs(loss.backward() * pred)))

    pred = model.forward(x)
    problem = _layer_problem(
        f"{model!r} with {loss!r}", model, x, output_loss, lambda: model.backward(loss.backward()), output_scale,
        Context(_loss_counts(np.asarray(pred), mask)), upcast,
    )  # fmt: skip
    return _run(problem, settings)


def _leaf_inputs(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """The input every leaf layer receives during ``model.forward(x)``, by path (recorded, not re-derived)."""
    inputs: dict[str, np.ndarray] = {}
    leaves = named_leaves(model)

    def recorder(path: str, forward: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def record(h: Any) -> Any:
            inputs.setdefault(path, np.array(h, dtype=np.float64))
            return forward(h)

        return record

    for path, leaf in leaves:
        leaf.forward = recorder(path, leaf.forward)  # an instance attribute shadows the method for one pass
    try:
        model.forward(x)
    finally:
        for _, leaf in leaves:
            del leaf.forward
    return inputs


@overflow_guard
def check_model_layers(
    model: Any,
    x: np.ndarray,
    *,
    eps: float | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
    method: str = "central",
    large: int | None = DEFAULT_LARGE,
) -> LayerwiseReport:
    """Check every leaf layer of ``model`` on the input it receives in ``model.forward(x)``.

    Each layer gets its own random upstream gradient (seed + its position), so a wrong layer is found
    even when the layers after it would hide the mistake; ``report.first_failure`` names the first one.
    """
    require_layer(model, "check_model_layers")
    model, upcast = _float64(model)
    x = _input_array(x, "x", "check_model_layers")
    inputs = _leaf_inputs(model, x)
    reports = [
        (
            path,
            check_layer(leaf, inputs[path], eps=eps, rtol=rtol, atol=atol, seed=seed + k, method=method, large=large),
        )
        for k, (path, leaf) in enumerate(named_leaves(model))
        if path in inputs
    ]
    skipped = [path for path, _ in named_leaves(model) if path not in inputs]
    notes = ([upcast] if upcast else []) + [f"{path}: not called by forward, not checked" for path in skipped]
    return LayerwiseReport(repr(model), reports, notes)


# The eps sweep ---------------------------------------------------------------------------------------------


def _sweep_subject(seed: int) -> Any:
    """A small smooth layer whose third derivative is not zero: Dense(4→3) then Tanh."""
    return Sequential([Dense(4, 3, rng=seed), Tanh()])


def eps_sweep(
    layer: Any = None, x: np.ndarray | None = None, *, eps: np.ndarray | None = None, seed: int = 0
) -> EpsSweep:
    """Relative error of numeric dL/dx (L = Σ G ⊙ layer(x)) as the step eps goes from 1e-1 to 1e-12.

    Shows the two errors of a difference quotient: truncation (∝ h² for central differences) falls as the
    step shrinks, rounding (∝ ε/h) grows; their sum is smallest near ε^(1/3), 6e-6 in float64 and 5e-3
    in float32. The complex step has no rounding term, so it stays exact down to the smallest steps.

    Args:
        layer: a correct layer (backward's dL/dx is the reference); default Dense(4→3) + Tanh.
        x: (batch, ...) the input; default uniform on [−2, 2), shape (3, in_features) or (3, 4).
        eps: the steps; default 23 values from 1e-1 to 1e-12 (half decades).
        seed: seeds the default layer, x and G.
    """
    rng = np.random.default_rng(seed)
    layer = _sweep_subject(seed) if layer is None else layer
    if x is None:
        x = rng.uniform(-2.0, 2.0, (3, getattr(named_leaves(layer)[0][1], "in_features", 4)))
    steps = np.logspace(-1, -12, 23) if eps is None else as_array(eps, "eps", "eps_sweep", ndim=1)
    if not (steps > 0).all():
        raise ValueError(f"eps_sweep: every eps must be > 0, got {steps.min()}")
    layer64, _ = _float64(layer)
    x64 = _input_array(x, "x", "eps_sweep")
    reset = _noise_freezer(layer64)
    reset()
    y = layer64.forward(x64)
    G = rng.standard_normal(y.shape)
    reference = np.asarray(layer64.backward(G), dtype=np.float64)
    everything = list(np.ndindex(x64.shape))
    notes: list[str] = []

    def errors(target: Any, point: np.ndarray, method: str) -> np.ndarray:
        grad_y = G.astype(point.real.dtype)
        freeze = _noise_freezer(target)

        def f() -> Any:
            freeze()
            return np.sum(target.forward(point) * grad_y)

        out = []
        for h in steps:
            numeric = fd.entry_derivatives(f, point, everything, float(h), method)[0]
            out.append(float(np.max(np.abs(numeric - reference)) / np.max(np.abs(reference))))
        return np.array(out)

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
    else:
        if not np.nanmin(curves["complex step"]) <= COMPLEX_AGREEMENT:
            notes.append("complex step: wrong at every step: the layer is not complex-safe (np.abs, …)")
    return EpsSweep(repr(layer), steps, curves, notes)
