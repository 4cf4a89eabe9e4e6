"""Optimizers: SGD (momentum, Nesterov) and Adam (with L2 or decoupled weight decay, i.e. AdamW).

``opt.step(model)`` updates every parameter of ``model`` (any layer) in place from the gradients its last
backward wrote. State lives in ``opt.state[name]``: ``{"m": ..., "v": ...}`` for Adam, ``{"velocity": ...}``
for SGD with momentum, one entry per parameter name of ``model.parameters()``, with Adam's step count in
``opt.t``.

When the model keeps its parameters in one flat buffer (``model.flat``, see ``model.py``), the update runs
once over the whole buffer (a handful of NumPy calls per step instead of a handful per parameter) and
``opt.state[name]`` entries are views into flat state buffers: the numbers are the same either way.

Updates run in place on preallocated arrays (each in-place line has its plain form in a comment), so a step
allocates nothing. On the flat buffer the update runs chunk by chunk: each chunk's handful of passes then
stays in the CPU cache, and memory sees each of p, g, m and v read and written about once per step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .validation import check_bool, check_float, lookup

#: Bytes per array in one chunk of a flat update: p, g, the state and the scratch (5 arrays for Adam, 1.25 MiB)
#: stay in the CPU's L2/L3 cache between passes. Smaller chunks pay Python's per-call cost; larger ones spill.
CHUNK_BYTES = 256 * 1024


class Optimizer:
    """Base class: binds to one model on the first step and keeps per-parameter state.

    Subclasses list their state arrays in ``state_names`` and implement ``_update(p, g, state, work)`` for
    one parameter array ``p``, its gradient ``g``, its state arrays and a scratch array ``work`` (all the same
    shape; ``work`` holds nothing between steps).
    """

    state_names: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float) -> None:
        where = type(self).__name__
        self.lr = check_float(lr, "lr", where, low=0.0, low_open=True)
        self.weight_decay = check_float(weight_decay, "weight_decay", where, low=0.0)
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self._model: Any = None
        self._flat_state: dict[str, np.ndarray] | None = None  # flat models: the whole state buffers
        self._work: dict[str, np.ndarray] = {}  # scratch per parameter name (non-flat models)
        self._chunks: list[Chunk] = []  # flat models: the buffers cut into cache-sized views

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
        if self._chunks:
            for p, g, state, work in self._chunks:
                self._update(p, g, state, work)
            return
        # Read the pairs afresh each step: a layer with plain-dict grads may bind new arrays in backward.
        for name, p, g in model.parameters():
            self._update(p, g, self.state[name], self._work[name])

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
        if self._flat_state:
            return {name: l2_norm([a]) for name, a in self._flat_state.items()}
        return {name: l2_norm([s[name] for s in self.state.values()]) for name in self.state_names}

    def _begin_step(self) -> None:
        """Hook run once per step before the updates (Adam counts t here)."""

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: np.ndarray) -> None:
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
            self._chunks = _chunked(flat.params, flat.grads, self._flat_state)
        else:
            self.state = {name: {k: np.zeros_like(p) for k in self.state_names} for name, p, _ in named}
            self._work = {name: np.empty_like(p) for name, p, _ in named}
        self._model = model


Chunk = tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]  # (p, g, state, work) views


def l2_norm(arrays: Sequence[np.ndarray]) -> float:
    """√(Σ a_i²) over all entries of all arrays: one BLAS dot per array, no temporaries.

    inf or NaN when an entry is, or when the squares overflow the arrays' dtype (also where NumPy is set to
    raise on overflow, as inside ``fit``).
    """
    try:
        if len(arrays) == 1:  # a model's flat buffer, every step in fit: no generator
            return math.sqrt(float(np.vdot(arrays[0], arrays[0])))
        return math.sqrt(sum(float(np.vdot(a, a)) for a in arrays))
    except FloatingPointError:
        return math.inf


def _chunked(params: np.ndarray, grads: np.ndarray, state: dict[str, np.ndarray]) -> list[Chunk]:
    """Views of the flat buffers in chunks of ``CHUNK_BYTES`` per array, all sharing one scratch array."""
    step = max(1, CHUNK_BYTES // params.itemsize)
    work = np.empty(min(step, params.size), params.dtype)
    cuts = [slice(lo, min(lo + step, params.size)) for lo in range(0, params.size, step)]
    return [(params[c], grads[c], {k: s[c] for k, s in state.items()}, work[: c.stop - c.start]) for c in cuts]


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

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: np.ndarray) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            u = state["velocity"]
            u *= self.momentum
            u += g  # u ← μ·u + g
            if self.nesterov:
                np.multiply(u, self.momentum, out=work)
                g = np.add(work, g, out=work)  # g + μ·u
            else:
                g = u
        np.multiply(g, self.lr, out=work)
        p -= work  # p ← p − lr·g

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
        self._betas_cache: dict[tuple[np.dtype, float, float], tuple[np.ndarray, ...]] = {}

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps}, "
            f"weight_decay={self.weight_decay}, decoupled={self.decoupled})"
        )

    def _begin_step(self) -> None:
        self.t += 1

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

    def _betas(self, dtype: np.dtype) -> tuple[np.ndarray, ...]:
        """β1, 1 − β1, β2 and 1 − β2 as 0-d arrays of ``dtype``, made once per setting.

        NumPy multiplies an array by a 0-d array of its own dtype about 0.3 µs faster than by a Python float
        (which it converts on every call): a sixth of Adam's step on the founding example's 115 parameters.
        """
        key = (dtype, self.beta1, self.beta2)
        betas = self._betas_cache.get(key)
        if betas is None:
            b1, b2 = self.beta1, self.beta2
            betas = self._betas_cache[key] = tuple(np.array(c, dtype) for c in (b1, 1.0 - b1, b2, 1.0 - b2))
        return betas

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], work: np.ndarray) -> None:
        m, v = state["m"], state["v"]
        b1, b2, t = self.beta1, self.beta2, self.t
        beta1, one_minus_beta1, beta2, one_minus_beta2 = self._betas(p.dtype)  # the same numbers, as 0-d arrays
        # BEGIN SOLUTION adam.step
        # HINT: follow the docstring line by line; the bias corrections use β^t, not β.
        # Every line works in place (``work`` is scratch the size of p), so a step allocates nothing.
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * p
        np.multiply(g, one_minus_beta1, out=work)
        m *= beta1
        m += work  # m ← β1·m + (1 − β1)·g
        np.multiply(g, g, out=work)
        work *= one_minus_beta2
        v *= beta2
        v += work  # v ← β2·v + (1 − β2)·g²
        if self.weight_decay and self.decoupled:
            p *= 1.0 - self.lr * self.weight_decay
        # p ← p − lr · m̂ / (√v̂ + ε) with m̂ = m / (1 − β1^t), v̂ = v / (1 − β2^t). The bias corrections fold
        # into two scalars (Kingma & Ba, end of section 2), which saves two passes over the buffers:
        # lr · m̂ / (√v̂ + ε) = lr_t · m / (√v + ε_t),  lr_t = lr·√(1 − β2^t) / (1 − β1^t),  ε_t = ε·√(1 − β2^t).
        root = math.sqrt(1.0 - b2**t)
        np.sqrt(v, out=work)
        work += self.eps * root
        np.divide(m, work, out=work)
        work *= self.lr * root / (1.0 - b1**t)
        p -= work
        # END SOLUTION


OPTIMIZERS: dict[str, Callable[[], Optimizer]] = {"sgd": functools.partial(SGD, lr=0.01), "adam": Adam}


def get(optimizer: str | Optimizer) -> Optimizer:
    """An optimizer by name with its default settings (``"adam"``; ``"sgd"`` uses lr=0.01), or an instance."""
    return lookup(optimizer, OPTIMIZERS, Optimizer, "optimizer")
