"""Part ``dense``: the Dense layer's forward pass y = x W + b and its three gradients.

Public cases: batch and widths from 3 … 7, and a square W (where the shapes fit a transposed product, so
only the values can name the transpose). Hidden cases: widths from 8 … 11, a square W, a float32 layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .judging import accumulated, changed_in_place, compare_gradients, compare_values
from .protocol import (
    HIDDEN,
    Arrays,
    Case,
    Check,
    Failure,
    Hint,
    Outputs,
    Verdicts,
    attempt,
    distinct_sizes,
    snapshot,
    student,
)

GRADIENTS = ("dL/dW", "dL/db", "dL/dx")


def _draw(rng: np.random.Generator, batch: int, n_in: int, n_out: int, dtype: type) -> Arrays:
    return {
        "x": rng.standard_normal((batch, n_in)).astype(dtype),
        "W": rng.standard_normal((n_in, n_out)).astype(dtype),
        "b": rng.standard_normal(n_out).astype(dtype),
        "G": rng.standard_normal((batch, n_out)).astype(dtype),  # the upstream gradient dL/dy
    }


def _layer(Dense: type, inputs: Arrays) -> Any:
    """A Dense of the student's package running the textbook kernels (the functions the student writes),
    with the case's W and b (written in place: views stay views)."""
    W, b = inputs["W"], inputs["b"]
    layer = Dense(W.shape[0], W.shape[1], rng=0, dtype=W.dtype)
    layer.kernels = "textbook"
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    return layer


# dense.forward ---------------------------------------------------------------------------------------------


def _forward_cases(rng: np.random.Generator, kind: str) -> list[Case]:
    batch, n_in, n_out = distinct_sizes(rng, 3, kind)
    about = f"batch {batch}, W {n_in}×{n_out}"
    cases = [Case(kind, about, ("y",), _draw(rng, batch, n_in, n_out, np.float64))]
    cases.append(Case(kind, f"batch 1, W {n_in}×{n_out}", ("y",), _draw(rng, 1, n_in, n_out, np.float64)))
    if kind == HIDDEN:
        cases.append(Case(kind, f"a float32 layer, {about}", ("y",), _draw(rng, batch, n_in, n_out, np.float32)))
    return cases


def _forward(inputs: Arrays) -> dict[str, Any]:
    layer = _layer(student("layers").Dense, inputs)
    return {"y": snapshot(layer.forward(inputs["x"].copy()))}


def _forward_verdict(case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    y, dtype = outputs.get("y"), case.inputs["x"].dtype
    if y is not None and y.dtype != dtype:
        text = f"y is {y.dtype} for a {dtype} layer: compute in the layer's dtype."
        return {"y": Failure(f"y has dtype {y.dtype}, expected {dtype}", [Hint("dtype", text)])}
    missing_bias = Hint("bias", "y equals x W: the bias b is missing (y = x W + b, b added to every row).")
    failure = compare_values(
        "y", y, expected["y"], "y = x W + b", rtol=float(expected["rtol"]), atol=expected["atol"],
        alternatives=[(expected["x W"], missing_bias)],
    )  # fmt: skip
    return {"y": failure}


# dense.backward --------------------------------------------------------------------------------------------


def _backward_cases(rng: np.random.Generator, kind: str) -> list[Case]:
    batch, n_in, n_out = distinct_sizes(rng, 3, kind)
    shapes = [(batch, n_in, n_out, np.float64), (batch, n_out, n_out, np.float64)]
    if kind == HIDDEN:
        shapes.append((batch, n_in, n_out, np.float32))
    return [
        Case(
            kind,
            f"{'a float32 layer, ' if dtype is np.float32 else ''}batch {b}, W {i}×{o}",
            GRADIENTS,
            _draw(rng, b, i, o, dtype),
        )
        for b, i, o, dtype in shapes
    ]


def _backward(inputs: Arrays) -> dict[str, Any]:
    class GradedDense(student("layers").Dense):  # type: ignore[misc]
        """The student's backward after a forward that only fills the cache as dense_forward documents it
        (x and W): the backward is graded whatever the student's forward does."""

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache = {"x": x, "W": self.params["W"]}
            return np.zeros((x.shape[0], self.params["W"].shape[1]), dtype=x.dtype)

    layer = _layer(GradedDense, inputs)
    layer.forward(inputs["x"].copy())
    for grad in layer.grads.values():
        grad[...] = np.nan  # a gradient backward never writes stays NaN
    grad_y = inputs["G"].copy()
    grad_x = attempt(lambda: snapshot(layer.backward(grad_y)))
    if isinstance(grad_x, Exception):  # no gradient came back: each criterion shows the error and its line
        return {"W": grad_x, "b": grad_x, "x": grad_x, "grad_y after": grad_y}
    out = {"W": snapshot(layer.grads["W"]), "b": snapshot(layer.grads["b"]), "x": grad_x, "grad_y after": grad_y}
    layer.backward(inputs["G"].copy())
    return {**out, "W again": snapshot(layer.grads["W"]), "b again": snapshot(layer.grads["b"])}


def _backward_verdict(case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    inputs = case.inputs
    G = inputs["G"]
    names = ("W", "b", "x")
    failures = compare_gradients(
        {name: outputs.get(name) for name in names},
        {name: expected[name] for name in names},
        {name: expected[f"noise {name}"] for name in names},
        rtol=float(expected["rtol"]),
        counts={"the batch size": float(G.shape[0])},
        grad_y=G.astype(np.float64),
        params={"W": inputs["W"].astype(np.float64), "b": inputs["b"].astype(np.float64)},
        dtype="float32" if G.dtype == np.float32 else "",
    )
    for name in ("W", "b"):
        failures[name] = failures[name] or accumulated(name, outputs.get(name), outputs.get(f"{name} again"))
    failures["x"] = changed_in_place(G, outputs.get("grad_y after")) or failures["x"]
    return {f"dL/d{name}": failures[name] for name in names}


CHECKS = [
    Check("dense.forward", ("y",), _forward_cases, _forward, _forward_verdict),
    Check("dense.backward", GRADIENTS, _backward_cases, _backward, _backward_verdict),
]
