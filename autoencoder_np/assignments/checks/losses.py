"""Part ``losses``: each element-wise loss ℓ(p, t) and its derivative ℓ′ (MSE, BCE, BCE with logits).

Two criteria each: ``value`` on random inputs, and ``extremes`` where a careless formula overflows or takes
log 0 (BCE at p = 0 and 1, BCE-with-logits at |z| = 800). A forward is compared with the docstring's
equation; a derivative with finite differences of the grader's ℓ, so it is judged whatever ℓ the student
wrote.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .judging import compare_gradients, compare_values, finite
from .protocol import Arrays, Case, Check, Outputs, Verdicts, distinct_sizes, snapshot, student

CRITERIA = ("value", "extremes")


@dataclass(frozen=True)
class ElementwiseLoss:
    """What the grader knows of one loss: its class, equation, inputs, and the extremes."""

    class_name: str
    equation: str
    draw: Callable[[np.random.Generator, tuple[int, int]], tuple[np.ndarray, np.ndarray]]
    extreme: tuple[np.ndarray, np.ndarray]  # (pred, target) where a careless formula overflows
    not_finite: str  # the hint when it does


LOSSES = {
    "mse": ElementwiseLoss(
        "MSELoss",
        "ℓ = (p − t)²",
        lambda rng, shape: (rng.standard_normal(shape), rng.standard_normal(shape)),
        (np.array([[-1e3, 0.0, 1e3]]), np.array([[1e3, 0.0, -1e3]])),
        "not finite for |p − t| = 2000.",
    ),
    "bce": ElementwiseLoss(
        "BCELoss",
        "ℓ = −[t log p + (1 − t) log(1 − p)]",
        lambda rng, shape: (rng.uniform(0.05, 0.95, shape), rng.uniform(0.0, 1.0, shape)),
        (np.array([[0.0, 1.0, 0.0, 1.0]]), np.array([[0.0, 0.0, 1.0, 1.0]])),
        "not finite at p = 0 or p = 1: use the clipped p the starter code computes, not pred.",
    ),
    "bce_logits": ElementwiseLoss(
        "BCEWithLogitsLoss",
        "ℓ = max(z, 0) − z t + log(1 + e^(−|z|))",
        lambda rng, shape: (3.0 * rng.standard_normal(shape), rng.uniform(0.0, 1.0, shape)),
        (np.array([[-800.0, 800.0, -800.0, 800.0]]), np.array([[0.0, 0.0, 1.0, 1.0]])),
        "not finite at |z| = 800: e^z overflows; use the stable form max(z, 0) − z·t + log(1 + e^(−|z|)).",
    ),
}


def _cases(spec: ElementwiseLoss, rng: np.random.Generator, kind: str) -> list[Case]:
    batch, width = distinct_sizes(rng, 2, kind)
    pred, target = spec.draw(rng, (batch, width))
    extreme = {"pred": spec.extreme[0], "target": spec.extreme[1]}
    return [
        Case(kind, f"batch {batch}, width {width}", ("value",), {"pred": pred, "target": target}),
        Case(kind, f"p = {spec.extreme[0].ravel().tolist()}", ("extremes",), extreme),
    ]


def _elementwise(spec: ElementwiseLoss, inputs: Arrays) -> dict[str, Any]:
    loss = getattr(student("losses"), spec.class_name)()
    return {"ℓ": snapshot(loss.elementwise(inputs["pred"].copy(), inputs["target"].copy()))}


def _derivative(spec: ElementwiseLoss, inputs: Arrays) -> dict[str, Any]:
    loss = getattr(student("losses"), spec.class_name)()
    return {"p": snapshot(loss.derivative(inputs["pred"].copy(), inputs["target"].copy()))}


def _forward_verdict(spec: ElementwiseLoss, case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    failure = compare_values("ℓ", outputs.get("ℓ"), expected["ℓ"], spec.equation, not_finite=f"ℓ is {spec.not_finite}")
    return {case.criteria[0]: failure}


def _backward_verdict(spec: ElementwiseLoss, case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    if "extremes" in case.criteria:
        return {"extremes": finite("ℓ′", outputs.get("p"), f"ℓ′ is {spec.not_finite}")}
    pred = case.inputs["pred"]
    counts = {"the batch size": float(pred.shape[0]), "the number of entries": float(pred.size)}
    return {
        "value": compare_gradients(
            {"p": outputs.get("p")}, {"p": expected["p"]}, {"p": expected["noise p"]}, counts=counts
        )["p"]
    }


def _checks(name: str, spec: ElementwiseLoss) -> list[Check]:
    """``<name>.forward`` (ℓ against the equation) and ``<name>.backward`` (ℓ′ against finite differences)."""
    return [
        Check(f"{name}.{kind}", CRITERIA, functools.partial(_cases, spec), functools.partial(compute, spec),
              functools.partial(verdict, spec))
        for kind, compute, verdict in (
            ("forward", _elementwise, _forward_verdict),
            ("backward", _derivative, _backward_verdict),
        )
    ]  # fmt: skip


CHECKS = [check for name, spec in LOSSES.items() for check in _checks(name, spec)]
