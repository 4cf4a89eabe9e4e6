"""Part ``autoencoder``: backpropagation through a whole model, layer by layer (``model.backward``).

The model is built from the grader's own layers on the student's ``Layer`` base (:func:`grader_layers`),
none of which is an exercise, so only the walk is graded. Two criteria: ``gradients`` (every parameter's
gradient and dL/dx, by finite differences) and ``input_grad stop`` (with ``input_grad`` False, as ``fit``
sets it, the walk stops where the first layer with parameters returns None).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .judging import accumulated, changed_in_place, compare_gradients
from .protocol import Arrays, Case, Check, Failure, Hint, Outputs, Verdicts, distinct_sizes, snapshot, student

CRITERIA = ("gradients", "input_grad stop")
SCALES = ("encoder.0", "decoder.0")  # the layers with parameters, named as the gradients are


def grader_layers(Layer: type) -> tuple[type, type, type, type]:
    """Four layers none of the exercises covers, on the student's Layer base: Scale, Sin, Spread, Dropout.

    Scale: y = x ⊙ s + c;  Sin: y = sin x;  Spread(index): y = x[:, index] (changes the width);
    Dropout(scaled_mask): y = x ⊙ m / (1 − rate) with one fixed mask (no parameters).
    Each backward checks the shape of grad_y, so a chain walked in the wrong order says so. Scale follows
    the input_grad protocol (returns None when nobody reads dL/dx); Dropout records a None it is given in
    ``cache["got_none"]`` (a real Dropout would crash on it), so the check can say what went wrong.
    """

    class _Checked(Layer):
        def _incoming(self, grad_y: np.ndarray) -> np.ndarray:
            if grad_y is None:
                raise ValueError(
                    f"{type(self).__name__}.backward got None for dL/dy: does every backward return its dL/dx?"
                )
            grad_y = np.asarray(grad_y)
            if grad_y.shape != self.cache["y_shape"]:
                raise ValueError(
                    f"{type(self).__name__}.backward got dL/dy of shape {grad_y.shape}, but its output had shape "
                    f"{self.cache['y_shape']}: are the layers walked from last to first?"
                )
            return grad_y

    class Scale(_Checked):
        def __init__(self, s: np.ndarray, c: np.ndarray) -> None:
            super().__init__()
            self.params["s"] = s.copy()
            self.params["c"] = c.copy()
            self.grads["s"] = np.zeros_like(s)
            self.grads["c"] = np.zeros_like(c)

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["x"] = x
            y = x * self.params["s"] + self.params["c"]
            self.cache["y_shape"] = y.shape
            return y

        def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
            grad_y = self._incoming(grad_y)
            self.grads["s"][...] = np.sum(grad_y * self.cache["x"], axis=0)
            self.grads["c"][...] = np.sum(grad_y, axis=0)
            return grad_y * self.params["s"] if self.input_grad else None

    class Sin(_Checked):
        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["x"] = x
            self.cache["y_shape"] = np.shape(x)
            return np.sin(x)

        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            return self._incoming(grad_y) * np.cos(self.cache["x"])

    class Spread(_Checked):
        def __init__(self, index: np.ndarray) -> None:
            super().__init__()
            self.index = index

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["x_shape"] = np.shape(x)
            y = x[:, self.index]
            self.cache["y_shape"] = y.shape
            return y

        def backward(self, grad_y: np.ndarray) -> np.ndarray:
            grad_x = np.zeros(self.cache["x_shape"], dtype=np.result_type(grad_y))
            np.add.at(grad_x, (slice(None), self.index), self._incoming(grad_y))
            return grad_x

    class Dropout(_Checked):
        def __init__(self, scaled_mask: np.ndarray) -> None:
            super().__init__()
            self.scaled_mask = scaled_mask

        def forward(self, x: np.ndarray) -> np.ndarray:
            self.cache["y_shape"] = np.shape(x)
            return x * self.scaled_mask

        def backward(self, grad_y: np.ndarray | None) -> np.ndarray | None:
            if grad_y is None:
                self.cache["got_none"] = True
                return None
            return self._incoming(grad_y) * self.scaled_mask

    return Scale, Sin, Spread, Dropout


def _cases(rng: np.random.Generator, kind: str) -> list[Case]:
    batch, width, code = distinct_sizes(rng, 3, kind)
    inputs = {
        "x": rng.standard_normal((batch, width)),
        "G": rng.standard_normal((batch, width)),  # the upstream gradient dL/dx̂
        "encoder.0.s": rng.uniform(0.5, 1.5, width),
        "encoder.0.c": rng.standard_normal(width),
        "encoder.index": rng.integers(width, size=code),
        "decoder.0.s": rng.uniform(0.5, 1.5, code),
        "decoder.0.c": rng.standard_normal(code),
        "decoder.index": rng.integers(code, size=width),
    }
    denoising = {**inputs, "mask": (rng.random(width) >= 0.5) / 0.5}
    about = f"batch {batch}, {width}→{code}→{width}"
    return [
        Case(kind, about, ("gradients",), inputs),
        Case(kind, f"{about}, Dropout first, input_grad False", ("input_grad stop",), denoising),
    ]


def _model(inputs: Arrays) -> tuple[Any, list[Any], Any]:
    """(the student's Autoencoder of grader layers, its two Scale layers, the Dropout or None)."""
    model = student("model")
    Scale, Sin, Spread, Dropout = grader_layers(student("layers").Layer)
    scales = [Scale(inputs[f"{name}.s"], inputs[f"{name}.c"]) for name in SCALES]
    dropout = Dropout(inputs["mask"]) if "mask" in inputs else None
    first = [dropout] if dropout else []
    encoder = model.Sequential([*first, scales[0], Sin(), Spread(inputs["encoder.index"])])
    decoder = model.Sequential([scales[1], Sin(), Spread(inputs["decoder.index"])])
    return model.Autoencoder(encoder, decoder, kernels="textbook"), scales, dropout


def _gradients(scales: list[Any]) -> dict[str, Any]:
    return {f"{name}.{k}": snapshot(layer.grads[k]) for name, layer in zip(SCALES, scales, strict=True) for k in "sc"}


def _compute(inputs: Arrays) -> dict[str, Any]:
    model, scales, dropout = _model(inputs)
    model.forward(inputs["x"].copy())
    for layer in scales:
        for grad in layer.grads.values():
            grad[...] = np.nan  # a gradient the walk never reaches stays NaN
    grad_y = inputs["G"].copy()
    if dropout is not None:
        model.input_grad = False
        returned = model.backward(grad_y)
        flags = {
            "returned None": np.array(returned is None),
            "Dropout got None": np.array(bool(dropout.cache.get("got_none"))),
        }
        return {**_gradients(scales), **flags}
    grad_x = snapshot(model.backward(grad_y))
    out = {**_gradients(scales), "x": grad_x, "grad_y after": grad_y}
    model.backward(inputs["G"].copy())
    return {**out, **{f"{name} again": value for name, value in _gradients(scales).items()}}


def _verdict(case: Case, expected: Arrays, outputs: Outputs) -> Verdicts:
    names = [name for name in expected if f"noise {name}" in expected]
    failures = compare_gradients(
        {name: outputs.get(name) for name in names},
        {name: expected[name] for name in names},
        {name: expected[f"noise {name}"] for name in names},
        counts={"the batch size": float(len(case.inputs["x"]))},
    )
    failed = next((f for f in failures.values() if f is not None), None)
    if "gradients" in case.criteria:
        side_effects = [changed_in_place(case.inputs["G"], outputs.get("grad_y after"))]
        side_effects += [accumulated(name, outputs.get(name), outputs.get(f"{name} again")) for name in names]
        return {"gradients": next((f for f in side_effects if f), None) or failed}
    if outputs.get("Dropout got None"):
        text = (
            "with input_grad False (as fit sets it) the first layer with parameters returns None, and the walk went "
            "on: the Dropout before it got None for dL/dy. Stop the walk when a backward returns None."
        )
        detail = "model.backward passed None on to a layer before the first layer with parameters"
        return {"input_grad stop": Failure(detail, [Hint("input_grad", text)])}
    if not outputs.get("returned None"):
        return {"input_grad stop": Failure("model.backward returned dL/dx with input_grad False, expected None")}
    if failed:
        failed.detail = f"with input_grad False: {failed.detail}"
    return {"input_grad stop": failed}


CHECKS = [Check("model.backward", CRITERIA, _cases, _compute, _verdict)]
