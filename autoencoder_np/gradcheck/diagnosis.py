"""Diagnosis of a failed gradient check: from the pattern of the error to the likely mistake.

Each hint is a sentence naming the pattern and the numbers behind it, with a stable short code (what an
autograder matches):

===========  ==========================================================  ===================================
code         pattern (a: analytic, n: numeric gradient)                  likely mistake
===========  ==========================================================  ===================================
not_written  a is NaN (the checker fills grads with NaN before backward)  backward never writes the gradient
             or 0 everywhere while n is not                              (or returns zeros)
shape        a has another shape than the quantity                        a wrong formula or a missing sum
transpose    a = nᵀ (transposed, or reshaped from nᵀ), or a has the       a transpose: xᵀ·G vs Gᵀ·x, G·W vs
             reversed shape, or dL/dx = G·W instead of G·Wᵀ               G·Wᵀ (a square W hides the shape)
batch_mean   a/n ≈ N or ≈ 1/N everywhere (N: a batch size or count)      a missing or extra mean (1/N)
sign         a/n ≈ −1 everywhere (or a negative constant ratio)          a sign error
factor       a/n ≈ 2 or ≈ 0.5 everywhere                                 a doubled or halved term
scale        a/n is another constant                                     a wrong constant factor
bias_sum     only a 1-D bias is wrong, or a equals one row of dL/dy      the sum over the batch axis is missing
few_entries  only a few entries are wrong                                an indexing or in-place mistake
===========  ==========================================================  ===================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HINT_CODES: dict[str, str] = {
    "not_written": "backward never writes this gradient (NaN or 0 everywhere)",
    "shape": "the analytic gradient has the wrong shape",
    "transpose": "a transpose (the analytic gradient is the numeric one transposed)",
    "batch_mean": "a missing or extra mean over the batch (ratio ≈ N or 1/N)",
    "sign": "a sign error (ratio ≈ −1)",
    "factor": "a doubled or halved term (ratio ≈ 2 or 0.5)",
    "scale": "a wrong constant factor (constant ratio)",
    "bias_sum": "the bias gradient lacks the sum over the batch axis",
    "few_entries": "only a few entries are wrong (indexing or in-place mistake)",
}

_CONSTANT = 1e-3  # ratios within this relative spread count as one constant
_NEAR = 1e-2  # a constant ratio within this relative distance of N, 2, −1, … "is" that number
_FEW = 0.1  # at most this fraction of the entries wrong: "a few entries"


@dataclass(frozen=True)
class Hint:
    """A diagnosis: ``code`` (one of HINT_CODES) and ``text``, a sentence with the numbers behind it."""

    code: str
    text: str


@dataclass
class Context:
    """What the diagnosis may compare a gradient with.

    counts: normalizers a mean may divide by, by name, e.g. {"the batch size": 4}.
    grad_y: (batch, out) the upstream gradient G of a layer check; None for a model or a loss.
    params: the checked layer's parameters, e.g. {"W": (in, out), "b": (out,)}.
    """

    counts: dict[str, float] = field(default_factory=dict)
    grad_y: np.ndarray | None = None
    params: dict[str, np.ndarray] = field(default_factory=dict)


def diagnose(
    name: str,
    analytic: np.ndarray,
    numeric: np.ndarray,
    judged: np.ndarray,
    failing: np.ndarray,
    context: Context,
    *,
    passing_neighbours: list[str],
) -> list[Hint]:
    """The hints for one failed gradient.

    Args:
        name: the gradient's name ("W", "encoder.0.b", "x (input)").
        analytic: what backward produced (any shape: a wrong shape is itself a hint).
        numeric: the finite-difference gradient, the quantity's shape (NaN where not computed).
        judged: bool, numeric's shape: entries compared (computed, not at a kink).
        failing: bool, numeric's shape: judged entries whose error exceeded the tolerance.
        context: see :class:`Context`.
        passing_neighbours: the other gradients of the same layer, when every one of them passed.
    """
    a = np.asarray(analytic, dtype=np.float64)
    if a.shape != numeric.shape:
        return [_shape(name, a.shape, numeric.shape)]
    unwritten = _not_written(name, a, numeric, judged)
    if unwritten:
        return [unwritten]
    hints = _transpose(name, a, numeric, judged, context) + _ratio(name, a, numeric, judged, context)
    hints += _bias_sum(name, a, context, passing_neighbours)
    if not hints:
        hints = _few_entries(name, a, numeric, judged, failing)
    return hints


def _shape(name: str, got: tuple[int, ...], expected: tuple[int, ...]) -> Hint:
    if len(got) == 2 and got == expected[::-1]:
        return Hint(
            "transpose",
            f"{name}: backward produced a {got} gradient for a {expected} quantity: a transpose? "
            "A gradient has the shape of what it differentiates (dL/dW = xᵀ·dL/dy has W's shape).",
        )
    return Hint("shape", f"{name}: backward produced a gradient of shape {got}, expected {expected}.")


def _not_written(name: str, a: np.ndarray, n: np.ndarray, judged: np.ndarray) -> Hint | None:
    nan = np.isnan(a)
    if nan.all():
        return Hint(
            "not_written",
            f"{name}: the analytic gradient is NaN in all {a.size} entries: the checker fills the gradients "
            "with NaN before backward, so backward never wrote this one.",
        )
    if nan.any():
        return Hint(
            "not_written",
            f"{name}: {int(nan.sum())} of {a.size} analytic entries are NaN: backward writes only part of this "
            "gradient (the checker fills the gradients with NaN before backward)?",
        )
    peak = float(np.max(np.abs(n[judged]), initial=0.0))
    if not a.any() and peak > 0.0:
        return Hint(
            "not_written",
            f"{name}: the analytic gradient is 0 in all {a.size} entries while the numeric one reaches "
            f"{peak:.3g}: backward never writes this gradient (or returns zeros)?",
        )
    return None


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-5, atol=1e-8 * float(np.max(np.abs(b), initial=0.0))))


def _transpose(name: str, a: np.ndarray, n: np.ndarray, judged: np.ndarray, context: Context) -> list[Hint]:
    if not judged.all() or _close(a, n):
        return []
    if a.ndim == 2 and _close(a.ravel(), n.T.ravel()):
        how = "transposed" if a.shape[0] == a.shape[1] else f"transposed and reshaped to {a.shape}"
        gap = float(np.max(np.abs(a.ravel() - n.T.ravel())))
        return [
            Hint(
                "transpose",
                f"{name}: the analytic gradient equals the numeric one {how} (max difference {gap:.1e}): "
                "a transpose, e.g. dL/dyᵀ·x instead of xᵀ·dL/dy?",
            )
        ]
    G = context.grad_y
    for key, P in context.params.items():
        if G is None or P.ndim != 2 or P.shape[0] != P.shape[1] or G.ndim != 2 or G.shape[1] != P.shape[0]:
            continue
        if (G @ P).shape == a.shape and _close(a, G @ P):
            return [
                Hint(
                    "transpose",
                    f"{name}: the analytic gradient equals dL/dy·{key} (max difference "
                    f"{float(np.max(np.abs(a - G @ P))):.1e}), the numeric one dL/dy·{key}ᵀ: a transpose "
                    f"(a square {key} hides it: the shapes fit either way)?",
                )
            ]
    return []


def _ratio(name: str, a: np.ndarray, n: np.ndarray, judged: np.ndarray, context: Context) -> list[Hint]:
    """Hints from a constant ratio a/n over the entries where n is clearly non-zero."""
    peak = float(np.max(np.abs(n[judged]), initial=0.0))
    significant = judged & (np.abs(n) > 1e-6 * peak) & (n != 0)
    if not significant.any():
        return []
    ratios = a[significant] / n[significant]
    r = float(np.median(ratios))
    if r == 0.0 or np.max(np.abs(ratios - r)) > _CONSTANT * abs(r) or abs(r - 1.0) <= _NEAR:
        return []
    m = abs(r)
    everywhere = f"everywhere ({int(significant.sum())} entries)"
    lead = f"{name}: analytic/numeric ratio is {_number(r)}"
    magnitude = []
    for label, count in context.counts.items():
        if count <= 1:
            continue
        if abs(m - count) <= _NEAR * count:
            text = f"{lead} ≈ {label} {count:g} {everywhere}: a missing mean (1/{count:g}) over the batch?"
            magnitude.append(Hint("batch_mean", text))
        elif abs(m - 1.0 / count) <= _NEAR / count:
            text = (
                f"{lead} ≈ 1/{count:g} (1 over {label}) {everywhere}: an extra mean (1/{count:g}): does backward "
                "divide by it where forward does not?"
            )
            magnitude.append(Hint("batch_mean", text))
    if abs(m - 2.0) <= 2.0 * _NEAR:
        magnitude.append(
            Hint("factor", f"{lead} {everywhere}: a doubled term (a factor 2 too many, or a term added twice)?")
        )
    elif abs(m - 0.5) <= 0.5 * _NEAR:
        magnitude.append(
            Hint("factor", f"{lead} {everywhere}: a halved term (a missing factor 2, as in d(x²)/dx = 2x)?")
        )
    elif not magnitude and abs(m - 1.0) > _NEAR:
        magnitude.append(Hint("scale", f"{lead} {everywhere}: a wrong constant factor?"))
    if r > 0:
        return magnitude
    sign = "a sign error?" if abs(m - 1.0) <= _NEAR else "a sign error as well?"
    return [Hint("sign", f"{lead} {everywhere}: {sign}"), *magnitude]


def _number(r: float) -> str:
    """A ratio as people write it: 4.00, 0.25, -1.00; 2.5e-04 when tiny or huge."""
    return f"{r:.2f}" if 0.01 <= abs(r) < 1000 else f"{r:.2g}"


def _bias_sum(name: str, a: np.ndarray, context: Context, passing_neighbours: list[str]) -> list[Hint]:
    if a.ndim != 1:
        return []
    G = context.grad_y
    if G is not None and G.ndim == 2 and G.shape[1] == a.size and G.shape[0] > 1:
        for k, row in enumerate(G):
            if _close(a, row):
                return [
                    Hint(
                        "bias_sum",
                        f"{name}: the analytic gradient equals row {k} of dL/dy (max difference "
                        f"{float(np.max(np.abs(a - row))):.1e}) while the numeric one is the sum of all "
                        f"{G.shape[0]} rows: dL/db = Σ_n dL/dy_n, the sum over the batch axis is missing?",
                    )
                ]
    if passing_neighbours:
        return [
            Hint(
                "bias_sum",
                f"{name}: only the bias gradient is wrong ({', '.join(passing_neighbours)} "
                f"{'passes' if len(passing_neighbours) == 1 else 'pass'}): is the sum over the batch axis "
                "missing? dL/db = Σ_n dL/dy_n.",
            )
        ]
    return []


def _few_entries(name: str, a: np.ndarray, n: np.ndarray, judged: np.ndarray, failing: np.ndarray) -> list[Hint]:
    count = int(failing.sum())
    if count == 0 or count > _FEW * int(judged.sum()):
        return []
    where = [tuple(int(i) for i in index) for index in np.argwhere(failing)[:3]]
    first = where[0]
    listed = ", ".join(map(str, where)) + (", …" if count > 3 else "")
    verb = "is" if count == 1 else "are"
    text = (
        f"{name}: only {count} of {int(judged.sum())} entries {verb} wrong, at {listed} (at {first}: analytic "
        f"{a[first]:.6g}, numeric {n[first]:.6g}): an indexing or in-place mistake?"
    )
    return [Hint("few_entries", text)]
