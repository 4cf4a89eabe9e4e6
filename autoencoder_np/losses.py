"""Losses: a scalar L from a prediction and a target, and its gradient dL/dpred.

Protocol::

    loss.forward(pred, target, mask=None) -> float    stores pred, target, mask and n in ``loss.cache``
    loss.backward()                       -> dL/dpred  same shape as pred

The element-wise losses (MSE, BCE, BCE-with-logits) take the mean over all entries::

    L = (1/n) Σ_ij m_ij · ℓ(p_ij, t_ij),     n = Σ_ij m_ij
    dL/dp_ij = m_ij · ℓ′(p_ij, t_ij) / n

Without a mask, m = 1 everywhere and n is the number of entries. A 0/1 mask keeps only the observed
entries (AutoRec's loss on observed ratings): the mean is then over those. Any non-negative weights work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import sigmoid
from .validation import as_array, check_same_shape, data_trusted, lookup, mask_total, overflow_guard


class Loss:
    """Base class: validation, the (masked) mean, and the visible cache."""

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __call__(self, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
        return self.forward(pred, target, mask)

    def _validate(self, pred: Any, target: Any, mask: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
        """pred, target and mask as arrays of one shape and dtype, and the normalizer n."""
        where = (self, "forward")
        pred = as_array(pred, "pred", where)  # real: as_array refuses complex without a complex dtype
        target = as_array(target, "target", where, dtype=pred.dtype)
        check_same_shape(pred, target, ("pred", "target"), where)
        self._check_target(target)
        if mask is None:
            return pred, target, None, float(pred.size)
        mask = as_array(mask, "mask", where, dtype=pred.dtype)
        check_same_shape(pred, mask, ("pred", "mask"), where)
        # Inside fit and evaluate the whole mask's signs were checked once: skip that scan per batch.
        return pred, target, mask, float(mask_total(mask, where, check_signs=not data_trusted()))

    @overflow_guard
    def forward(self, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
        """pred, target, mask: same shape, e.g. (batch, features).  Returns L = (1/n) Σ m ⊙ ℓ(pred, target)."""
        pred, target, mask, n = self._validate(pred, target, mask)
        self.cache = {"pred": pred, "target": target, "mask": mask, "n": n}
        # BEGIN SOLUTION loss.masked_mean
        # HINT: average the element-wise loss over the observed entries only: Σ m·ℓ / Σ m.
        ell = self.elementwise(pred, target)
        if mask is not None:
            ell = ell * mask
        return float(ell.sum()) / n
        # END SOLUTION

    @overflow_guard
    def backward(self) -> np.ndarray:
        """Returns dL/dpred = m ⊙ ℓ′(pred, target) / n, same shape as pred."""
        if not self.cache:
            raise ValueError(f"{self!r}.backward: called before forward (nothing cached)")
        cache = self.cache
        pred, target, mask, n = cache["pred"], cache["target"], cache["mask"], cache["n"]
        # BEGIN SOLUTION loss.masked_mean_backward
        # HINT: the mean's 1/n and the mask both multiply the element-wise derivative.
        grad = self.derivative(pred, target) / n
        if mask is not None:
            grad = grad * mask
        return grad
        # END SOLUTION

    def _check_target(self, target: np.ndarray) -> None:
        """Raise ValueError if the target holds values this loss is not defined for (default: any)."""

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """ℓ(p, t) for every entry."""
        raise NotImplementedError

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """ℓ′(p, t) = ∂ℓ/∂p for every entry."""
        raise NotImplementedError


class MSELoss(Loss):
    """Mean squared error for continuous data.   ℓ = (p − t)²,   ℓ′ = 2 (p − t)."""

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        # BEGIN SOLUTION mse.forward
        # HINT: the squared difference of prediction and target.
        return (pred - target) ** 2
        # END SOLUTION

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        # BEGIN SOLUTION mse.backward
        # HINT: d/dp (p − t)² = 2 (p − t).
        return 2.0 * (pred - target)
        # END SOLUTION


class _BinaryTargetLoss(Loss):
    """A loss whose target is a probability in [0, 1]."""

    def _check_target(self, target: np.ndarray) -> None:
        low, high = target.min(), target.max()
        if low < 0 or high > 1:
            raise ValueError(f"{self!r}.forward: target must lie in [0, 1], got values in [{low}, {high}]")


class BCELoss(_BinaryTargetLoss):
    """Binary cross-entropy on probabilities p ∈ (0, 1), e.g. after a Sigmoid layer.

    ℓ = −[t log p + (1 − t) log(1 − p)],   ℓ′ = (p − t) / (p (1 − p)).

    p is first clipped to [ε, 1 − ε] with ε the machine epsilon of p's dtype (2.2e-16 in float64, 1.2e-7
    in float32), so log never sees 0 and the derivative stays finite; the derivative is taken at the clipped
    p. In float32, 1 − 1e-15 rounds to 1, which is why a fixed ε = 1e-15 fails there. Prefer
    :class:`BCEWithLogitsLoss` on the pre-sigmoid values: it needs no clipping at all.
    """

    @staticmethod
    def _clip(pred: np.ndarray) -> np.ndarray:
        eps = np.finfo(pred.dtype).eps
        return np.clip(pred, eps, 1.0 - eps)

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        p = self._clip(pred)
        # BEGIN SOLUTION bce.forward
        # HINT: −[t·log p + (1 − t)·log(1 − p)]; use np.log1p(−p) for log(1 − p).
        return -(target * np.log(p) + (1.0 - target) * np.log1p(-p))
        # END SOLUTION

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        p = self._clip(pred)
        # BEGIN SOLUTION bce.backward
        # HINT: −t/p + (1 − t)/(1 − p), which simplifies to (p − t) / (p (1 − p)).
        return (p - target) / (p * (1.0 - p))
        # END SOLUTION


class BCEWithLogitsLoss(_BinaryTargetLoss):
    """Binary cross-entropy on logits z (the input of the sigmoid), in the stable form.

    ℓ = −[t log σ(z) + (1 − t) log(1 − σ(z))] = max(z, 0) − z t + log(1 + e^(−|z|)),
    ℓ′ = σ(z) − t.

    The right-hand form never exponentiates a positive number, so it is finite for any z, and it never
    takes log of a rounded-to-zero probability.
    """

    def elementwise(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        z = pred
        # BEGIN SOLUTION bce_logits.forward
        # HINT: max(z, 0) − z·t + log(1 + e^(−|z|)); np.log1p keeps the small values exact.
        return np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
        # END SOLUTION

    def derivative(self, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        z = pred
        sigma = sigmoid(z)  # the stable two-branch form
        # BEGIN SOLUTION bce_logits.backward
        # HINT: the sigmoid and the log cancel: ℓ′ = σ(z) − t.
        return sigma - target
        # END SOLUTION


class MultinomialLoss(Loss):
    """Multinomial log-likelihood on logits (Mult-DAE / Mult-VAE, Liang et al. 2018), mean over rows.

    For each row u (a user) with logits z_u and counts t_u (e.g. a 0/1 click vector):

    L = −(1/B) Σ_u Σ_i t_ui · log softmax(z_u)_i,    log softmax(z)_i = z_i − max z − log Σ_j e^(z_j − max z)
    dL/dz_u = (softmax(z_u) · Σ_i t_ui − t_u) / B

    B is the number of rows. No mask: zero entries of t already contribute nothing.

    Computed fused: with lse_u = log Σ_j e^(z_uj) and T_u = Σ_i t_ui, the loss is
    L = −(1/B) Σ_u (Σ_i t_ui z_ui − T_u · lse_u), so no (batch, items) log-softmax array is formed. Forward
    keeps e^(z − max z) (the one exp) in ``cache["exp"]`` and its row sums S_u in ``cache["total"]``; backward
    forms softmax(z_u) · T_u = e^(z_u − max z_u) · (T_u / S_u), one pass with one factor per row.
    """

    def _check_target(self, target: np.ndarray) -> None:
        if target.min() < 0:
            raise ValueError(f"{self!r}.forward: target must be non-negative counts, got a minimum of {target.min()}")

    @overflow_guard
    def forward(self, pred: np.ndarray, target: np.ndarray, mask: np.ndarray | None = None) -> float:
        """pred: logits (batch, items), target: (batch, items) non-negative counts."""
        where = f"{self!r}.forward"
        if mask is not None:
            raise ValueError(f"{where}: mask is not supported; set the targets you want ignored to 0")
        pred, target, _, _ = self._validate(pred, target, None)
        if pred.ndim != 2:
            raise ValueError(f"{where}: pred must be 2-D (batch, items), got shape {pred.shape}")
        top = pred.max(axis=1)
        exp = np.subtract(pred, top[:, None])  # z − max z ≤ 0: e^(·) cannot overflow
        np.exp(exp, out=exp)
        total = exp.sum(axis=1)  # S_u = Σ_j e^(z_uj − max z_u) ≥ 1
        lse = top + np.log(total)  # log Σ_j e^(z_uj), per row
        counts = target.sum(axis=1)  # T_u
        picked = np.einsum("ij,ij->i", target, pred)  # Σ_i t_ui z_ui, per row, without a (batch, items) array
        n = float(pred.shape[0])
        self.cache = {
            "pred": pred,
            "target": target,
            "mask": None,
            "n": n,
            "exp": exp,
            "total": total,
            "counts": counts,
        }
        return float(-(picked - counts * lse).sum() / n)

    @overflow_guard
    def backward(self) -> np.ndarray:
        """dL/dz = (softmax(z) · Σ_i t_i − t) / B, shape (batch, items)."""
        if not self.cache:
            raise ValueError(f"{self!r}.backward: called before forward (nothing cached)")
        cache = self.cache
        target, n, counts = cache["target"], cache["n"], cache["counts"]
        # softmax(z)·T = e^(z − max z) · (T / S), one factor per row; in place from here: (softmax·T − t) / B
        grad = np.multiply(cache["exp"], (counts / cache["total"])[:, None])
        grad -= target
        grad *= 1.0 / n
        return grad


LOSSES: dict[str, type[Loss]] = {
    "mse": MSELoss,
    "bce": BCELoss,
    "bce_logits": BCEWithLogitsLoss,
    "multinomial": MultinomialLoss,
}


def get(loss: str | Loss) -> Loss:
    """A new loss by name (``"mse"``, ``"bce"``, ``"bce_logits"``, ``"multinomial"``), or an instance unchanged."""
    return lookup(loss, LOSSES, Loss, "loss")
