"""Checks at the public boundary: a wrong argument gets a clear error, never a NumPy error from deep inside.

Every message names where it happened, the argument, what was expected and what came, e.g.
``Dense(10→5).forward: x has 7 features, expected 10``.

The public methods (a layer's ``forward`` and ``backward``, a loss's ``forward``, ``fit``, the CLI) call these
first; the kernels they then call (``autoencoder_np.textbook``, ``autoencoder_np.fast``) check nothing.
Finite checks (NaN/inf) cost one pass over the data: a layer or loss runs them while its ``check_inputs`` is
True, and ``fit`` and ``evaluate``, which check the whole data once, set it False on their model and loss
for their loop (see ``Layer.check_inputs``). Shapes and dtypes are checked on every call: that costs nothing.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

#: The dtypes a layer may hold. complex128 exists for the complex-step gradient check only.
LAYER_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.complex128))

#: The label of an error message: a string, or (object, method) for ``repr(object).method``, built only when an
#: error is raised. Layers validate on every call; building their repr each time would cost more than the checks.
Label = str | tuple[Any, str]


def label(where: Label) -> str:
    """The text of a :data:`Label`: ``Dense(10→5).forward`` for ``(dense, "forward")``."""
    return where if isinstance(where, str) else f"{where[0]!r}.{where[1]}"


@contextlib.contextmanager
def overflow_as_error(where: Label) -> Iterator[None]:
    """Turn a floating-point overflow, invalid operation (inf − inf, 0·inf) or division by 0 inside the block
    into a ValueError naming ``where``, instead of a RuntimeWarning and an inf or NaN result."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield
    except FloatingPointError as err:
        raise ValueError(f"{label(where)}: {err}: the values are too large for their dtype") from None


def require_layer(layer: Any, where: str) -> None:
    """Raise TypeError unless ``layer`` has the layer protocol (params, grads, forward, backward)."""
    missing = [name for name in ("params", "grads", "forward", "backward") if not hasattr(layer, name)]
    if missing:
        raise TypeError(
            f"{where}: {type(layer).__name__} is not a layer: it lacks {', '.join(missing)} "
            "(a layer has params, grads, forward(x) and backward(grad_y))"
        )


def check_dtype(dtype: Any, where: str) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float32, float64 (or complex128); raise TypeError otherwise."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype!r}") from err
    if dt not in LAYER_DTYPES:
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dt}")
    return dt


def as_array(
    x: Any,
    name: str,
    where: Label,
    *,
    ndim: int | None = None,
    dtype: np.dtype | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Return ``x`` as a non-empty numeric ndarray, cast to ``dtype`` when given.

    Integers and booleans are cast to ``dtype`` (float64 when ``dtype`` is None); float arrays keep their
    dtype when ``dtype`` is None. No copy is made when ``x`` already has the wanted dtype. Subclasses such as
    ``np.matrix`` and ``np.memmap`` come back as plain arrays of the same data.

    Raises:
        TypeError: ``x`` is not numeric (object, string, ...), complex where ``dtype`` is real, or a masked
            array (its mask would be silently ignored).
        ValueError: wrong number of dimensions, empty, values beyond the range of ``dtype``, or
            (``finite=True``) holds NaN or inf.
    """
    if type(x) is not np.ndarray or x.dtype.kind != "f" or (dtype is not None and x.dtype != dtype):
        x = _converted(x, name, where, dtype)  # everything but a float array of the wanted dtype (fit's case)
    if ndim is not None and x.ndim != ndim:
        expected = "(batch, features)" if ndim == 2 else f"{ndim}-D"
        raise ValueError(f"{label(where)}: {name} must be {ndim}-D {expected}, got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{label(where)}: {name} is empty (shape {x.shape})")
    if finite and not all_finite(x):
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{label(where)}: {name} holds {bad} NaN or inf value(s); expected finite numbers")
    return x


def _converted(x: Any, name: str, where: Label, dtype: np.dtype | None) -> np.ndarray:
    """``x`` as a numeric ndarray of ``dtype`` (float64 for integers when None): :func:`as_array`'s conversions."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{label(where)}: {name} is a masked array; fill it, or give fit the mask as mask=")
    if type(x) is not np.ndarray:  # lists, np.matrix and other subclasses: a plain array of the same data
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as err:  # ragged nested lists and the like
            raise TypeError(f"{label(where)}: {name} must be a numeric array, could not convert it: {err}") from err
    kind = x.dtype.kind
    if kind not in "biufc":
        raise TypeError(f"{label(where)}: {name} must be a numeric array, got dtype {x.dtype}")
    if kind == "c" and (dtype is None or dtype.kind != "c"):
        raise TypeError(f"{label(where)}: {name} must be real, got dtype {x.dtype}")
    if dtype is not None and x.dtype != dtype:
        try:
            with np.errstate(over="raise"):
                return x.astype(dtype)
        except FloatingPointError:
            largest = np.finfo(dtype).max
            raise ValueError(
                f"{label(where)}: {name} holds values beyond the range of {dtype} (±{largest:.4g})"
            ) from None
    return x.astype(np.float64) if kind in "biu" else x


def all_finite(x: np.ndarray) -> bool:
    """``np.isfinite(x).all()``, block by block along the first axis (about 2¹⁸ entries each).

    No boolean temporary the size of x: on a large data set that is faster and adds nothing to the peak memory.
    """
    block = max(1, 2**18 * x.shape[0] // x.size) if x.ndim and x.size > 2**18 else None
    if block is None:
        return bool(np.isfinite(x).all())
    return all(np.isfinite(x[i : i + block]).all() for i in range(0, x.shape[0], block))


def lookup(value: Any, registry: dict[str, Any], base: type, what: str) -> Any:
    """``value`` if it is a ``base`` instance, else a new object from ``registry[value]()``, else a clear error."""
    if isinstance(value, base):
        return value
    if not isinstance(value, str) or value not in registry:
        raise ValueError(f"{what} must be one of {sorted(registry)} or an instance of {base.__name__}, got {value!r}")
    return registry[value]()


def check_same_shape(a: np.ndarray, b: np.ndarray, names: tuple[str, str], where: Label) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{label(where)}: {names[1]} has shape {b.shape}, expected the shape of {names[0]} {a.shape}")


def mask_total(mask: np.ndarray, where: Label, *, check_signs: bool = True) -> Any:
    """Σ mask, after checking that its weights are non-negative (unless ``check_signs`` is False) and not all 0.

    ``fit`` checks the whole mask once; a loss checks each batch's, and skips the sign scan inside ``fit``.
    """
    if check_signs:
        lowest = mask.min()
        if lowest < 0:
            raise ValueError(f"{label(where)}: mask must be non-negative weights, got a minimum of {lowest}")
    total = mask.sum()  # of non-negative weights: 0 only when every weight is 0
    if total == 0:
        raise ValueError(f"{label(where)}: mask has no observed entry (all weights are 0)")
    return total


def check_int(value: Any, name: str, where: str, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer ≥ ``minimum`` (bool is refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an integer, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be ≥ {minimum}, got {value}")
    return int(value)


def check_bool(value: Any, name: str, where: str) -> bool:
    """Return ``value`` as bool if it is True or False (NumPy's bool too); raise TypeError otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def check_float(
    value: Any,
    name: str,
    where: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as float if it is a finite real number in the interval (low, high) as asked."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    too_low = v <= low if low_open else v < low
    too_high = v >= high if high_open else v > high
    if not math.isfinite(v) or too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{where}: {name} must be in {left}{low}, {high}{right}, got {value!r}")
    return v
