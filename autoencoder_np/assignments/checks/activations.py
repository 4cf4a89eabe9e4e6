"""Part ``activations``: the backward pass of ReLU, LeakyReLU, Sigmoid and Tanh.

Each is judged on dL/dx by finite differences (inputs kept away from ReLU's kink), plus one edge: for a
kinked activation the derivative at x = 0 follows the docstring's convention (criterion ``kink``); for a
saturating one dL/dx stays finite at |x| = 800, where a careless formula overflows (``saturation``).
LeakyReLU's slope α is drawn, not the default 0.01, so a hard-coded one shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .judging import changed_in_place, compare_gradients, finite
from .protocol import Arrays, Case, Check, Failure, Hint, Outputs, Verdicts, distinct_sizes, snapshot, student

KINK = np.array([[0.0, 1.0, -1.0]])  # dL/dx at x = 0 is the convention's slope
SATURATED = np.array([[-800.0, -40.0, 40.0, 800.0]])


@dataclass(frozen=True)
class Activation:
    """make(the student's activations module, α) -> the layer; a kinked one has its rule at x = 0."""

    make: Callable[[ModuleType, float], Any]
    rule: str = ""  # the convention at the kink; "" for a smooth, saturating activation

    @property
    def edge(self) -> str:
        return "kink" if self.rule else "saturation"


ACTIVATIONS = {
    "relu": Activation(lambda a, alpha: a.ReLU(), "the gradient passes only where x > 0"),
    "leaky_relu": Activation(lambda a, alpha: a.LeakyReLU(alpha), "1 only where x > 0"),
    "sigmoid": Activation(lambda a, alpha: a.Sigmoid()),
    "tanh": Activation(lambda a, alpha: a.Tanh()),
}


def _away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def _cases(spec: Activation, rng: np.random.Generator, kind: str) -> list[Case]:
    alpha = np.array(rng.uniform(0.05, 0.5))
    batch, width = distinct_sizes(rng, 2, kind)
    x = _away_from_zero(rng, (batch, width)) if spec.rule else 2.0 * rng.standard_normal((batch, width))
    edge = KINK if spec.rule else SATURATED
    return [
        Case(
            kind,
            f"batch {batch}, width {width}",
            ("dL/dx",),
            {"x": x, "G": rng.standard_normal(x.shape), "alpha": alpha},
        ),
        Case(
            kind,
            f"x = {edge.ravel().tolist()}",
            (spec.edge,),
            {"x": edge, "G": rng.uniform(0.5, 1.5, edge.shape), "alpha": alpha},
        ),
    ]


def _compute(spec: Activation, inputs: Arrays) -> dict[str, Any]:
    layer = spec.make(student("activations"), float(inputs["alpha"]))
    layer.kernels = "textbook"  # the functions the student writes
    layer.forward(inputs["x"].copy())
    grad_y = inputs["G"].copy()
    grad_x = snapshot(layer.backward(grad_y))
    return {"x": grad_x, "grad_y after": grad_y}


def _verdict(spec: Activation, case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    G, grad_x = case.inputs["G"], outputs.get("x")
    if "dL/dx" in case.criteria:
        failures = compare_gradients(
            {"x": grad_x}, {"x": expected["x"]}, {"x": expected["noise x"]}, counts={"the batch size": float(len(G))}
        )
        return {"dL/dx": changed_in_place(G, outputs.get("grad_y after")) or failures["x"]}
    if not spec.rule:
        text = "dL/dx is not finite at |x| = 800: compute f′ from the cached output y, without exponentiating x."
        return {"saturation": finite("dL/dx", grad_x, text)}
    slope = float(expected["slope at 0"])
    if grad_x is None or grad_x.shape != G.shape or np.isclose(grad_x[0, 0], slope * G[0, 0]):
        return {"kink": None if grad_x is not None else Failure("dL/dx is None: backward must return it")}
    got = float(grad_x[0, 0] / G[0, 0])
    text = f"at x = 0 the derivative is taken as {slope:g} ({spec.rule}); got {got:.3g}."
    detail = f"dL/dx at the kink x = 0 is {float(grad_x[0, 0]):.6g}, expected {slope * G[0, 0]:.6g}"
    return {"kink": Failure(detail, [Hint("kink", text)])}


def _check(name: str, spec: Activation) -> Check:
    return Check(
        f"{name}.backward",
        ("dL/dx", spec.edge),
        functools.partial(_cases, spec),
        functools.partial(_compute, spec),
        functools.partial(_verdict, spec),
    )


CHECKS = [_check(name, spec) for name, spec in ACTIVATIONS.items()]
