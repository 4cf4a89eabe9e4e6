"""Part ``adam``: the Adam update with bias correction and weight decay (``adam.step``).

Four steps of the student's ``Adam`` on parameters the grader sets and gradients it draws (of every scale,
so where ε goes shows), compared after each step with the docstring's update. Random β1, β2, ε, lr. Three
criteria: ``no decay``, ``L2 decay`` and ``decoupled decay``, so a student who has the update right but the
weight decay wrong keeps a share. The parameters sit in a stand-in model of the grader's (:class:`Model`),
so the check imports nothing of the student's but ``optimizers.py``: a broken layers.py costs Adam nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .protocol import Arrays, Case, Check, Failure, Hint, Outputs, Verdicts, distinct_sizes, student

STEPS = 4
CRITERIA = ("no decay", "L2 decay", "decoupled decay")
SETTINGS = ("lr", "beta1", "beta2", "eps", "weight_decay", "decoupled")

#: (variant, hint code, hint): what a known mistake makes of the update (``reference.adam`` runs each).
MISTAKES = [
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


class Model:
    """What an optimizer needs of a model, and nothing else: named parameters and their gradients, and the
    kernel set (the textbook's: the function the student writes)."""

    kernels = "textbook"

    def __init__(self, params: Arrays) -> None:
        self.params = {name: value.copy() for name, value in params.items()}
        self.grads = {name: np.zeros_like(value) for name, value in params.items()}

    def parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [(name, self.params[name], self.grads[name]) for name in self.params]


def parameter_names(inputs: Arrays) -> list[str]:
    """The parameters' names: "0.s", "0.c", and "2.s", "2.c" in the cases with weight decay."""
    return [key for key in inputs if key[0].isdigit()]


def _case(rng: np.random.Generator, kind: str, width: int, criterion: str) -> Case:
    layers = ["0"] if criterion == "no decay" else ["0", "2"]
    inputs: Arrays = {}
    for layer in layers:
        inputs[f"{layer}.s"] = rng.uniform(0.5, 1.5, width)
        inputs[f"{layer}.c"] = rng.standard_normal(width)
    for name in list(inputs):  # the gradient of each step, of every order of magnitude
        inputs[f"g {name}"] = rng.standard_normal((STEPS, width)) * 10 ** rng.uniform(-1, 1, (STEPS, width))
    settings = {
        "lr": rng.uniform(0.01, 0.1),
        "beta1": rng.uniform(0.8, 0.95),
        "beta2": rng.uniform(0.9, 0.999),
        "eps": 10 ** rng.uniform(-4, -1),  # large enough that where ε goes shows
        "weight_decay": 0.0 if criterion == "no decay" else rng.uniform(0.05, 0.3),
        "decoupled": criterion == "decoupled decay",
    }
    inputs.update({key: np.array(value) for key, value in settings.items()})
    return Case(kind, f"{describe(inputs)}, {2 * len(layers)} parameters of width {width}", (criterion,), inputs)


def describe(inputs: Arrays) -> str:
    """Adam(lr=…, …) as the case sets it."""
    s = {key: float(inputs[key]) for key in SETTINGS}
    return (
        f"Adam(lr={s['lr']:.3g}, beta1={s['beta1']:.3g}, beta2={s['beta2']:.4g}, eps={s['eps']:.2g}, "
        f"weight_decay={s['weight_decay']:.3g}, decoupled={bool(s['decoupled'])})"
    )


def _cases(rng: np.random.Generator, kind: str) -> list[Case]:
    width = distinct_sizes(rng, 1, kind)[0]
    return [_case(rng, kind, width, criterion) for criterion in CRITERIA]


def _compute(inputs: Arrays) -> dict[str, Any]:
    names = parameter_names(inputs)
    model = Model({name: inputs[name] for name in names})
    s = {key: float(inputs[key]) for key in SETTINGS}
    optimizer = student("optimizers").Adam(
        lr=s["lr"], beta1=s["beta1"], beta2=s["beta2"], eps=s["eps"], weight_decay=s["weight_decay"],
        decoupled=bool(s["decoupled"]),
    )  # fmt: skip
    trajectory: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for t in range(STEPS):
        for name in names:
            model.grads[name][...] = inputs[f"g {name}"][t]
        optimizer.step(model)
        for name in names:
            trajectory[name].append(np.array(model.params[name], dtype=np.float64))
    return {name: np.stack(values) for name, values in trajectory.items()}


def _same(got: Outputs, expected: Arrays, names: list[str]) -> bool:
    return all(
        got.get(n) is not None
        and got[n].shape == expected[n].shape  # type: ignore[union-attr]
        and np.allclose(got[n], expected[n], rtol=1e-9, atol=1e-12)
        for n in names
    )


def _verdict(case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    names = parameter_names(case.inputs)
    criterion = case.criteria[0]
    if _same(outputs, expected, names):
        return {criterion: None}
    for name in names:
        got = outputs.get(name)
        if got is None or got.shape != expected[name].shape:
            return {criterion: Failure(f"{name}: the trajectory has shape {None if got is None else got.shape}")}
    step, name = next(
        (t, n)
        for t in range(STEPS)
        for n in names
        if not np.allclose(outputs[n][t], expected[n][t], rtol=1e-9, atol=1e-12)  # type: ignore[index]
    )
    gap = float(np.max(np.abs(outputs[name][step] - expected[name][step])))  # type: ignore[index]
    detail = f"after step {step + 1}, {name} differs from the docstring's update by up to {gap:.3g}"
    hints = [
        Hint(code, text)
        for variant, code, text in MISTAKES
        if not _same({n: expected[f"{variant} {n}"] for n in names}, expected, names)
        and _same(outputs, {n: expected[f"{variant} {n}"] for n in names}, names)
    ]
    return {criterion: Failure(detail, hints[:1])}


CHECKS = [Check("adam.step", CRITERIA, _cases, _compute, _verdict)]
