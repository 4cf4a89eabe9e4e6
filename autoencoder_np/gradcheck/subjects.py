"""Layers as the checker sees them: their leaves, their kinks, their noise, and float64 or complex copies."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from .finite_differences import Probe


def named_leaves(layer: Any) -> list[tuple[str, Any]]:
    """(path, layer) for the non-container layers of ``layer`` in forward order (("", layer) for a leaf)."""
    if hasattr(layer, "_named_leaves"):
        return list(layer._named_leaves())
    return [("", layer)]


def kink_probe(layer: Any) -> Probe | None:
    """A function returning, after a forward, which side of its kinks every kinked layer's input is on.

    A layer declares its kinks as the values of its cached input ``cache["x"]`` where its derivative jumps
    (``kinks = (0.0,)`` for ReLU). None when no leaf declares any.
    """
    kinked = [leaf for _, leaf in named_leaves(layer) if getattr(leaf, "kinks", ())]
    if not kinked:
        return None

    def probe() -> np.ndarray:
        return np.concatenate([(leaf.cache["x"] > k).ravel() for leaf in kinked for k in leaf.kinks])

    return probe


def noise_freezer(layer: Any) -> Callable[[], None]:
    """A function that resets every random layer's generator, so each forward draws the same noise."""
    generators = [
        leaf.rng for _, leaf in named_leaves(layer) if isinstance(getattr(leaf, "rng", None), np.random.Generator)
    ]
    states = [g.bit_generator.state for g in generators]

    def reset() -> None:
        for g, s in zip(generators, states, strict=True):
            g.bit_generator.state = s

    return reset


def copy_as(layer: Any, dtype: Any) -> Any:
    """A deep copy of ``layer`` whose parameters and gradients are ``dtype`` arrays.

    Works for plain-dict params and grads (each key bound to a new array) and for stores that must keep
    their buffers (``rebind``), repacking a container that keeps flat buffers (``_pack``).
    """
    copied = copy.deepcopy(layer)
    for _, leaf in named_leaves(copied):
        for store in (leaf.params, leaf.grads):
            for key in list(store):
                value = np.asarray(store[key]).astype(dtype)
                if hasattr(store, "rebind"):
                    store.rebind(key, value)
                else:
                    store[key] = value
    if hasattr(copied, "_pack"):
        copied._pack()
    return copied


def float64(layer: Any) -> tuple[Any, str | None]:
    """``layer`` itself when its parameters are float64, else a float64 copy and a note saying so."""
    dtype = getattr(layer, "dtype", None)
    if dtype is None or dtype == np.float64:
        return layer, None
    return copy_as(layer, np.float64), f"{dtype} parameters were copied to float64 for the check"
