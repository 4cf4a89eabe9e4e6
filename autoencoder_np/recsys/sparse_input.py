"""A recommender's first layer from its input's non-zero entries: y = x W + b as a gather of W's rows.

A user's click row x is mostly zeros (Gowalla: 27 of 40 981 items on average), so the first product of an
autoencoder recommender needs only the rows of W at the user's items::

    y_r = Σ_{j : x_rj ≠ 0} x_rj · W_j + b          (W_j: row j of W, one per item)
    dL/dW_j = Σ_{r : x_rj ≠ 0} x_rj · dL/dy_r       (zero for items nobody in the batch has)

The dense products cost 2·batch·items·out FLOPs each; these cost 2·nnz·out, a thousand times fewer at
Gowalla's density. :func:`gather_forward` and :func:`gather_backward` are the fast twins of
``textbook.dense_forward`` and ``textbook.dense_backward``: the same sums in another order (each entry of y
and dL/dW sums the same terms, row by row instead of in BLAS's blocks), so they agree within a few ulp of the
summed magnitudes (``tests/test_recsys_sparse_input.py``).

:class:`SparseInputDense` is the first Dense of Mult-DAE and Mult-VAE. It finds the non-zero entries of the
batch it gets (the core ``fit`` hands it a dense batch, densified from the CSR one minibatch at a time) and
gathers when they are fewer than :data:`GATHER_DENSITY` of the entries; denser input and the textbook kernels
take the dense products. dL/dx, which ``fit`` never asks of a first layer, is the dense g·Wᵀ either way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .layers import RegularizedDense

#: Below this share of non-zero entries the first layer gathers W's rows; above it, BLAS on the dense batch.
GATHER_DENSITY = 0.01


def nonzero_entries(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x: (batch, n) -> (rows, columns, values) of its non-zero entries, row by row, columns increasing.

    ``x != 0`` and ``np.flatnonzero`` of the booleans: two fast passes (``np.nonzero`` on floats is 10× slower).
    """
    flat = np.flatnonzero(x != 0)
    rows, cols = np.divmod(flat, x.shape[1])
    return rows, cols, x[rows, cols]


def gather_forward(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int, W: np.ndarray, b: np.ndarray
) -> tuple[np.ndarray, dict[str, Any]]:
    """y = x W + b for x given by its non-zero entries (rows, cols, values), rows sorted; fast twin of
    ``textbook.dense_forward``.

    Args:
        rows, cols, values: (nnz,) x's entries, sorted by row (:func:`nonzero_entries` gives them so).
        n_rows: the batch size (rows of x, some may have no entry).
        W: (n, out) weights; b: (out,) bias.

    Returns:
        y: (n_rows, out); cache: the entries and W, which :func:`gather_backward` reads.
    """
    y = np.zeros((n_rows, W.shape[1]), dtype=np.result_type(values, W))
    if len(rows):
        terms = W[cols]  # the gather: one row of W per entry
        terms *= values[:, None]
        first = np.flatnonzero(np.diff(rows, prepend=-1))  # where each row's entries start
        y[rows[first]] = np.add.reduceat(terms, first, axis=0)
    y += b
    return y, {"rows": rows, "cols": cols, "values": values, "n_rows": n_rows, "W": W}


def gather_backward(grad_y: np.ndarray, cache: dict[str, Any], grad_W: np.ndarray, grad_b: np.ndarray) -> None:
    """dL/dW = xᵀ · dL/dy into ``grad_W`` and dL/db = Σ_batch dL/dy into ``grad_b``, from x's entries; fast twin
    of ``textbook.dense_backward`` (without dL/dx: a first layer's input needs none).

    grad_y: (n_rows, out). Row j of dL/dW sums x_rj · dL/dy_r over the batch rows r that have item j; the
    entries are sorted by item first (a stable sort keeps the rows in order), the other rows of dL/dW are 0.
    """
    rows, cols, values = cache["rows"], cache["cols"], cache["values"]
    grad_W[...] = 0
    if len(rows):
        order = np.argsort(cols, kind="stable")
        by_item = cols[order]
        terms = grad_y[rows[order]]
        terms *= values[order, None]
        first = np.flatnonzero(np.diff(by_item, prepend=-1))
        grad_W[by_item[first]] = np.add.reduceat(terms, first, axis=0)
    np.sum(grad_y, axis=0, out=grad_b)


class SparseInputDense(RegularizedDense):
    """A :class:`RegularizedDense` for input that is mostly zeros: forward and dL/dW gather the rows of W at
    the input's non-zero entries (see the module docstring); the same numbers as Dense to rounding.

    Args: as :class:`RegularizedDense`.

    ``gather_density``: the share of non-zero entries below which forward gathers (default
    :data:`GATHER_DENSITY`; 0 never gathers, as a benchmark's dense twin does).
    """

    gather_density: float = GATHER_DENSITY

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (batch, in_features) -> y = x W + b: (batch, out_features).

        Cache: x's non-zero entries, the batch size and W when the entries are few (``"rows"``, ``"cols"``,
        ``"values"``, ``"n_rows"``, ``"W"``), else x and W as Dense keeps them.
        """
        if self._textbook():
            return super().forward(x)
        W, b = self.params["W"], self.params["b"]
        x = self._features(x)
        rows, cols, values = nonzero_entries(x)
        if len(rows) >= self.gather_density * x.size:
            return super().forward(x)
        with self._guard("forward"):
            y, self.cache = gather_forward(rows, cols, values, x.shape[0], W, b)
        return y

    def backward(self, grad_y: np.ndarray) -> np.ndarray | None:
        """grad_y: (batch, out_features) -> dL/dx: (batch, in_features), or None if not ``input_grad``.

        After a gathered forward: dL/dW = xᵀ · dL/dy + λ W and dL/db = Σ_batch dL/dy from x's entries;
        dL/dx = dL/dy · Wᵀ (dense: it is dense whatever x is). Otherwise as RegularizedDense.
        """
        if "rows" not in self.cache:
            return super().backward(grad_y)
        W = self.cache["W"]
        grad_y = self._grad_input(grad_y, (self.cache["n_rows"], self.out_features), W.dtype)
        with self._guard("backward"):
            gather_backward(grad_y, self.cache, self.grads["W"], self.grads["b"])
            grad_x = grad_y @ W.T if self.input_grad else None
        self._add_penalty_gradient()
        return grad_x
