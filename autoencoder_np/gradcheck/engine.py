"""The check itself: estimate the numeric gradient of a problem, judge each quantity, diagnose the failures.

A problem (:class:`Problem`) is what one check compares: quantities perturbed in place, the scalar L and
what backward said. :func:`run` turns it into a :class:`~.report.GradCheckReport`:

1. numeric ∂L/∂u for every entry (or a sample and random directions when u is large), with the chosen
   method; under the complex step, central differences as well, and the complex step only where the two
   agree (elsewhere the code is not complex-safe and central differences decide);
2. the noise of each estimate, ``noise = max(atol, 10·(ε·S + tiny)/h)``, with S the first-order size of L
   plus the largest change of L the estimates met; differences below it count as a relative error of 0;
3. an entry passes when |a − n| ≤ rtol · max(|a|, |n|); a sampled tensor that fails is checked in full;
4. an entry that fails under central differences gets a second opinion from Richardson extrapolation, whose
   truncation error is O(h⁴) instead of O(h²): where the true gradient is near 0 and L curves sharply
   (BCE at p = 0.05 with t = p), the central estimate's truncation error alone exceeds rtol·|n|; a wrong
   gradient disagrees with both (only at the default step: an ``eps`` asked for gets central differences);
5. every failed row gets the diagnosis hints (``diagnosis.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..validation import check_float, check_int
from . import finite_differences as fd
from .diagnosis import Context, diagnose
from .finite_differences import DEFAULT_STEPS, Probe
from .report import GradCheckReport, GradCheckRow

DEFAULT_EPS = DEFAULT_STEPS["central"]
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 0.0
DEFAULT_LARGE = 10_000  # tensors with more entries are sampled (then fully checked if the sample fails)
DEFAULT_SAMPLES = 32
DEFAULT_DIRECTIONS = 3
COMPLEX_AGREEMENT = 1e-5  # complex step and central differences differ by less where f is complex-safe
#: The step of the second opinion (Richardson extrapolation, truncation O(h⁴)): small enough for L that curves
#: on a scale of 0.05 (BCE near p = 0.05), large enough that its rounding noise (3·10·ε·S/h ≈ 7e-11·S) stays low.
SECOND_OPINION_EPS = 1e-4
INPUT = "x (input)"


def rel_error(analytic: np.ndarray, numeric: np.ndarray, *, atol: float = 0.0) -> float:
    """max_i |a_i − n_i| / max(|a_i|, |n_i|), counting differences ≤ atol as 0 (NaN if either holds NaN)."""
    return float(np.max(rel_errors(np.asarray(analytic), np.asarray(numeric), atol), initial=0.0))


def rel_errors(a: np.ndarray, n: np.ndarray, noise: np.ndarray | float) -> np.ndarray:
    """|a − n| / max(|a|, |n|) entry by entry, 0 where |a − n| ≤ noise; NaN where a or n is NaN."""
    diff = np.abs(a - n)
    scale = np.maximum(np.abs(a), np.abs(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(diff <= noise, 0.0, diff / scale)
    return np.where(np.isnan(diff), np.nan, rel)


Evaluator = Callable[[], Any]


@dataclass
class Problem:
    """What one check compares: quantities (perturbed in place), the scalar L, and backward's answer.

    ``complex_twin()`` builds (L, quantities) in complex128 for the complex step; it may raise when the
    code refuses complex numbers. ``input_name``: the quantity that is the data, not a parameter (the
    diagnosis never calls it a bias).
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
    input_name: str | None = INPUT


@dataclass
class Settings:
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


def settings_for(
    method: str, eps: float | None, rtol: float, atol: float, large: int | None, seed: int, where: str
) -> Settings:
    method = fd.check_method(method, where)
    eps = DEFAULT_STEPS[method] if eps is None else check_float(eps, "eps", where, low=0.0, high=1.0, low_open=True)
    rtol = check_float(rtol, "rtol", where, low=0.0)
    atol = check_float(atol, "atol", where, low=0.0)
    large = None if large is None else check_int(large, "large", where)
    return Settings(method, eps, rtol, atol, large, check_int(seed, "seed", where, minimum=0))


def _plan(x: np.ndarray, settings: Settings, rng: np.random.Generator, *, full: bool) -> tuple[list, list]:
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
        rel_errors(np.array(z), np.array(c), noise_along)
        for (c, kink), (z, _) in zip(central.along, complex_step.along, strict=True)
        if not kink
    ]
    gaps = np.concatenate([rel_errors(complex_step.values, central.values, noise)[judged], along_gaps])
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
    rel = np.where(judged, rel_errors(analytic, n, noise), 0.0)  # NaN survives only where judged
    along = tuple(
        float(rel_errors(np.array(float(np.sum(analytic * u))), np.array(value), noise_along))
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


def run(problem: Problem, settings: Settings) -> GradCheckReport:
    """Estimate, judge, re-check failed samples in full, and diagnose every quantity of ``problem``."""
    notes: list[str] = []
    twin = None
    if settings.method == "complex-step":
        twin, note = _try_complex(problem)
        notes += [note] if note else []
    real_method = "central" if settings.method == "complex-step" else settings.method
    real_eps = DEFAULT_STEPS["central"] if settings.method == "complex-step" else settings.eps
    rng = np.random.default_rng(settings.seed)
    at_x = float(problem.loss())
    moved = [0.0]  # the largest |L(x ± h) − L(x)| the estimates met

    def loss() -> Any:
        value = problem.loss()
        moved[0] = max(moved[0], abs(float(value) - at_x))
        return value

    def estimate(name: str, full: bool) -> tuple[_Estimate, _Estimate | None]:
        """(the real-valued estimate, the complex-step one or None)."""
        x = problem.quantities[name]
        plan = _plan(x, settings, rng, full=full)
        real = _estimate(loss, x, plan, real_method, real_eps, problem.probe)
        if twin is None:
            return real, None
        loss_twin, quantities_twin = twin
        return real, _estimate(loss_twin, quantities_twin[name], plan, "complex-step", settings.eps, None)

    found = {name: estimate(name, full=False) for name in problem.quantities}
    # S: L's terms at x to first order, plus how far L moved: near a minimum at a tiny x (x² at 1e-125) the
    # evaluations at x ± h are of size h², far beyond L's terms at x, and so is their rounding.
    scale = abs(at_x) + problem.output_scale + moved[0]
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
        row, judged, failing = _row(name, problem.analytic[name], est, noise, along, settings.rtol)
        # A second opinion where central differences at the default step disagree (an eps asked for is kept).
        if method == "central" and eps == DEFAULT_STEPS["central"] and failing.any():
            est, noise, redone = _richardson_where(loss, x, est, noise, failing, scale, settings.atol, problem.probe)
            row, judged, still = _row(name, problem.analytic[name], est, noise, along, settings.rtol)
            if (redone & ~still).any():
                rescued[name] = int((redone & ~still).sum())
            failing = still
        return row, judged, failing, gap

    rescued: dict[str, int] = {}

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
    if rescued:
        counts = ", ".join(f"{count} in {name}" for name, count in rescued.items())
        notes.append(
            f"{counts}: central differences disagreed, Richardson extrapolation agreed (the gradient is near 0 "
            "where L curves sharply: central differences' own truncation error)"
        )
    if unsafe:
        notes.append(
            f"not complex-safe: complex step and central differences differ by up to {max(unsafe.values()):.1e} "
            f"in {', '.join(unsafe)} (np.abs, branches chosen on the real part and .conj() break the complex "
            "step); central differences decide those rows"
        )
    _diagnose(rows, masks, problem.context, problem.input_name)
    return GradCheckReport(
        problem.subject, rows, settings.rtol, settings.atol, settings.eps, problem.upcast, settings.method, notes
    )


def _richardson_where(
    f: Evaluator, x: np.ndarray, est: _Estimate, noise: np.ndarray, where: np.ndarray, scale: float, atol: float,
    probe: Probe | None,
) -> tuple[_Estimate, np.ndarray, np.ndarray]:  # fmt: skip
    """``est`` and ``noise`` with the entries ``where`` estimated again by Richardson extrapolation (and its own
    step and noise); also the mask of those entries."""
    indices = [tuple(int(i) for i in index) for index in np.argwhere(where)]
    eps = SECOND_OPINION_EPS
    values, kinks = fd.entry_derivatives(f, x, indices, eps, "richardson", probe)
    redone = np.zeros(x.shape, dtype=bool)
    for i in indices:
        redone[i] = True
    again = _Estimate(
        np.where(redone, values, est.values), est.kinks | (redone & kinks), est.checked, est.directions, est.along
    )
    return again, np.where(redone, fd.noise(x, eps, "richardson", scale, atol), noise), redone


def _noise_along(x: np.ndarray, eps: float, method: str, scale: float) -> float:
    """The rounding noise of a directional derivative (its step is eps · max(1, max |x|))."""
    return float(fd.noise(np.max(np.abs(x)), eps, method, scale))


def _try_complex(problem: Problem) -> tuple[tuple[Evaluator, dict[str, np.ndarray]] | None, str | None]:
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
    return name.rpartition(".")[0]


def _diagnose(
    rows: list[GradCheckRow], masks: dict[str, tuple[np.ndarray, np.ndarray]], context: Context, input_name: str | None
) -> None:
    """Attach hints to every failed row."""
    for row in rows:
        if row.passed:
            continue
        neighbours = [r for r in rows if r is not row and _layer_of(r.name) == _layer_of(row.name)]
        alone = row.name != input_name and neighbours and all(r.passed for r in neighbours)
        judged, failing = masks[row.name]
        row.diagnosis = diagnose(
            row.name, row.analytic, row.numeric, judged, failing, context,
            passing_neighbours=[r.name for r in neighbours] if alone else [],
        )  # fmt: skip
