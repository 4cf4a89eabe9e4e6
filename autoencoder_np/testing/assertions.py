"""Assertions for a test suite: the gradient checker's verdict as an AssertionError, silent when it passes.

Each ``assert_*_gradients`` runs the matching check with the same defaults (tolerances, methods, kink
handling) and raises ``AssertionError`` whose message is the report: the summary, one row per gradient,
the diagnosis hints with their codes, the notes. The error's ``report`` attribute holds the report. A
model that fails is also checked layer by layer, and the message names the first failing layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..gradcheck import (
    DEFAULT_RTOL,
    GradCheckReport,
    check_function,
    check_layer,
    check_loss,
    check_model,
    check_model_layers,
)


def _verdict(report: GradCheckReport, *extra: str) -> GradCheckReport:
    """``report`` when it passed, else an AssertionError carrying it."""
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    if report.passed:
        return report
    error = AssertionError("\n".join([str(report), *extra]))
    error.report = report  # type: ignore[attr-defined]
    raise error


def assert_layer_gradients(layer: Any, x: np.ndarray, **settings: Any) -> GradCheckReport:
    """Assert that ``layer.backward`` is the derivative of ``layer.forward`` at x, for x and every parameter.

    x: (batch, ...) an input; settings: those of :func:`~autoencoder_np.gradcheck.check_layer` (grad_y,
    eps, rtol, atol, seed, method, large). Returns the report when every row passes.
    """
    __tracebackhide__ = True
    return _verdict(check_layer(layer, x, **settings))


def assert_loss_gradients(
    loss: Any, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None, **settings: Any
) -> GradCheckReport:
    """Assert that ``loss.backward()`` is the derivative of ``loss.forward(pred, target, mask)`` in pred.

    pred, target, mask: same shape, e.g. (batch, features); settings as in
    :func:`~autoencoder_np.gradcheck.check_loss`.
    """
    __tracebackhide__ = True
    return _verdict(check_loss(loss, pred, target, mask, **settings))


def assert_model_gradients(
    model: Any,
    x: np.ndarray,
    loss: Any,
    target: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    **settings: Any,
) -> GradCheckReport:
    """Assert that a model's backward with its loss is the derivative of L = loss(model(x), target, mask).

    target defaults to x (an autoencoder). On failure the message adds the layer-by-layer check, which
    names the first failing layer. settings as in :func:`~autoencoder_np.gradcheck.check_model`.
    """
    __tracebackhide__ = True
    report = check_model(model, x, loss, target, mask, **settings)
    if report.passed:
        return report
    return _verdict(report, "", str(check_model_layers(model, x, **settings)))


def assert_function_gradients(
    forward: Callable[..., Any], backward: Callable[..., Any], *inputs: Any, **settings: Any
) -> GradCheckReport:
    """Assert that ``backward`` is the derivative of ``forward`` (a pair of plain functions).

    ``forward(*inputs) -> (out, cache)``; ``backward(grad_out, cache)`` (or ``backward(cache)`` for a scalar
    out) returns the gradients of the inputs in ``wrt``; settings as in
    :func:`~autoencoder_np.gradcheck.check_function` (wrt, grad_out, kinks, eps, rtol, …).
    """
    __tracebackhide__ = True
    return _verdict(check_function(forward, backward, *inputs, **settings))


@dataclass
class GradCheck:
    """The assertions with settings fixed once (what the pytest fixture ``gradcheck`` gives).

    ``gradcheck.layer(layer, x)``, ``gradcheck.loss(loss, pred, target)``, ``gradcheck.model(model, x,
    loss)``, ``gradcheck.function(forward, backward, *inputs)``; keyword arguments override the settings.
    """

    method: str = "central"
    rtol: float = DEFAULT_RTOL

    def _settings(self, given: dict[str, Any]) -> dict[str, Any]:
        return {"method": self.method, "rtol": self.rtol, **given}

    def layer(self, layer: Any, x: np.ndarray, **settings: Any) -> GradCheckReport:
        __tracebackhide__ = True
        return assert_layer_gradients(layer, x, **self._settings(settings))

    def loss(
        self, loss: Any, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None, **settings: Any
    ) -> GradCheckReport:
        __tracebackhide__ = True
        return assert_loss_gradients(loss, pred, target, mask, **self._settings(settings))

    def model(self, model: Any, x: np.ndarray, loss: Any, **settings: Any) -> GradCheckReport:
        __tracebackhide__ = True
        return assert_model_gradients(model, x, loss, **self._settings(settings))

    def function(
        self, forward: Callable[..., Any], backward: Callable[..., Any], *inputs: Any, **settings: Any
    ) -> GradCheckReport:
        __tracebackhide__ = True
        return assert_function_gradients(forward, backward, *inputs, **self._settings(settings))
