"""Optimizers: SGD (momentum, Nesterov) and Adam (with L2 or decoupled weight decay, i.e. AdamW).

``opt.step(model)`` updates every parameter of ``model`` (any layer) in place from the gradients its last
backward wrote. State lives in ``opt.state[name]``: ``{"m": ..., "v": ...}`` for Adam, ``{"velocity": ...}``
for SGD with momentum, one entry per parameter name of ``model.parameters()``, with Adam's step count in
``opt.t``.

When the model keeps its parameters in one flat buffer (``model.flat``, see ``model.py``), the update runs
once over the whole buffer (a handful of NumPy calls per step instead of a handful per parameter) and
``opt.state[name]`` entries are views into flat state buffers: the numbers are the same either way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .validation import check_bool, check_float, lookup


class Optimizer:
    """Base class: binds to one model on the first step and keeps per-parameter state.

    Subclasses list their state arrays in ``state_names`` and implement ``_update(p, g, state)`` for one
    parameter array ``p``, its gradient ``g`` and its state arrays (all the same shape).
    """

    state_names: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float) -> None:
        where = type(self).__name__
        self.lr = check_float(lr, "lr", where, low=0.0, low_open=True)
        self.weight_decay = check_float(weight_decay, "weight_decay", where, low=0.0)
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._model: Any = None
        self._flat_state: dict[str, np.ndarray] | None = None

    def save(self, path: str | Path) -> Path:
        """Save the hyperparameters and state (m, v, t, …) to one .npz file; see :mod:`autoencoder_np.serialize`.

        ``autoencoder_np.load(path, model=model)`` gives it back, bound to ``model``.
        """
        from . import serialize  # serialize imports this module: import it late

        return serialize.save(self, path)

    def step(self, model: Any) -> None:
        """Update every parameter of ``model`` in place, using the gradients of its last backward."""
        if self._model is None:
            self._bind(model)
        elif model is not self._model:
            raise ValueError(
                f"{type(self).__name__}.step: this optimizer already holds state for another model; "
                "create a new optimizer for each model"
            )
        self._begin_step()
        if self._flat_state is not None:
            self._update(model.flat.params, model.flat.grads, self._flat_state)
            return
        # Read the pairs afresh each step: a layer with plain-dict grads may bind new arrays in backward.
        for name, p, g in model.parameters():
            self._update(p, g, self.state[name])

    def _begin_step(self) -> None:
        """Hook run once per step before the updates (Adam counts t here)."""

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _bind(self, model: Any) -> None:
        """Allocate zero state for every parameter of ``model``: flat buffers when the model has them."""
        if not hasattr(model, "parameters"):
            raise TypeError(f"{type(self).__name__}.step: expected a layer or model, got {type(model).__name__}")
        named = model.parameters()
        flat = getattr(model, "flat", None)
        if flat is not None:
            self._flat_state = {k: np.zeros_like(flat.params) for k in self.state_names}
            self.state = {
                name: {k: flat.view(self._flat_state[k], name) for k in self.state_names} for name, _, _ in named
            }
        else:
            self.state = {name: {k: np.zeros_like(p) for k in self.state_names} for name, p, _ in named}
        self._model = model


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and L2 weight decay.

    With g ← g + λ·p (weight_decay λ), velocity u and momentum μ (PyTorch's convention, no dampening)::

        plain:     p ← p − lr · g
        momentum:  u ← μ·u + g;     p ← p − lr · u
        Nesterov:  u ← μ·u + g;     p ← p − lr · (g + μ·u)

    Args:
        lr: learning rate > 0.
        momentum: μ in [0, 1).
        nesterov: use the Nesterov look-ahead (needs momentum > 0).
        weight_decay: λ ≥ 0, added to the gradient as λ·p (L2 regularization).
    """

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.momentum = check_float(momentum, "momentum", "SGD", low=0.0, high=1.0, high_open=True)
        self.nesterov = check_bool(nesterov, "nesterov", "SGD")
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum=0")
        self.state_names = ("velocity",) if self.momentum > 0 else ()

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, weight_decay={self.weight_decay})"
        )

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            u = state["velocity"]
            u *= self.momentum
            u += g  # u ← μ·u + g
            g = g + self.momentum * u if self.nesterov else u
        p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1), with bias correction, and AdamW when ``decoupled=True``.

    At step t (starting at 1), for each parameter p with gradient g::

        g ← g + λ·p                              (L2 weight decay; only when decoupled=False)
        m ← β1·m + (1 − β1)·g                    first moment
        v ← β2·v + (1 − β2)·g²                   second moment
        m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t) bias correction: m and v start at 0
        p ← p − lr · m̂ / (√v̂ + ε)                ε added after the square root
        p ← p − lr·λ·p                           (decoupled weight decay, AdamW; before the Adam step)

    Args:
        lr: learning rate > 0.
        beta1, beta2: decay rates in [0, 1).
        eps: ε > 0.
        weight_decay: λ ≥ 0.
        decoupled: False = L2 penalty through the gradient (classic Adam); True = AdamW (Loshchilov &
            Hutter 2019), which shrinks p directly, as ``torch.optim.AdamW`` does: p ← p·(1 − lr·λ).
    """

    state_names = ("m", "v")

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
    ) -> None:
        super().__init__(lr, weight_decay)
        self.beta1 = check_float(beta1, "beta1", "Adam", low=0.0, high=1.0, high_open=True)
        self.beta2 = check_float(beta2, "beta2", "Adam", low=0.0, high=1.0, high_open=True)
        self.eps = check_float(eps, "eps", "Adam", low=0.0, low_open=True)
        self.decoupled = check_bool(decoupled, "decoupled", "Adam")
        self.t = 0

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps}, "
            f"weight_decay={self.weight_decay}, decoupled={self.decoupled})"
        )

    def _begin_step(self) -> None:
        self.t += 1

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        m, v = state["m"], state["v"]
        b1, b2, t = self.beta1, self.beta2, self.t
        # BEGIN SOLUTION adam.step
        # HINT: follow the docstring line by line; the bias corrections use β^t, not β.
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * p
        m *= b1
        m += (1.0 - b1) * g  # m ← β1·m + (1 − β1)·g
        v *= b2
        v += (1.0 - b2) * (g * g)  # v ← β2·v + (1 − β2)·g²
        m_hat = m / (1.0 - b1**t)
        v_hat = v / (1.0 - b2**t)
        if self.weight_decay and self.decoupled:
            p *= 1.0 - self.lr * self.weight_decay
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        # END SOLUTION


OPTIMIZERS: dict[str, Callable[[], Optimizer]] = {"sgd": functools.partial(SGD, lr=0.01), "adam": Adam}


def get(optimizer: str | Optimizer) -> Optimizer:
    """An optimizer by name with its default settings (``"adam"``; ``"sgd"`` uses lr=0.01), or an instance."""
    return lookup(optimizer, OPTIMIZERS, Optimizer, "optimizer")
