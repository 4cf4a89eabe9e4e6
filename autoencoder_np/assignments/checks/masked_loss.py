"""Part ``masked-loss``: the masked mean L = Σ m·ℓ / Σ m of AutoRec's loss, and its gradient.

The student's ``Loss`` base runs with the grader's ℓ = log cosh(p − t), a smooth loss that is none of the
exercises, so the mean and the mask are graded whatever the element-wise losses do. Two criteria:
``unmasked`` (m = 1) and ``masked`` (a 0/1 mask with some entries observed, and non-negative weights).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .judging import compare_gradients, compare_values
from .protocol import Arrays, Case, Check, Failure, Hint, Outputs, Verdicts, distinct_sizes, student

CRITERIA = ("unmasked", "masked")


def logcosh(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    """ℓ = log cosh(p − t), computed stably; ℓ′ = tanh(p − t)."""
    d = pred - target
    return np.logaddexp(d, -d) - np.log(2.0)


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


def _cases(rng: np.random.Generator, kind: str) -> list[Case]:
    batch, width = distinct_sizes(rng, 2, kind)
    pred, target = rng.standard_normal((2, batch, width))
    observed = rng.random((batch, width)) < 0.6
    observed.flat[int(rng.integers(observed.size))] = True
    about = f"batch {batch}, width {width}"
    return [
        Case(kind, f"{about}, no mask", ("unmasked",), {"pred": pred, "target": target}),
        Case(kind, f"{about}, a 0/1 mask", ("masked",), {"pred": pred, "target": target, "mask": 1.0 * observed}),
        Case(
            kind,
            f"{about}, weights",
            ("masked",),
            {"pred": pred, "target": target, "mask": rng.uniform(0, 2, pred.shape)},
        ),
    ]


def _arguments(inputs: Arrays) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    mask = inputs.get("mask")
    return inputs["pred"].copy(), inputs["target"].copy(), None if mask is None else mask.copy()


def _mean(inputs: Arrays) -> dict[str, Any]:
    loss = _log_cosh_loss(student("losses").Loss)()
    return {"L": loss.forward(*_arguments(inputs))}


def _mean_verdict(case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    L = outputs.get("L")
    if L is not None and L.ndim != 0:
        text = f"forward returned an array of shape {L.shape}: the loss is one number, Σ m·ℓ / Σ m."
        return {case.criteria[0]: Failure(f"L has shape {L.shape}, expected a number", [Hint("shape", text)])}
    n = float(expected["n"])
    mistakes = [
        (expected["Σ m·ℓ"], Hint("batch_mean", "L equals Σ m·ℓ: the mean is missing; divide by n = Σ m.")),
        (
            expected["Σ m·ℓ / entries"],
            Hint(
                "batch_mean", f"L divides by the number of entries {case.inputs['pred'].size}, not by n = Σ m = {n:g}."
            ),
        ),
        (expected["mean ℓ"], Hint("mask", "L equals the plain mean of ℓ: the mask is ignored (L = Σ m·ℓ / Σ m).")),
    ]
    equation = "L = Σ m·ℓ / Σ m" + (" (no mask: m = 1)" if "mask" not in case.inputs else "")
    return {case.criteria[0]: compare_values("L", L, expected["L"], equation, alternatives=mistakes)}


def _mean_backward(inputs: Arrays) -> dict[str, Any]:
    class GradedLoss(_log_cosh_loss(student("losses").Loss)):  # type: ignore[misc]
        """The student's backward after a forward that fills the cache as the Loss base documents."""

        def forward(self, pred: Any, target: Any, mask: Any = None) -> float:
            pred, target, mask, n = self._validate(pred, target, mask)
            self.cache = {"pred": pred, "target": target, "mask": mask, "n": n}
            return 0.0  # backward reads the cache only

    loss = GradedLoss()
    loss.forward(*_arguments(inputs))
    return {"p": loss.backward()}


def _mean_backward_verdict(case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    pred = case.inputs["pred"]
    counts = {"the batch size": float(pred.shape[0]), "the number of entries": float(pred.size)}
    if "mask" in case.inputs:
        counts["Σ mask (the observed entries)"] = float(case.inputs["mask"].sum())
    failures = compare_gradients(
        {"p": outputs.get("p")}, {"p": expected["p"]}, {"p": expected["noise p"]}, counts=counts
    )
    return {case.criteria[0]: failures["p"]}


CHECKS = [
    Check("loss.masked_mean", CRITERIA, _cases, _mean, _mean_verdict),
    Check("loss.masked_mean_backward", CRITERIA, _cases, _mean_backward, _mean_backward_verdict),
]
