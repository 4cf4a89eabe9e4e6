"""Layers the recommenders need: Dense with an L2 penalty on W, L2 row normalization, CDAE's per-user node."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import init as initializers
from ..layers import Dense, Layer, ParamDict
from ..validation import as_array, check_float, check_int


class RegularizedDense(Dense):
    """Dense with an L2 penalty on its weights W (not on its bias b), as AutoRec and Mult-DAE regularize.

    aux_loss = (λ/2) ‖W‖²;  backward adds its gradient: dL/dW = xᵀ · dL/dy + λ W  (dL/db, dL/dx as in Dense).

    An optimizer's ``weight_decay`` would also shrink the biases, and AutoRec's output bias carries each
    user's mean rating: shrinking it towards 0 costs more than it regularizes.

    Args:
        in_features, out_features, init, rng, dtype: as in :class:`~autoencoder_np.layers.Dense`.
        l2: λ ≥ 0.
    """

    def __init__(self, in_features: int, out_features: int, *, l2: float = 0.0, **kwargs: Any) -> None:
        super().__init__(in_features, out_features, **kwargs)
        self.l2 = check_float(l2, "l2", "RegularizedDense", low=0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "l2": self.l2}

    def aux_loss(self) -> float:
        """(λ/2) ‖W‖²."""
        W = self.params["W"]
        return 0.5 * self.l2 * float(np.vdot(W, W).real) if self.l2 else 0.0

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """Dense's backward, then dL/dW += λ W."""
        grad_x = super().backward(grad_y)
        self._add_penalty_gradient()
        return grad_x

    def _add_penalty_gradient(self) -> None:
        """dL/dW += λ W: the gradient of the penalty (λ/2) ‖W‖²."""
        if self.l2:
            self.grads["W"] += self.l2 * self.params["W"]


class L2Normalize(Layer):
    """Each row divided by its Euclidean norm: y = x / ‖x‖, ‖x‖ = √(Σ_j x_j²). A zero row stays zero.

    Mult-DAE and Mult-VAE normalize a user's click row this way, so heavy and light users give inputs of
    one size. No parameters.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, n) -> y: (batch, n) with unit-norm rows.  Cache: x, y, the norms (1 for zero rows)."""
        x = self._elementwise_input(x)
        norm = np.sqrt(np.einsum("ij,ij->i", x, x))[:, None]
        norm = np.where(norm > 0, norm, 1.0).astype(x.dtype, copy=False)
        y = x / norm
        self.cache.update(y=y, norm=norm)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = (dL/dy − y (y · dL/dy)) / ‖x‖, row by row (the Jacobian (I − y yᵀ)/‖x‖ is symmetric).

        For a zero row y = 0 and ‖x‖ is taken as 1, so dL/dx = dL/dy there.
        """
        grad_y = self._elementwise_grad(grad_y)
        y, norm = self.cache["y"], self.cache["norm"]
        along = np.einsum("ij,ij->i", y, grad_y)[:, None]
        return (grad_y - y * along) / norm


class UserNode(Layer):
    """CDAE's per-user node (Wu et al. 2016): y = x + V[u_b] for each row b, with u_b the row's user.

    Set ``layer.users`` (batch,) to the users of the rows before each forward; ``None`` means users the
    model has not seen (new users, folded in), who get no offset: y = x. Parameters: ``V: (n_users, size)``,
    initialized like a Dense weight.

    Args:
        n_users: number of users with a node.
        size: width of the hidden layer the node adds to.
        rng: ``np.random.Generator``, int seed, or None.
        dtype: float64 or float32.
    """

    def __init__(
        self, n_users: int, size: int, *, rng: np.random.Generator | int | None = None, dtype: Any = np.float64
    ) -> None:
        self.n_users = check_int(n_users, "n_users", "UserNode")
        self.size = check_int(size, "size", "UserNode")
        super().__init__()
        V = initializers.glorot_uniform((self.n_users, self.size), initializers.as_generator(rng), dtype)
        self.params = ParamDict(f"{self!r}.params", [("V", V)])
        self.grads = ParamDict(f"{self!r}.grads", [("V", np.zeros_like(V))])
        self.users: np.ndarray | None = None

    def get_config(self) -> dict[str, Any]:
        return {"n_users": self.n_users, "size": self.size}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, size) -> y = x + V[users].  Cache: x, users."""
        V = self.params["V"]
        x = as_array(x, "x", f"{self!r}.forward", ndim=2, dtype=V.dtype)
        if x.shape[1] != self.size:
            raise ValueError(f"{self!r}.forward: x has {x.shape[1]} features, expected {self.size}")
        users = self.users
        if users is not None:
            users = np.asarray(users)
            if users.shape != (x.shape[0],) or users.dtype.kind not in "iu":
                raise ValueError(
                    f"{self!r}.forward: users must be {x.shape[0]} integer indices (one per row), "
                    f"got {users.dtype} of shape {users.shape}"
                )
            if users.min() < 0 or users.max() >= self.n_users:
                raise ValueError(
                    f"{self!r}.forward: users must lie in [0, {self.n_users}), got {users.min()} … {users.max()}"
                )
        self.cache.update(x=x, users=users)
        return x if users is None else x + V[users]

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        """dL/dx = dL/dy;  dL/dV[u] = Σ_{rows b of user u} dL/dy_b  (0 for users not in the batch)."""
        x = self._cached("x")
        grad_y = self._grad_input(grad_y, x.shape, x.dtype)
        grad_V = self.grads["V"]
        grad_V[...] = 0.0
        users = self.cache["users"]
        if users is not None:
            np.add.at(grad_V, users, grad_y)
        return grad_y
