"""Divergence protection for ``fit``: an overflow, a NaN or an inf stops training with a clear error, and the
model and its optimizer are left exactly as after the last finite step, never half-updated.

``fit`` runs each step as the textbook does (``textbook.train_step``) with this guard between the lines::

    with guard.passes():                         NumPy raises on overflow, inf − inf, 0·inf, division by 0
        pred = model.forward(x)
        L = loss.forward(pred, y, mask) + model.aux_loss()
        guard.check_loss(L)                      a NaN or inf loss stops before backward
        model.backward(loss.backward())
    guard.step(model)                            optimizer.step(model), undone if it goes non-finite

The forward and backward passes write no parameter, so stopping there leaves the model as it was. The update
does: before it, the optimizer bounds every value it will write (``Optimizer.bounds_after_step``) from a bound
on |g| (‖g‖₂, one BLAS dot) and bounds on |p| and its state carried over from the last step (:class:`WriteBounds`;
the real norms are measured at the first step, after callbacks, and whenever the carried bounds grow too
large). A step whose bounds lie far below the dtype's largest number cannot overflow and runs as it is. Any
other step first copies what it writes (:class:`Undo`), so it can be undone exactly. Adam's step is bounded by
about lr whatever the gradients, so an Adam step is copied only when a gradient, a weight or a moment itself
comes near the largest number (g² must stay below it, as v holds it). A Ctrl-C inside an uncopied step may
leave that step partly applied (every value stays finite).

The guard uses only the optimizers' public interface: ``bind``, ``update``, ``bounds_after_step``,
``state_norms``, ``Binding.arrays`` and Adam's step count ``t``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .fast import l2_norm
from .validation import all_finite


class TrainingDiverged(FloatingPointError):
    """The loss, a gradient or a parameter became NaN or inf during ``fit``."""


_UNDONE = (
    "which was undone: parameters and optimizer state are as after the last finite step. "
    "Lower the learning rate and fit again."
)


class Undo:
    """A copy of everything an optimizer step writes (parameters, optimizer state, Adam's t), taken before a
    step that might overflow, so that the step can be undone exactly.

    The copy buffers are allocated at the first such step (most runs never need them); each copy costs one
    pass over the parameters and over each state buffer.
    """

    def __init__(self) -> None:
        self.pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self.t: int | None = None

    def save(self, binding: Any, optimizer: Any) -> None:
        params, _, state = binding.arrays()
        live = [*params, *state]
        if len(self.pairs) != len(live) or any(a is not b for a, (b, _) in zip(live, self.pairs, strict=False)):
            self.pairs = [(array, np.empty_like(array)) for array in live]
        for array, copy in self.pairs:
            np.copyto(copy, array)
        self.t = getattr(optimizer, "t", None)

    def restore(self, optimizer: Any) -> None:
        for array, copy in self.pairs:
            np.copyto(array, copy)
        if self.t is not None:
            optimizer.t = self.t


class WriteBounds:
    """Bounds on |value| of the parameters and of the optimizer state, carried from step to step.

    ``after_step(grad_norm)`` asks the optimizer (``Optimizer.bounds_after_step``) what the next step can write,
    starting from the bounds the last step left; they only grow, so when they cannot prove a step safe the real
    norms are measured (one BLAS dot per buffer) and asked again. ``values = None`` makes the next step measure:
    ``fit`` sets it after the callbacks of each epoch (they may change the weights) and after a copied step.
    """

    #: The bounds must lie this far below the dtype's largest number: room for rounding in norms, bounds and step.
    MARGIN = 2.0**-16

    def __init__(self, optimizer: Any, dtype: np.dtype | None) -> None:
        self.optimizer = optimizer
        self.values: dict[str, float] | None = None
        self.limit = float(np.finfo(dtype or np.float64).max) * self.MARGIN

    def measure(self, params: list[np.ndarray]) -> dict[str, float]:
        """Bounds from the real norms: ‖p‖₂ ≥ every |p_i|, and likewise for each state array."""
        self.values = {"params": l2_norm(params), **self.optimizer.state_norms()}
        return self.values

    def after_step(self, grad_norm: float, params: list[np.ndarray]) -> dict[str, float] | None:
        """The bounds after the next step if they prove it cannot overflow, else None (the step must be copied)."""
        carried = self.values is not None
        before = self.values if self.values is not None else self.measure(params)
        bounds = self._safe(self.optimizer.bounds_after_step(grad_norm, before))
        if bounds is None and carried:  # carried bounds only grow: the real norms may still clear the limit
            bounds = self._safe(self.optimizer.bounds_after_step(grad_norm, self.measure(params)))
        return bounds

    def _safe(self, bounds: dict[str, float]) -> dict[str, float] | None:
        """``bounds`` if every one lies below the limit, else None."""
        return bounds if max(bounds.values()) < self.limit else None


def _nonfinite(model: Any, arrays: list[np.ndarray], which: int) -> str | None:
    """The name of the first parameter (which=1) or gradient (which=2) holding NaN/inf, or None."""
    if all(all_finite(a) for a in arrays):
        return None
    return next((entry[0] for entry in model.parameters() if not all_finite(entry[which])), None)


class _Passes:
    """The forward and backward passes of a step: a floating-point error there becomes TrainingDiverged."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, err: Any, traceback: Any) -> None:
        if kind is not None and issubclass(kind, FloatingPointError) and not issubclass(kind, TrainingDiverged):
            raise TrainingDiverged(
                f"{err} in the forward or backward pass; parameters were not updated. "
                "Lower the learning rate or check the scale of the data."
            ) from None


class Guard:
    """Divergence protection for one ``fit`` of ``model`` with ``optimizer`` (see the module docstring)."""

    def __init__(self, model: Any, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.bounds = WriteBounds(optimizer, model.dtype)
        self.undo = Undo()
        self._passes = _Passes()

    def passes(self) -> _Passes:
        """The context of a step's forward and backward passes."""
        return self._passes

    @staticmethod
    def check_loss(value: float) -> None:
        if not math.isfinite(value):
            raise TrainingDiverged(f"the loss is {value}. Lower the learning rate or check the data.")

    def remeasure(self) -> None:
        """Measure the real norms at the next step (the weights may have changed outside the steps)."""
        self.bounds.values = None

    def step(self, model: Any) -> None:
        """``optimizer.step(model)``, refused before anything is written if a gradient is NaN or inf, and undone
        exactly if a parameter becomes NaN or inf or NumPy reports an overflow."""
        optimizer = self.optimizer
        binding = optimizer.bind(model)
        params, grads, _ = binding.arrays()
        grad_norm = l2_norm(grads)  # NaN or inf when a gradient is
        if not math.isfinite(grad_norm):
            bad = _nonfinite(model, grads, which=2)
            if bad is not None:
                raise TrainingDiverged(f"the gradient of {bad} holds NaN or inf; parameters were not updated.")
        after = self.bounds.after_step(grad_norm, params) if math.isfinite(grad_norm) else None
        if after is not None:
            optimizer.update(binding)  # every value it writes is bounded far below overflow: nothing to undo
            self.bounds.values = after
            return
        self.bounds.values = None  # measure again after this step
        self.undo.save(binding, optimizer)
        try:
            optimizer.update(binding)
        except BaseException as err:  # an overflow, or Ctrl-C in the middle of a per-parameter update
            self.undo.restore(optimizer)
            if isinstance(err, FloatingPointError):
                raise TrainingDiverged(f"{err} in the update, {_UNDONE}") from None
            raise
        bad = _nonfinite(model, binding.arrays()[0], which=1)
        if bad is not None:
            self.undo.restore(optimizer)
            raise TrainingDiverged(f"parameter {bad} became NaN or inf in the update, {_UNDONE}")
