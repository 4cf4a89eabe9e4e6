"""Optimizers: SGD (momentum, Nesterov) and Adam (with L2 or decoupled weight decay, i.e. AdamW).

``opt.step(model)`` updates every parameter of ``model`` (any layer) in place from the gradients its last
backward wrote. The update equations live in ``autoencoder_np.textbook.optimizers`` (``sgd_step``,
``adam_step``); their in-place, chunked twins in ``autoencoder_np.fast.optimizers``. Which set runs follows the
model (``model.kernels``). State lives in ``opt.state[name]``: ``{"m": ..., "v": ...}`` for Adam,
``{"velocity": ...}`` for SGD with momentum, one entry per parameter name of ``model.parameters()``, with
Adam's step count in ``opt.t``.

An optimizer serves one model. The first step binds it (:meth:`Optimizer.bind`): it allocates zero state for
every parameter, as flat buffers laid out like the model's own (``model.flat``) when the model has them.
Every later step checks the binding: another model is refused; a model whose buffers changed since (its
layers went into a bigger model, say) is bound again, its state carried over by parameter name.

For ``fit``'s divergence protection (``guard.py``) the public interface is :meth:`bind`, :meth:`update` (one
step on a binding), :meth:`bounds_after_step`, :meth:`state_norms` and ``Binding.arrays``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import fast, textbook
from . import kernels as kernel_sets
from .fast.flat import FlatParameters
from .validation import check_bool, check_float, lookup

l2_norm = fast.l2_norm  # kept here for code written for 0.1


class Binding:
    """What an optimizer steps: one model's parameters and gradients, and the optimizer's state for them.

    ``state[name][key]``: one array per parameter and state name (views of ``flat_state[key]`` when the model
    keeps a flat buffer, ``flat``).
    """

    def __init__(self, model: Any, state_names: tuple[str, ...], carried: Binding | None) -> None:
        if not hasattr(model, "parameters"):
            raise TypeError(f"expected a layer or model, got {type(model).__name__}")
        self.model = model
        flat = getattr(model, "flat", None)
        self.flat: FlatParameters | None = flat if isinstance(flat, FlatParameters) else None
        named = model.parameters()
        self.names = [name for name, _, _ in named]
        if self.flat is not None:
            self.flat_state = {key: np.zeros_like(self.flat.params) for key in state_names}
            self.state = {name: {k: self.flat.view(s, name) for k, s in self.flat_state.items()} for name in self.names}
        else:
            self.flat_state = {}
            self.state = {name: {key: np.zeros_like(p) for key in state_names} for name, p, _ in named}
        # Scratch for the fast updates: one array per parameter, or one chunk's worth for the flat buffer.
        self.work = {name: np.empty_like(p) for name, p, _ in named} if self.flat is None else {}
        self.cuts = [] if self.flat is None else fast.chunks(self.flat.params.size, self.flat.params.itemsize)
        self.flat_work = None if self.flat is None else np.empty(self.cuts[0].stop, self.flat.params.dtype)
        if carried is not None:
            self._carry(carried)

    def current(self) -> bool:
        """Whether the model still keeps its parameters where this binding found them."""
        flat = getattr(self.model, "flat", None)
        if self.flat is not None:
            return flat is self.flat
        return not isinstance(flat, FlatParameters) and [n for n, _, _ in self.model.parameters()] == self.names

    def arrays(self) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """(parameters, gradients, state): the arrays a step reads and writes, whole buffers where flat."""
        if self.flat is not None:
            return [self.flat.params], [self.flat.grads], list(self.flat_state.values())
        named = self.model.parameters()
        state = [a for entry in self.state.values() for a in entry.values()]
        return [p for _, p, _ in named], [g for _, _, g in named], state

    def _carry(self, old: Binding) -> None:
        """Copy the state of ``old`` into this binding, parameter by parameter (the names and shapes must match)."""
        if self.names != old.names:
            raise ValueError(
                f"the parameters of {type(self.model).__name__} changed since this optimizer's first step "
                f"(were {old.names}, are {self.names}); create a new optimizer"
            )
        for name, entry in self.state.items():
            for key, array in entry.items():
                array[...] = old.state[name][key]


class Optimizer:
    """Base class: binds to one model on the first step and keeps per-parameter state.

    Subclasses list their state arrays in ``state_names`` and implement ``_textbook_update`` (one parameter,
    with the textbook kernel) and ``_fast_update`` (in place, with the fast kernel, on a parameter or a chunk
    of the flat buffer).
    """

    state_names: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float) -> None:
        where = type(self).__name__
        self.lr = check_float(lr, "lr", where, low=0.0, low_open=True)
        self.weight_decay = check_float(weight_decay, "weight_decay", where, low=0.0)
        self._binding: Binding | None = None

    @property
    def state(self) -> dict[str, dict[str, np.ndarray]]:
        """``state[name][key]``: the state arrays per parameter name ({} before the first step)."""
        return {} if self._binding is None else self._binding.state

    @property
    def model(self) -> Any:
        """The model this optimizer is bound to, or None before its first step."""
        return None if self._binding is None else self._binding.model

    def save(self, path: str | Path) -> Path:
        """Deprecated: use ``autoencoder_np.save(optimizer, path)``, which this calls."""
        from .serialize import deprecated_save  # the file format is not part of the optimizers

        return deprecated_save(self, path)

    def step(self, model: Any) -> None:
        """Update every parameter of ``model`` in place, using the gradients of its last backward."""
        self.update(self.bind(model))

    def bind(self, model: Any) -> Binding:
        """The binding to ``model``: made at the first call, checked (and made again if stale) at every other.

        Before returning it makes the model's flat buffers hold what its layers wrote (``FlatParameters.sync``).
        """
        flat = getattr(model, "flat", None)
        if isinstance(flat, FlatParameters):
            flat.sync()
        binding = self._binding
        if binding is None:
            binding = self._binding = Binding(model, self.state_names, None)
        elif model is not binding.model:
            raise ValueError(
                f"{type(self).__name__}.step: this optimizer already holds state for another model; "
                "create a new optimizer for each model"
            )
        elif not binding.current():  # the model's buffers changed: bind again, keeping the state
            binding = self._binding = Binding(model, self.state_names, binding)
        return binding

    def update(self, binding: Binding) -> None:
        """One step on ``binding`` (from :meth:`bind`): the fast kernels on the flat buffer when the model has
        one and runs the fast set, else one parameter at a time."""
        self._begin_step()
        model = binding.model
        textbook_set = getattr(model, "kernels", kernel_sets.DEFAULT) == "textbook"
        if binding.flat is not None and not textbook_set:
            self._fast_flat(binding)
            return
        for name, p, g in model.parameters():  # read afresh: a layer may bind new arrays in backward
            if textbook_set:
                self._textbook_update(p, g, binding.state[name])
            else:
                self._fast_update(p, g, binding.state[name], binding.work[name])

    def _fast_flat(self, binding: Binding) -> None:
        """The fast update over the whole flat buffers, chunk by chunk (``fast.chunks``), one scratch array."""
        p, g, state, work = binding.flat.params, binding.flat.grads, binding.flat_state, binding.flat_work
        if len(binding.cuts) == 1:  # the founding example's 115 parameters: no slicing
            self._fast_update(p, g, state, work)
            return
        for c in binding.cuts:
            self._fast_update(p[c], g[c], {k: s[c] for k, s in state.items()}, work[: c.stop - c.start])

    def bounds_after_step(self, grad_bound: float, bounds: dict[str, float]) -> dict[str, float]:
        """Bounds on |value| after the next step, from bounds before it: what ``fit`` checks against overflow.

        Args:
            grad_bound: G ≥ |g_i| for every gradient entry (``fit`` passes ‖g‖₂).
            bounds: ``{"params": P, name: S, ...}`` with P ≥ |p_i| for every parameter entry and S ≥ |s_i| for
                every entry of each state array in ``state_names`` (0 before the first step).

        Returns the same keys, each bounding that array after the step, plus ``"scratch"``, bounding every
        intermediate value the step computes. ``fit`` carries these from step to step (measuring the real norms
        only at the start, after callbacks, and when the carried bounds grow too large), and takes no undo copy
        of a step whose bounds lie far below the dtype's largest number: such a step cannot overflow. The
        default promises nothing (math.inf everywhere).
        """
        return dict.fromkeys(("params", *self.state_names, "scratch"), math.inf)

    def state_norms(self) -> dict[str, float]:
        """‖s‖₂ of each state array in ``state_names``, over every parameter; 0 before the first step."""
        binding = self._binding
        if binding is not None and binding.flat is not None:
            return {name: fast.l2_norm([a]) for name, a in binding.flat_state.items()}
        return {name: fast.l2_norm([s[name] for s in self.state.values()]) for name in self.state_names}

    def _begin_step(self) -> None:
        """Hook run once per step before the updates (Adam counts t here)."""

    def _textbook_update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _fast_update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: np.ndarray) -> None:
        raise NotImplementedError


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

    def _hyperparameters(self) -> dict[str, Any]:
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov, "weight_decay": self.weight_decay}

    def _textbook_update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        """textbook.sgd_step, its results written back into p and u (the model's and the state's arrays)."""
        new_p, new_velocity = textbook.sgd_step(p, g, state.get("velocity"), **self._hyperparameters())
        p[...] = new_p
        if "velocity" in state:
            state["velocity"][...] = new_velocity

    def _fast_update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: np.ndarray) -> None:
        fast.sgd_update(p, g, state.get("velocity"), work, **self._hyperparameters())

    def bounds_after_step(self, grad_bound: float, bounds: dict[str, float]) -> dict[str, float]:
        """|g + λp| ≤ G = G₀ + λP;  |μu + g| ≤ U = μ·U₀ + G;  the step is at most lr·G, lr·U or lr·(G + μU)."""
        g = grad_bound + self.weight_decay * bounds["params"]
        if not self.momentum:
            return {"params": bounds["params"] + self.lr * g, "scratch": max(g, self.lr * g)}
        u = self.momentum * bounds["velocity"] + g
        look_ahead = g + self.momentum * u if self.nesterov else u
        step = self.lr * look_ahead
        return {"params": bounds["params"] + step, "velocity": u, "scratch": max(g, look_ahead, step)}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1), with bias correction, and AdamW when ``decoupled=True``.

    At step t (starting at 1), for each parameter p with gradient g::

        g ← g + λ·p                              (L2 weight decay; only when decoupled=False)
        m ← β1·m + (1 − β1)·g                    first moment
        v ← β2·v + (1 − β2)·g²                   second moment
        m̂ = m / (1 − β1^t),   v̂ = v / (1 − β2^t) bias correction: m and v start at 0
        p ← p − lr · m̂ / (√v̂ + ε)                ε added after the square root
        p ← p·(1 − lr·λ)                         (decoupled weight decay, AdamW; before the Adam step)

    ``textbook.adam_step`` is these lines; ``fast.adam_update`` runs them in place.

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

    def _hyperparameters(self) -> dict[str, Any]:
        return {
            "lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps,
            "weight_decay": self.weight_decay, "decoupled": self.decoupled,
        }  # fmt: skip

    def _textbook_update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        """textbook.adam_step, its results written back into p, m and v (the model's and the state's arrays)."""
        m, v = state["m"], state["v"]
        new_p, new_m, new_v = textbook.adam_step(p, g, m, v, self.t, **self._hyperparameters())
        p[...] = new_p
        m[...] = new_m
        v[...] = new_v

    def _fast_update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: np.ndarray) -> None:
        fast.adam_update(p, g, state["m"], state["v"], work, self.t, **self._hyperparameters())

    def bounds_after_step(self, grad_bound: float, bounds: dict[str, float]) -> dict[str, float]:
        """How far the next step can move a parameter, from the shape of Adam's update alone.

        m and v are running means of g and g² (|g| ≤ G = G₀ + λP), so the new |m| ≤ max(M, G) and v ≤ max(V, G²):
        they stay finite while G² is. By Cauchy–Schwarz over the past gradients, |m| ≤ c·√v with
        c = (1 − β1) / √(1 − β2) / √(1 − β1²/β2) (for β1² < β2), so the step lr·m̂ / (√v̂ + ε) is at most
        lr·c·√(1 − β2^t) / (1 − β1^t), whatever the gradients (Kingma & Ba 2015, section 2.1: the step is
        bounded by about lr).
        """
        b1, b2, t = self.beta1, self.beta2, self.t + 1
        if b1 * b1 >= b2:
            return super().bounds_after_step(grad_bound, bounds)
        P = bounds["params"]
        g = grad_bound + (0.0 if self.decoupled else self.weight_decay * P)
        c = (1.0 - b1) / math.sqrt(1.0 - b2) / math.sqrt(1.0 - b1 * b1 / b2)
        step = self.lr * c * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        shrunk = P * abs(1.0 - self.lr * self.weight_decay) if self.decoupled else P
        m, v = max(bounds["m"], g), max(bounds["v"], g * g)
        scratch = max(g, g * g, math.sqrt(v) + self.eps, c, step)  # (1 − β1)g, g², √v + ε, m / (√v + ε), the step
        return {"params": max(P, shrunk) + step, "m": m, "v": v, "scratch": scratch}


OPTIMIZERS: dict[str, Callable[[], Optimizer]] = {"sgd": functools.partial(SGD, lr=0.01), "adam": Adam}


def get(optimizer: str | Optimizer) -> Optimizer:
    """An optimizer by name with its default settings (``"adam"``; ``"sgd"`` uses lr=0.01), or an instance."""
    return lookup(optimizer, OPTIMIZERS, Optimizer, "optimizer")
