"""The sampling layer of a variational autoencoder: reparameterization, with the KL term as its auxiliary loss.

The encoder outputs, for each row, the mean μ and the log-variance log σ² of a diagonal Gaussian
q(z | x) = N(μ, diag σ²). :class:`GaussianSample` draws z from it in a way gradients can flow through
(Kingma & Welling 2014)::

    z = μ + σ ⊙ ε,    σ = exp(½ log σ²),    ε ~ N(0, I)      (ε does not depend on μ or σ)

and adds β times the KL divergence to the standard normal prior, averaged over the batch::

    aux = β · (1/B) Σ_b Σ_k ½ (σ²_bk + μ²_bk − 1 − log σ²_bk)

The decoder's reconstruction loss plus ``aux`` is the negative ELBO (with β = 1) or the β-VAE objective.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import _Noise
from .validation import check_float


class GaussianSample(_Noise):
    """Reparameterized sampling, x = [μ | log σ²]: (batch, 2·d) -> z: (batch, d), with a KL auxiliary loss.

    In training z = μ + σ ⊙ ε with ε drawn from ``self.rng``; at inference z = μ (the mean code). The KL
    term is computed in both modes (so a validation loss includes it). β can be changed between steps
    (KL annealing, as in Mult-VAE).

    Args:
        beta: weight β ≥ 0 of the KL term.
        rng: ``np.random.Generator``, int seed, or None.
    """

    def __init__(self, beta: float = 1.0, *, rng: np.random.Generator | int | None = None) -> None:
        self.beta = check_float(beta, "beta", "GaussianSample", low=0.0)
        super().__init__(rng)
        self._kl = 0.0

    def get_config(self) -> dict[str, Any]:
        return {"beta": self.beta}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, 2·d) = [μ | log σ²] -> z: (batch, d).  Cache: x, μ, σ, ε (None at inference)."""
        x = self._elementwise_input(x)
        if x.ndim != 2 or x.shape[1] % 2:
            raise ValueError(f"{self!r}.forward: x must be (batch, 2·d) = [mu | logvar], got shape {x.shape}")
        mu, logvar = np.split(x, 2, axis=1)
        sigma = np.exp(0.5 * logvar)
        eps = self.rng.standard_normal(mu.shape).astype(x.dtype, copy=False) if self.training else None
        self.cache.update(mu=mu, sigma=sigma, eps=eps)
        self._kl = float(0.5 * np.sum(sigma * sigma + mu * mu - 1.0 - logvar) / x.shape[0])
        return mu if eps is None else mu + sigma * eps

    def aux_loss(self) -> float:
        """β · KL(q(z | x) ‖ N(0, I)), averaged over the batch of the last forward."""
        return self.beta * self._kl

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """grad_y = dL/dz: (batch, d) -> dL/dx = [dL/dμ | dL/dlog σ²]: (batch, 2·d), the KL term included.

        dL/dμ      = dL/dz + β μ / B
        dL/dlog σ² = dL/dz ⊙ ½ σ ε + β ½ (σ² − 1) / B        (the first term only in training, where z used ε)
        """
        mu = self._cached("mu")
        sigma, eps = self.cache["sigma"], self.cache["eps"]
        grad_y = self._grad_input(grad_y, mu.shape, mu.dtype)
        scale = self.beta / mu.shape[0]
        grad_mu = grad_y + scale * mu
        grad_logvar = 0.5 * scale * (sigma * sigma - 1.0)
        if eps is not None:
            grad_logvar = grad_logvar + 0.5 * grad_y * sigma * eps
        return np.concatenate([grad_mu, grad_logvar], axis=1)
