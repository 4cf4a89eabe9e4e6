"""Fast optimizer updates: ``textbook.sgd_step`` and ``textbook.adam_step`` in place, chunk by chunk.

The textbook returns new arrays (five temporaries per Adam step). Here every line overwrites p, m, v or one
scratch array ``work`` of p's shape, so a step allocates nothing. A model keeps all its parameters in one
flat buffer (``fast.flat``); the update then runs over that buffer in chunks of ``CHUNK_BYTES`` per array, so
each chunk's handful of passes stays in the CPU cache and memory sees p, g, m and v about once per step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

#: Bytes per array in one chunk of a flat update: p, g, the state and the scratch (5 arrays for Adam, 1.25 MiB)
#: stay in the CPU's L2/L3 cache between passes. Smaller chunks pay Python's per-call cost; larger ones spill.
CHUNK_BYTES = 256 * 1024


def chunks(size: int, itemsize: int) -> list[slice]:
    """The slices that cut a flat buffer of ``size`` entries into chunks of ``CHUNK_BYTES``."""
    step = max(1, CHUNK_BYTES // itemsize)
    return [slice(lo, min(lo + step, size)) for lo in range(0, size, step)]


def sgd_update(
    p: np.ndarray, g: np.ndarray, velocity: np.ndarray | None, work: np.ndarray, *,
    lr: float, momentum: float, nesterov: bool, weight_decay: float,
) -> None:  # fmt: skip
    """``textbook.sgd_step`` in place on p and u = ``velocity``; equal to it bitwise (the same operations)."""
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        velocity *= momentum
        velocity += g  # u ← μ·u + g
        if nesterov:
            np.multiply(velocity, momentum, out=work)
            g = np.add(work, g, out=work)  # g + μ·u
        else:
            g = velocity
    np.multiply(g, lr, out=work)
    p -= work  # p ← p − lr·g


@functools.lru_cache(maxsize=16)
def betas(dtype: np.dtype, beta1: float, beta2: float) -> tuple[np.ndarray, ...]:
    """β1, 1 − β1, β2 and 1 − β2 as read-only 0-d arrays of ``dtype``.

    NumPy multiplies an array by a 0-d array of its own dtype about 0.3 µs faster than by a Python float
    (which it converts on every call): a sixth of Adam's step on the founding example's 115 parameters.
    """
    constants = tuple(np.array(c, dtype) for c in (beta1, 1.0 - beta1, beta2, 1.0 - beta2))
    for c in constants:
        c.flags.writeable = False
    return constants


def adam_update(
    p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, work: np.ndarray, t: int, *,
    lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool,
) -> None:  # fmt: skip
    """``textbook.adam_step`` in place on p, m and v.

    m and v equal the textbook's bitwise. The step folds the bias corrections into two scalars (Kingma & Ba,
    end of section 2), which saves two passes over the buffers:

        lr · m̂ / (√v̂ + ε) = lr_t · m / (√v + ε_t),   lr_t = lr·√(1 − β2^t) / (1 − β1^t),   ε_t = ε·√(1 − β2^t)

    The two sides round differently, so p equals the textbook's within a few ulp of the step (about 4ε·lr).
    """
    # BEGIN FAST adam.step
    b1, one_minus_b1, b2, one_minus_b2 = betas(p.dtype, beta1, beta2)
    if weight_decay and not decoupled:
        g = g + weight_decay * p
    np.multiply(g, one_minus_b1, out=work)
    m *= b1
    m += work  # m ← β1·m + (1 − β1)·g
    np.multiply(g, g, out=work)
    work *= one_minus_b2
    v *= b2
    v += work  # v ← β2·v + (1 − β2)·g²
    if weight_decay and decoupled:
        p *= 1.0 - lr * weight_decay  # p ← p·(1 − lr·λ)
    root = math.sqrt(1.0 - beta2**t)
    np.sqrt(v, out=work)
    work += eps * root
    np.divide(m, work, out=work)
    work *= lr * root / (1.0 - beta1**t)
    p -= work  # p ← p − lr_t · m / (√v + ε_t)
    # END FAST


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
