"""Finite-difference gradient checking: is each backward pass the derivative of its forward pass?

The numeric gradient uses central differences, whose error is O(h²)::

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

Error bands (CS231n): > 1e-2 probably wrong; 1e-2 … 1e-4 uncomfortable; 1e-4 … 1e-7 fine with kinks;
< 1e-7 good.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .validation import as_array, check_float, check_int, overflow_guard, require_layer

DEFAULT_EPS = 6e-6
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 0.0
NOISE_FACTOR = 10.0  # measured: correct layers stay below 2·ε·S/h

Probe = Callable[[], np.ndarray]


def band(rel_error: float) -> str:
    """The CS231n verdict for a relative error."""
    if not rel_error <= 1e-2:  # also NaN
        return "probably wrong"
    if rel_error > 1e-4:
        return "uncomfortable"
    if rel_error > 1e-7:
        return "fine with kinks"
    return "good"


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


def _steps(x: np.ndarray, eps: float) -> np.ndarray:
    """The finite-difference step of every entry: h = eps · max(1, |x|)."""
    return eps * np.maximum(1.0, np.abs(x))


def _central_differences(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float, probe: Probe | None
) -> tuple[np.ndarray, np.ndarray]:
    """(numeric gradient, kink mask) of f with respect to x, perturbing x in place and restoring it."""
    grad = np.zeros(x.shape, dtype=np.float64)
    kinks = np.zeros(x.shape, dtype=bool)
    steps = _steps(x, eps)
    for i in np.ndindex(x.shape):
        original = x[i]
        h = steps[i]
        x[i] = original + h
        f_plus = f(x)
        pattern_plus = probe() if probe is not None else None
        x[i] = original - h
        f_minus = f(x)
        if probe is not None:
            kinks[i] = not np.array_equal(pattern_plus, probe())
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad, kinks


@overflow_guard
def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, *, eps: float = DEFAULT_EPS) -> np.ndarray:
    """Central-difference gradient of the scalar function f at x.

    Args:
        f: called as f(x) with x perturbed in place (one entry at a time); returns a float.
        x: float64 array, any shape; restored before returning.
        eps: relative step: h = eps · max(1, |x_i|).

    Returns:
        array of x's shape: ∂f/∂x_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h).
    """
    where = "numerical_gradient"
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of x returning a float, got {type(f).__name__}")
    x = as_array(x, "x", where)
    if x.dtype != np.float64:
        raise TypeError(f"{where}: x must be float64 (checks run in double precision), got {x.dtype}")
    eps = check_float(eps, "eps", where, low=0.0, low_open=True)

    def scalar_f(x_: np.ndarray) -> float:
        value = f(x_)
        if np.ndim(value) != 0 or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{where}: f must return one real number, got {type(value).__name__} {value!r}")
        return float(value)

    return _central_differences(scalar_f, x, eps, None)[0]


@dataclass
class GradCheckRow:
    """The comparison of one gradient (a parameter's or the input's)."""

    name: str
    shape: tuple[int, ...]
    max_rel_error: float
    median_rel_error: float
    worst_index: tuple[int, ...]
    analytic_value: float
    numeric_value: float
    n_kinks: int
    passed: bool
    analytic: np.ndarray = field(repr=False)
    numeric: np.ndarray = field(repr=False)
    kinks: np.ndarray = field(repr=False)

    @property
    def band(self) -> str:
        return band(self.max_rel_error)


@dataclass
class GradCheckReport:
    """One row per checked gradient; ``passed`` when every row passed."""

    subject: str
    rows: list[GradCheckRow]
    rtol: float
    atol: float
    eps: float
    upcast: str | None = None

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def max_rel_error(self) -> float:
        return max((row.max_rel_error for row in self.rows), default=0.0)

    @property
    def n_kinks(self) -> int:
        return sum(row.n_kinks for row in self.rows)

    def __getitem__(self, name: str) -> GradCheckRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no row named {name!r}; rows: {[row.name for row in self.rows]}")

    def summary(self) -> str:
        """One line: the verdict, the worst relative error and its band, kinks skipped."""
        verdict = "PASS" if self.passed else "FAIL"
        worst = max(self.rows, key=lambda r: r.max_rel_error if np.isfinite(r.max_rel_error) else np.inf)
        kinks = f", {self.n_kinks} kink(s) skipped" if self.n_kinks else ""
        if self.max_rel_error == 0.0:
            error = "every difference within the rounding noise of the finite differences (good)"
        else:
            error = f"max relative error {self.max_rel_error:.2e} ({band(self.max_rel_error)}, in {worst.name})"
        return f"gradient check {verdict}: {self.subject}: {error}{kinks}"

    def __str__(self) -> str:
        head = f"{'gradient':<22}{'shape':<14}{'max rel err':>12}{'median':>11}  {'worst index':<14}"
        head += f"{'analytic':>13}{'numeric':>13}{'kinks':>7}  verdict"
        lines = [self.summary(), head]
        for r in self.rows:
            lines.append(
                f"{r.name:<22}{r.shape!s:<14}{r.max_rel_error:>12.2e}{r.median_rel_error:>11.1e}  "
                f"{r.worst_index!s:<14}{r.analytic_value:>13.5e}{r.numeric_value:>13.5e}{r.n_kinks:>7}  "
                f"{'ok' if r.passed else 'FAIL'} ({r.band})"
            )
        if self.upcast:
            lines.append(f"note: {self.upcast}")
        return "\n".join(lines)


def _row(
    name: str, analytic: np.ndarray, numeric: np.ndarray, kinks: np.ndarray, noise: np.ndarray, rtol: float
) -> GradCheckRow:
    """Compare one analytic gradient with its numeric twin; ``noise``: per-entry size of numeric error."""
    analytic = np.asarray(analytic, dtype=np.float64)
    rel = _rel_errors(analytic, numeric, noise)
    judged = ~kinks
    rel_judged = np.where(judged, rel, 0.0)  # NaN survives only where judged: a NaN gradient always fails
    ok = rel_judged <= rtol
    worst = np.unravel_index(int(np.argmax(np.where(np.isnan(rel_judged), np.inf, rel_judged))), rel.shape)
    return GradCheckRow(
        name=name,
        shape=tuple(analytic.shape),
        max_rel_error=float(np.nan if np.isnan(rel_judged).any() else rel_judged.max(initial=0.0)),
        median_rel_error=float(np.nanmedian(rel[judged])) if judged.any() and not np.isnan(rel[judged]).all() else 0.0,
        worst_index=tuple(int(i) for i in worst),
        analytic_value=float(analytic[worst]),
        numeric_value=float(numeric[worst]),
        n_kinks=int(kinks.sum()),
        passed=bool(ok.all()),
        analytic=analytic,
        numeric=numeric,
        kinks=kinks,
    )


def _leaves(layer: Any) -> list[Any]:
    """The non-container layers of ``layer`` (itself if it is one)."""
    if hasattr(layer, "_named_leaves"):
        return [leaf for _, leaf in layer._named_leaves()]
    return [layer]


def _kink_probe(layer: Any) -> Probe | None:
    """A function returning, after a forward, which side of its kinks every kinked layer's input is on."""
    kinked = [leaf for leaf in _leaves(layer) if getattr(leaf, "kinks", ())]
    if not kinked:
        return None

    def probe() -> np.ndarray:
        return np.concatenate([(leaf.cache["x"] > k).ravel() for leaf in kinked for k in leaf.kinks])

    return probe


def _noise_freezer(layer: Any) -> Callable[[], None]:
    """A function that resets every random layer's generator, so each forward draws the same noise."""
    generators = [leaf.rng for leaf in _leaves(layer) if isinstance(getattr(leaf, "rng", None), np.random.Generator)]
    states = [g.bit_generator.state for g in generators]

    def reset() -> None:
        for g, s in zip(generators, states, strict=True):
            g.bit_generator.state = s

    return reset


def _float64(layer: Any) -> tuple[Any, str | None]:
    """``layer`` itself when its parameters are float64, else a float64 copy and a note saying so."""
    dtype = getattr(layer, "dtype", None)
    if dtype is None or dtype == np.float64:
        return layer, None
    copied = copy.deepcopy(layer)
    for leaf in _leaves(copied):
        for store in (leaf.params, leaf.grads):
            for key in list(store):
                value = store[key].astype(np.float64)
                if hasattr(store, "rebind"):
                    store.rebind(key, value)
                else:
                    store[key] = value
    if hasattr(copied, "_pack"):
        copied._pack()
    return copied, f"{dtype} parameters were copied to float64 for the check"


def _check(
    subject: str,
    layer: Any,
    x: np.ndarray,
    forward_loss: Callable[[np.ndarray], float],
    backward: Callable[[], np.ndarray],
    output_scale: Callable[[], float],
    *,
    eps: float,
    rtol: float,
    atol: float,
    upcast: str | None,
) -> GradCheckReport:
    """Compare backward's gradients with central differences of forward_loss, for every parameter and x.

    ``output_scale()`` returns Σ|∂L/∂ŷ · ŷ| at the model's output after a forward (part of the noise scale S).
    """
    reset_noise = _noise_freezer(layer)
    probe = _kink_probe(layer)

    def loss_at(_: np.ndarray) -> float:
        reset_noise()
        return forward_loss(x)

    # Analytic: fill grads with NaN first, so a gradient backward never wrote shows up as NaN.
    params = dict(layer.params)
    for g in layer.grads.values():
        g[...] = np.nan
    loss_at(x)
    grad_x = np.array(backward(), dtype=np.float64)
    grads = layer.grads  # read again: a layer with plain-dict grads may have bound new arrays
    analytic = {name: np.array(grads[name], dtype=np.float64) for name in params}

    quantities = {**params, "x (input)": x}
    analytic["x (input)"] = grad_x
    numerics = {name: _central_differences(loss_at, value, eps, probe) for name, value in quantities.items()}
    scale = (
        abs(loss_at(x))
        + output_scale()
        + sum(float(np.sum(np.abs(numerics[name][0] * value))) for name, value in quantities.items())
    )
    rows = [
        _row(name, analytic[name], *numerics[name], _noise(value, eps, atol, scale), rtol)
        for name, value in quantities.items()
    ]
    return GradCheckReport(subject, rows, rtol, atol, eps, upcast)


def _settings(eps: Any, rtol: Any, atol: Any, where: str) -> tuple[float, float, float]:
    """eps > 0, rtol ≥ 0 and atol ≥ 0 as floats, or a clear error."""
    return (
        check_float(eps, "eps", where, low=0.0, low_open=True),
        check_float(rtol, "rtol", where, low=0.0),
        check_float(atol, "atol", where, low=0.0),
    )


def _require_loss(loss: Any, where: str) -> None:
    if not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None))):
        raise TypeError(
            f"{where}: loss must have forward(pred, target, mask) and backward(), got {type(loss).__name__}"
        )


def _noise(x: np.ndarray, eps: float, atol: float, scale: float) -> np.ndarray:
    """Per-entry size of the numeric gradient's rounding error: max(atol, 10·(ε·S + tiny)/h).

    tiny, the smallest normal float64, is the absolute resolution of f near 0 (subnormal results).
    """
    info = np.finfo(np.float64)
    return np.maximum(atol, NOISE_FACTOR * (info.eps * scale + info.smallest_normal) / _steps(x, eps))


def _float64_data(target: Any, mask: Any, where: str) -> tuple[np.ndarray, np.ndarray | None]:
    """target and mask (if any) as float64 arrays (the loss checks their shapes and values)."""
    f64 = np.dtype(np.float64)
    target = as_array(target, "target", where, dtype=f64)
    return target, None if mask is None else as_array(mask, "mask", where, dtype=f64)


@overflow_guard
def check_layer(
    layer: Any,
    x: np.ndarray,
    *,
    grad_y: np.ndarray | None = None,
    eps: float = DEFAULT_EPS,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    seed: int = 0,
) -> GradCheckReport:
    """Check ``layer.backward`` against finite differences of ``layer.forward``, for x and every parameter.

    Args:
        layer: anything with the layer protocol (params, grads, forward, backward); a model too.
        x: (batch, ...) an input; copied to float64.
        grad_y: the upstream gradient G (shape of the output); default: standard normal, seeded.
        eps, rtol, atol: step and tolerances (see the module docstring).
        seed: seeds the random G.

    The scalar is L = Σ G ⊙ forward(x) (+ the layer's auxiliary loss); noise layers draw the same noise at
    every evaluation. ``layer``'s parameters are restored afterwards; its grads hold the analytic gradient.
    """
    where = "check_layer"
    require_layer(layer, where)
    eps, rtol, atol = _settings(eps, rtol, atol, where)
    seed = check_int(seed, "seed", where, minimum=0)
    layer, upcast = _float64(layer)
    x = np.array(as_array(x, "x", where), dtype=np.float64)
    y = layer.forward(x)
    if grad_y is None:
        G = np.random.default_rng(seed).standard_normal(y.shape)
    else:
        G = as_array(grad_y, "grad_y", where, dtype=np.dtype(np.float64))
    if G.shape != y.shape:
        raise ValueError(f"check_layer: grad_y has shape {G.shape}, expected the output shape {y.shape}")
    aux = getattr(layer, "aux_loss", lambda: 0.0)

    def forward_loss(x_: np.ndarray) -> float:
        return float(np.sum(layer.forward(x_) * G)) + aux()

    return _check(
        repr(layer), layer, x, forward_loss, lambda: layer.backward(G),
        lambda: float(np.sum(np.abs(G * layer.forward(x)))),
        eps=eps, rtol=rtol, atol=atol, upcast=upcast,
    )  # fmt: skip


@overflow_guard
def check_loss(
    loss: Any,
    pred: np.ndarray,
    target: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    eps: float = DEFAULT_EPS,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> GradCheckReport:
    """Check ``loss.backward()`` against finite differences of ``loss.forward(pred, target, mask)`` in pred."""
    where = "check_loss"
    _require_loss(loss, where)
    eps, rtol, atol = _settings(eps, rtol, atol, where)
    pred = np.array(as_array(pred, "pred", where), dtype=np.float64)
    target, mask = _float64_data(target, mask, where)
    value = loss.forward(pred, target, mask)
    analytic = np.array(loss.backward(), dtype=np.float64)
    numeric, kinks = _central_differences(lambda p: loss.forward(p, target, mask), pred, eps, None)
    scale = abs(value) + float(np.sum(np.abs(numeric * pred)))
    row = _row("pred", analytic, numeric, kinks, _noise(pred, eps, atol, scale), rtol)
    return GradCheckReport(repr(loss) + (" with mask" if mask is not None else ""), [row], rtol, atol, eps)


@overflow_guard
def check_model(
    model: Any,
    x: np.ndarray,
    loss: Any,
    target: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    *,
    eps: float = DEFAULT_EPS,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> GradCheckReport:
    """Check a whole model end to end: L = loss(model.forward(x), target, mask) + aux, target = x by default."""
    where = "check_model"
    require_layer(model, where)
    _require_loss(loss, where)
    eps, rtol, atol = _settings(eps, rtol, atol, where)
    model, upcast = _float64(model)
    x = np.array(as_array(x, "x", where), dtype=np.float64)
    target, mask = _float64_data(x.copy() if target is None else target, mask, where)
    aux = getattr(model, "aux_loss", lambda: 0.0)

    def forward_loss(x_: np.ndarray) -> float:
        return loss.forward(model.forward(x_), target, mask) + aux()

    def output_scale() -> float:
        pred = model.forward(x)
        loss.forward(pred, target, mask)
        return float(np.sum(np.abs(loss.backward() * pred)))

    return _check(
        f"{model!r} with {loss!r}", model, x, forward_loss, lambda: model.backward(loss.backward()),
        output_scale, eps=eps, rtol=rtol, atol=atol, upcast=upcast,
    )  # fmt: skip
