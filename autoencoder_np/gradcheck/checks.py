"""The checks of layers, losses and models: is each backward pass the derivative of its forward pass?

A layer is checked through a scalar made with a random upstream gradient G (a vector-Jacobian product, so
off-diagonal mistakes cannot cancel out)::

    L(x, θ) = Σ G ⊙ layer.forward(x)   ⇒   backward(G) must return dL/dx and fill dL/dθ.

A loss is checked in its prediction, a model with its loss end to end, and a model layer by layer (each
leaf on the input it receives, with its own G) to find the first wrong backward. Checks run in float64: a
float32 layer is copied to float64 for the check (``report.upcast`` says so).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..validation import as_array, overflow_as_error, require_layer
from .diagnosis import Context
from .engine import (
    DEFAULT_ATOL,
    DEFAULT_LARGE,
    DEFAULT_RTOL,
    INPUT,
    Evaluator,
    Problem,
    run,
    settings_for,
)
from .report import GradCheckReport, LayerwiseReport
from .subjects import copy_as, float64, kink_probe, named_leaves, noise_freezer


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
) -> Problem:  # fmt: skip
    """A problem whose scalar is ``output_loss(layer, x) + aux``, for a layer check or a model check.

    ``backward()`` runs after one forward and returns dL/dx; the grads are read from ``layer.grads``.
    """
    reset_noise = noise_freezer(layer)
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
        reset_twin = noise_freezer(twin)
        aux_twin = getattr(twin, "aux_loss", lambda: 0.0)
        x_twin = x.astype(np.complex128)

        def loss_twin() -> Any:
            reset_twin()
            return output_loss(twin, x_twin) + aux_twin()

        return loss_twin, {**dict(twin.params), INPUT: x_twin}

    return Problem(
        subject, loss, {**params, INPUT: x}, analytic, scale, kink_probe(layer), context, complex_twin, upcast
    )


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
        rtol, atol: an entry passes when |a − n| ≤ rtol · max(|a|, |n|), or when |a − n| ≤ max(atol, the
            rounding noise of the finite difference) (see ``engine``).
        seed: seeds the random G and the sampling of large tensors.
        method: "central", "richardson" or "complex-step".
        large: tensors with more entries are sampled first (None: always every entry).

    The scalar is L = Σ G ⊙ forward(x) (+ the layer's auxiliary loss); noise layers draw the same noise at
    every evaluation. ``layer``'s parameters are restored afterwards; its grads hold the analytic gradient.
    """
    where = "check_layer"
    require_layer(layer, where)
    settings = settings_for(method, eps, rtol, atol, large, seed, where)
    x = _input_array(x, "x", where)
    G_given = None if grad_y is None else _input_array(grad_y, "grad_y", where)
    with overflow_as_error(where):
        layer, upcast = float64(layer)
        y = np.asarray(layer.forward(x))
        G = np.random.default_rng(seed).standard_normal(y.shape) if G_given is None else G_given
        if G.shape != y.shape:
            raise ValueError(f"{where}: grad_y has shape {G.shape}, expected the output shape {y.shape}")
        context = Context({"the batch size": float(x.shape[0])}, G, dict(layer.params))

        def output_loss(target: Any, x_: np.ndarray) -> Any:
            return np.sum(target.forward(x_) * G)

        problem = _layer_problem(
            repr(layer), layer, x, output_loss, lambda: layer.backward(G),
            lambda: float(np.sum(np.abs(G * layer.forward(x)))), context, upcast,
        )  # fmt: skip
        return run(problem, settings)


def _loss_counts(pred: np.ndarray, mask: np.ndarray | None) -> dict[str, float]:
    """The normalizers a loss's mean may divide by."""
    counts = {"the batch size": float(pred.shape[0]), "the number of entries": float(pred.size)}
    if mask is not None:
        counts["Σ mask (the observed entries)"] = float(mask.sum())
    return counts


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
    where = "check_loss"
    _require_loss(loss, where)
    settings = settings_for(method, eps, rtol, atol, large, seed, where)
    pred = _input_array(pred, "pred", where)
    target, mask = _target_and_mask(target, mask, where)
    with overflow_as_error(where):
        value = loss.forward(pred, target, mask)
        analytic = np.array(loss.backward(), dtype=np.float64)

        def complex_twin() -> tuple[Evaluator, dict[str, np.ndarray]]:
            pred_twin = pred.astype(np.complex128)
            return (lambda: loss.forward(pred_twin, target, mask)), {"pred": pred_twin}

        problem = Problem(
            repr(loss) + (" with mask" if mask is not None else ""),
            lambda: loss.forward(pred, target, mask), {"pred": pred}, {"pred": analytic}, abs(value), None,
            Context(_loss_counts(pred, mask)), complex_twin,
        )  # fmt: skip
        return run(problem, settings)


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
    where = "check_model"
    require_layer(model, where)
    _require_loss(loss, where)
    settings = settings_for(method, eps, rtol, atol, large, seed, where)
    x = _input_array(x, "x", where)
    target, mask = _target_and_mask(x.copy() if target is None else target, mask, where)
    with overflow_as_error(where):
        model, upcast = float64(model)

        def output_loss(m: Any, x_: np.ndarray) -> Any:
            return loss.forward(m.forward(x_), target, mask)

        def output_scale() -> float:
            pred = model.forward(x)
            loss.forward(pred, target, mask)
            return float(np.sum(np.abs(loss.backward() * pred)))

        pred = model.forward(x)
        problem = _layer_problem(
            f"{model!r} with {loss!r}", model, x, output_loss, lambda: model.backward(loss.backward()),
            output_scale, Context(_loss_counts(np.asarray(pred), mask)), upcast,
        )  # fmt: skip
        return run(problem, settings)


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
    where = "check_model_layers"
    require_layer(model, where)
    x = _input_array(x, "x", where)
    with overflow_as_error(where):
        model, upcast = float64(model)
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
