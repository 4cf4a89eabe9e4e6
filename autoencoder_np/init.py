"""Weight initializers.

Each takes ``shape``, an ``rng`` (a ``np.random.Generator``, an int seed, or None for fresh entropy) and a
``dtype``, and returns a new array. For a weight matrix of shape (fan_in, fan_out):

=================  ==========================================  ===========================
name               distribution                                reference
=================  ==========================================  ===========================
glorot_uniform     U(−a, a),  a = √(6 / (fan_in + fan_out))    Glorot & Bengio 2010
glorot_normal      N(0, σ²),  σ = √(2 / (fan_in + fan_out))    Glorot & Bengio 2010
he_uniform         U(−a, a),  a = √(6 / fan_in)                He et al. 2015
he_normal          N(0, σ²),  σ = √(2 / fan_in)                He et al. 2015
zeros              0
=================  ==========================================  ===========================

The normal forms are plain (not truncated) normals. Glorot keeps the variance of activations and of
gradients roughly constant through tanh/sigmoid layers; He does the same for ReLU, which zeroes half its input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .validation import check_dtype

Initializer = Callable[..., np.ndarray]


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return ``rng`` if it is a Generator, else ``np.random.default_rng(rng)`` (an int seed or None)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is not None and (isinstance(rng, bool) or not isinstance(rng, (int, np.integer))):
        raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")
    if rng is not None and rng < 0:
        raise ValueError(f"rng: a seed must be ≥ 0, got {rng}")
    return np.random.default_rng(rng)


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape: (in, out) for a matrix, (n, n) for a vector."""
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


def _real(dtype: Any) -> np.dtype:
    return check_dtype(dtype, "init")


def glorot_uniform(
    shape: tuple[int, ...], rng: np.random.Generator | int | None = None, dtype: Any = np.float64
) -> np.ndarray:
    """U(−a, a) with a = √(6 / (fan_in + fan_out)).  Returns an array of ``shape``."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return as_generator(rng).uniform(-limit, limit, size=shape).astype(_real(dtype))


def glorot_normal(
    shape: tuple[int, ...], rng: np.random.Generator | int | None = None, dtype: Any = np.float64
) -> np.ndarray:
    """N(0, σ²) with σ = √(2 / (fan_in + fan_out)).  Returns an array of ``shape``."""
    fan_in, fan_out = _fans(shape)
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return as_generator(rng).normal(0.0, std, size=shape).astype(_real(dtype))


def he_uniform(
    shape: tuple[int, ...], rng: np.random.Generator | int | None = None, dtype: Any = np.float64
) -> np.ndarray:
    """U(−a, a) with a = √(6 / fan_in).  Returns an array of ``shape``."""
    fan_in, _ = _fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return as_generator(rng).uniform(-limit, limit, size=shape).astype(_real(dtype))


def he_normal(
    shape: tuple[int, ...], rng: np.random.Generator | int | None = None, dtype: Any = np.float64
) -> np.ndarray:
    """N(0, σ²) with σ = √(2 / fan_in).  Returns an array of ``shape``."""
    fan_in, _ = _fans(shape)
    std = np.sqrt(2.0 / fan_in)
    return as_generator(rng).normal(0.0, std, size=shape).astype(_real(dtype))


def zeros(shape: tuple[int, ...], rng: np.random.Generator | int | None = None, dtype: Any = np.float64) -> np.ndarray:
    """All zeros (``rng`` is accepted for a uniform signature and ignored)."""
    return np.zeros(shape, dtype=_real(dtype))


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "zeros": zeros,
}


def get(init: str | Initializer) -> Initializer:
    """Look an initializer up by name, or return a callable unchanged."""
    if callable(init):
        return init
    if not isinstance(init, str) or init not in INITIALIZERS:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)} or a callable, got {init!r}")
    return INITIALIZERS[init]
