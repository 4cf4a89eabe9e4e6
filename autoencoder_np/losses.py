"""Losses: a scalar L from a prediction and a target, and its gradient dL/dpred.

Protocol::

    loss.forward(pred, target, mask=None) -> float    stores pred, target, mask and n in ``loss.cache``
    loss.backward()                       -> dL/dpred  same shape as pred

The element-wise losses (MSE, BCE, BCE-with-logits) take the mean over all entries::

    L = (1/n) Σ_ij m_ij · ℓ(p_ij, t_ij),     n = Σ_ij m_ij
    dL/dp_ij = m_ij · ℓ′(p_ij, t_ij) / n

Without a mask, m = 1 everywhere and n is the number of entries. A 0/1 mask keeps only the observed
entries (AutoRec's loss on observed ratings): the mean is then over those. Any non-negative weights work.

The equations live in ``autoencoder_np.textbook.losses`` (ℓ, ℓ′ and the masked mean); these classes check
their arguments at the boundary and keep the cache.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from . import fast, textbook
from . import kernels as kernel_sets
from .validation import as_array, check_same_shape, lookup, mask_total, overflow_as_error


class Loss:
    """Base class of the element-wise losses: validation, the (masked) mean, and the visible cache.

    A subclass names its ℓ and ℓ′ (``elementwise``, ``derivative``); ``kernels`` and ``check_inputs`` mean what
    they mean for a layer (``fit`` sets them for its loop).
    """

    kernels: str = kernel_sets.DEFAULT
    check_inputs: bool = True

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __call__(self, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
        return self.forward(pred, target, mask)

    def forward(self, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
        """pred, target, mask: same shape, e.g. (batch, features).  L = Σ m ⊙ ℓ(pred, target) / Σ m.

        textbook.masked_mean of the element-wise ℓ.   Cache: pred, target, mask and n = Σ m.
        """
        with self._guard("forward"):  # the mask's sum may overflow too
            pred, target, mask, n = self._validate(pred, target, mask)
            self.cache = {"pred": pred, "target": target, "mask": mask, "n": n}
            return float(textbook.masked_mean(self.elementwise(pred, target), mask))

    def backward(self) -> np.ndarray:
        """Returns dL/dpred = m ⊙ ℓ′(pred, target) / n, same shape as pred.   textbook.masked_mean_backward"""
        if not self.cache:
            raise ValueError(f"{self!r}.backward: called before forward (nothing cached)")
        pred, target, mask = self.cache["pred"], self.cache["target"], self.cache["mask"]
        with self._guard("backward"):
            return textbook.masked_mean_backward(self.derivative(pred, target), mask)

    # Boundary checks ------------------------------------------------------------------------------------------

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """ℓ(p, t) for every entry."""
        raise NotImplementedError

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """ℓ′(p, t) = ∂ℓ/∂p for every entry."""
        raise NotImplementedError

    def _validate(self, pred: Any, target: Any, mask: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
        """pred, target and mask as arrays of one shape and dtype, and the normalizer n."""
        where = (self, "forward")
        finite = self.check_inputs
        pred = as_array(pred, "pred", where, finite=finite)  # real: as_array refuses complex without a complex dtype
        target = as_array(target, "target", where, dtype=pred.dtype, finite=finite)
        check_same_shape(pred, target, ("pred", "target"), where)
        self._check_values(pred, target)
        if mask is None:
            return pred, target, None, float(pred.size)
        mask = as_array(mask, "mask", where, dtype=pred.dtype, finite=finite)
        check_same_shape(pred, mask, ("pred", "mask"), where)
        # Inside fit and evaluate the whole mask's signs were checked once: skip that scan per batch.
        return pred, target, mask, float(mask_total(mask, where, check_signs=finite))

    def _check_values(self, pred: np.ndarray, target: np.ndarray) -> None:
        """Raise ValueError if pred or target hold values this loss is not defined for (default: any)."""

    def _guard(self, method: str) -> contextlib.AbstractContextManager[None]:
        """An overflow in the kernel becomes a ValueError naming ``loss.method`` (while check_inputs)."""
        return overflow_as_error((self, method)) if self.check_inputs else _UNGUARDED


_UNGUARDED = contextlib.nullcontext()


class MSELoss(Loss):
    """Mean squared error for continuous data.   ℓ = (p − t)²,   ℓ′ = 2 (p − t).   textbook.mse"""

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return textbook.mse(pred, target)

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return textbook.mse_derivative(pred, target)


def _in_unit_interval(loss: Loss, name: str, a: np.ndarray) -> None:
    low, high = a.min(), a.max()
    if low < 0 or high > 1:
        raise ValueError(f"{loss!r}.forward: {name} must lie in [0, 1], got values in [{low}, {high}]")


class BCELoss(Loss):
    """Binary cross-entropy on probabilities p ∈ [0, 1], e.g. after a Sigmoid layer.   textbook.bce

    ℓ = −[t log p + (1 − t) log(1 − p)],   ℓ′ = (p − t) / (p (1 − p)).

    p outside [0, 1] is an error (as in PyTorch): it is no probability, and clipping it would hide the bug
    (often a missing Sigmoid). Inside, p is clipped to [ε, 1 − ε] with ε the machine epsilon of p's dtype
    (2.2e-16 in float64, 1.2e-7 in float32), so log never sees 0 and the derivative stays finite; the
    derivative is taken at the clipped p. Prefer :class:`BCEWithLogitsLoss` on the pre-sigmoid values: it
    needs no clipping at all.
    """

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return textbook.bce(pred, target)

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return textbook.bce_derivative(pred, target)

    def _check_values(self, pred: np.ndarray, target: np.ndarray) -> None:
        _in_unit_interval(self, "pred", pred)
        _in_unit_interval(self, "target", target)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z (the input of the sigmoid), in the stable form.   textbook.bce_with_logits

    ℓ = −[t log σ(z) + (1 − t) log(1 − σ(z))] = max(z, 0) − z t + log(1 + e^(−|z|)),
    ℓ′ = σ(z) − t.

    The right-hand form never exponentiates a positive number, so it is finite for any z, and it never
    takes log of a rounded-to-zero probability.
    """

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return textbook.bce_with_logits(pred, target)

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        return textbook.bce_with_logits_derivative(pred, target)

    def _check_values(self, pred: np.ndarray, target: np.ndarray) -> None:
        _in_unit_interval(self, "target", target)


class MultinomialLoss(Loss):
    """Multinomial log-likelihood on logits (Mult-DAE / Mult-VAE, Liang et al. 2018), mean over rows.

    For each row u (a user) with logits z_u and counts t_u (e.g. a 0/1 click vector):

    L = −(1/B) Σ_u Σ_i t_ui · log softmax(z_u)_i,    log softmax(z)_i = z_i − max z − log Σ_j e^(z_j − max z)
    dL/dz_u = (softmax(z_u) · Σ_i t_ui − t_u) / B

    B is the number of rows. No mask: zero entries of t already contribute nothing. textbook.multinomial_forward
    and _backward; the fast set fuses them (one exp, no (batch, items) log-softmax array).
    """

    def _check_values(self, pred: np.ndarray, target: np.ndarray) -> None:
        if target.min() < 0:
            raise ValueError(f"{self!r}.forward: target must be non-negative counts, got a minimum of {target.min()}")

    def forward(self, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
        """pred: logits (batch, items), target: (batch, items) non-negative counts.  Cache: the kernel's, n = B."""
        where = f"{self!r}.forward"
        if mask is not None:
            raise ValueError(f"{where}: mask is not supported; set the targets you want ignored to 0")
        pred, target, _, _ = self._validate(pred, target, None)
        if pred.ndim != 2:
            raise ValueError(f"{where}: pred must be 2-D (batch, items), got shape {pred.shape}")
        with self._guard("forward"):
            if self.kernels == "textbook":
                value, cache = textbook.multinomial_forward(pred, target)
            else:
                value, cache = fast.multinomial_forward(pred, target)
        self.cache = {"pred": pred, "target": target, "mask": None, "n": float(pred.shape[0]), **cache}
        return float(value)

    def backward(self) -> np.ndarray:
        """dL/dz = (softmax(z) · Σ_i t_i − t) / B, shape (batch, items)."""
        if not self.cache:
            raise ValueError(f"{self!r}.backward: called before forward (nothing cached)")
        with self._guard("backward"):
            if "z" in self.cache:  # the cache of the textbook's forward
                return textbook.multinomial_backward(self.cache)
            return fast.multinomial_backward(self.cache)


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "bce": BCELoss,
    "bce_logits": BCEWithLogitsLoss,
    "multinomial": MultinomialLoss,
}


def get(loss: str | Loss) -> Loss:
    """A new loss by name (``"mse"``, ``"bce"``, ``"bce_logits"``, ``"multinomial"``), or an instance unchanged."""
    return lookup(loss, LOSSES, Loss, "loss")
