"""The data a fit reads: checked once, then cut into minibatches.

``fit`` and ``evaluate`` call :func:`prepare` once (shapes, dtype, NaN/inf, the mask's signs), so the layers may
skip their per-call scans inside the loop. :class:`Minibatches` hands out the rows of an epoch batch by batch:
contiguous slices (views) in order, or, shuffled, rows gathered into buffers allocated once, so no step
allocates a batch and the data set is never copied whole.

X, y and the mask may each be sparse (an ``autoencoder_np.sparse.CSR``, or a ``scipy.sparse`` matrix): then a
batch's rows are written densely into a buffer allocated once (``CSR.densify``), and the whole matrix is never
dense in memory. A model sees the same dense batches either way, so training from CSR equals training from the
dense matrix, step for step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .sparse import CSR, as_csr
from .validation import as_array, mask_total

#: A data matrix as fit reads it: dense, or CSR (densified one batch at a time).
Matrix = np.ndarray | CSR


def is_sparse(a: Any) -> bool:
    """Whether ``a`` is a sparse matrix: a CSR, or a ``scipy.sparse`` one (duck-typed, SciPy is not imported)."""
    return isinstance(a, CSR) or (hasattr(a, "tocsr") and hasattr(a, "nnz"))


def matrix(a: Any, name: str, where: str, dtype: np.dtype) -> Matrix:
    """``a`` checked (2-D, numeric, not empty, finite) and cast to ``dtype``: a dense array, or a CSR if sparse."""
    if not is_sparse(a):
        return as_array(a, name, where, ndim=2, dtype=dtype)
    csr = as_csr(a, name, where)
    if 0 in csr.shape:
        raise ValueError(f"{where}: {name} is empty (shape {csr.shape})")
    return csr if csr.dtype == dtype else csr.astype(dtype)


def prepare(model: Any, X: Any, y: Any, mask: Any, where: str) -> tuple[Matrix, Matrix, Matrix | None]:
    """Validate X, y and mask once (shapes, dtype, finite) and cast them to the model's dtype."""
    dtype = model.dtype or np.dtype(np.float64)
    X = matrix(X, "X", where, dtype)
    y = model._default_target(X, where) if y is None else matrix(y, "y", where, dtype)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{where}: y has {y.shape[0]} rows, expected one per row of X ({X.shape[0]})")
    if mask is not None:
        mask = matrix(mask, "mask", where, dtype)
        if mask.shape != y.shape:
            raise ValueError(f"{where}: mask has shape {mask.shape}, expected the shape of y {y.shape}")
        with np.errstate(over="ignore"):
            total = mask_total(mask.values if isinstance(mask, CSR) else mask, where)
        if not np.isfinite(total):
            raise ValueError(f"{where}: the mask weights sum to more than {dtype} holds; rescale them")
    return X, y, mask


def rows_of(a: Matrix, start: int, stop: int) -> np.ndarray:
    """Rows ``start : stop`` of ``a``, dense: a view of a dense array, a new array from a CSR."""
    return a.densify(np.arange(start, min(stop, a.shape[0]))) if isinstance(a, CSR) else a[start:stop]


def validation_arrays(model: Any, data: Any, X: Matrix, y: Matrix, where: str) -> tuple[Matrix, Matrix, Matrix | None]:
    """Validate validation_data up front (so a mistake shows before training, not after the first epoch)."""
    parts = tuple(data) if isinstance(data, (tuple, list)) else (data,)
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"{where}: validation_data must be X_val, (X_val, y_val) or (X_val, y_val, mask_val)")
    X_val, y_val, m_val = (*parts, None, None)[:3]
    where = f"{where} (validation_data)"
    X_val, y_val, m_val = prepare(model, X_val, y_val, m_val, where)
    for name, value, ref in (("X_val", X_val, X), ("y_val", y_val, y)):
        if value.shape[1] != ref.shape[1]:
            raise ValueError(f"{where}: {name} has {value.shape[1]} features, expected {ref.shape[1]} (as in training)")
    return X_val, y_val, m_val


def running_mean(mean: float, count: float, value: float, n: float) -> tuple[float, float]:
    """The mean of the batch losses so far, weighted by their entries n, with one more batch: (mean, Σ n).

    Updating the mean, rather than summing value · n, cannot overflow where every value is finite.
    """
    count += n
    return mean + (value - mean) * (n / count), count


def starts(n: int, batch_size: int) -> range:
    return range(0, n, batch_size)


class Minibatches:
    """The rows of (X, y, mask) batch by batch: slices (views) in order, or gathered into reused buffers.

    ``arrays`` holds X, y and mask (or None); when y is X (an autoencoder) its rows are gathered once. A CSR's
    rows are always written into its buffer (``CSR.densify``), in order or not.
    """

    def __init__(self, arrays: tuple[Matrix, Matrix, Matrix | None], batch_size: int) -> None:
        self.arrays = arrays
        self.batch_size = batch_size
        self._buffers: dict[int, np.ndarray] = {}  # id(array) -> its batch buffer, made at the first gather
        self._any_sparse = any(isinstance(a, CSR) for a in arrays)

    def __call__(self, start: int, order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The batch of rows ``start : start + batch_size``, taken from ``order`` when given."""
        X, y, mask = self.arrays
        if order is None and not self._any_sparse:
            stop = start + self.batch_size
            return X[start:stop], y[start:stop], None if mask is None else mask[start:stop]
        if order is None:
            rows = np.arange(start, min(start + self.batch_size, X.shape[0]))
        else:
            rows = order[start : start + self.batch_size]
        xb = self._take(X, rows)
        return xb, xb if y is X else self._take(y, rows), None if mask is None else self._take(mask, rows)

    def _take(self, a: Matrix, rows: np.ndarray) -> np.ndarray:
        """a[rows], into the buffer kept for a; mode="clip" avoids np.take's extra copy (the rows are valid)."""
        buffer = self._buffers.get(id(a))
        if buffer is None:
            buffer = self._buffers[id(a)] = np.empty((self.batch_size, *a.shape[1:]), a.dtype)
        if isinstance(a, CSR):
            return a.densify(rows, out=buffer)
        return a.take(rows, axis=0, out=buffer[: len(rows)], mode="clip")
