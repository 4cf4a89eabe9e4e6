"""Hypothesis strategies that draw what a gradient check needs: inputs away from kinks, masks, models.

::

    @given(x=ae.testing.inputs_for(MyLayer(4, 3)))
    def test_my_layer(x):
        ae.testing.assert_layer_gradients(MyLayer(4, 3), x)

Inputs are float64, shape (batch, in_features) with a batch of 3 to 6 (at least 3, so the diagnosis can
tell a missing mean over a batch of 2 from a doubled term), values in [−3, 3] (logits stay far from
saturation) and at least ``KINK_MARGIN`` = 1e-3 (≫ the checker's step, 6e-6) from every declared kink.
Every entry is drawn on its own: hypothesis's default fills most of an array with one value, and a
constant array hides a mixed-up index (x[::-1]) or a derivative right at one value only (1 − tanh x
instead of 1 − tanh² x is right at 0).
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..gradcheck.subjects import named_leaves, noise_freezer
from ..model import Autoencoder

VALUE_RANGE = 3.0
KINK_MARGIN = 1e-3
TARGET_MARGIN = 1e-2
BATCH_SIZES = st.integers(min_value=3, max_value=6)
FEATURE_SIZES = st.integers(min_value=1, max_value=5)
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")

Shape = tuple[int, ...] | st.SearchStrategy[tuple[int, ...]]
Size = int | st.SearchStrategy[int]


def _sizes(size: Size) -> st.SearchStrategy[int]:
    return size if isinstance(size, st.SearchStrategy) else st.just(int(size))


def _shapes(
    shape: Shape | None, features: Size | None, batch: Size | None = None
) -> st.SearchStrategy[tuple[int, ...]]:
    if isinstance(shape, st.SearchStrategy):
        return shape
    if shape is not None:
        return st.just(tuple(int(n) for n in shape))
    return st.tuples(
        BATCH_SIZES if batch is None else _sizes(batch), FEATURE_SIZES if features is None else _sizes(features)
    )


def values_between(
    low: float, high: float, kinks: Sequence[float] = (), margin: float = KINK_MARGIN
) -> st.SearchStrategy[float]:
    """Finite floats in [low, high], none closer than ``margin`` to a kink."""
    intervals = [(float(low), float(high))]
    for k in sorted(kinks):
        intervals = [
            piece
            for a, b in intervals
            for piece in ((a, min(b, k - margin)), (max(a, k + margin), b))
            if piece[0] <= piece[1]
        ]
    if not intervals:
        raise ValueError(f"values_between: no value in [{low}, {high}] is {margin} away from the kinks {list(kinks)}")
    return st.one_of(*[st.floats(a, b, allow_nan=False, allow_infinity=False) for a, b in intervals])


def arrays(
    shape: Shape,
    *,
    low: float = -VALUE_RANGE,
    high: float = VALUE_RANGE,
    kinks: Sequence[float] = (),
    margin: float = KINK_MARGIN,
) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` (a shape or a strategy of shapes), every entry drawn on its own from
    [low, high] and kept ``margin`` away from each kink: the inputs of a plain function,
    ``assert_function_gradients(relu_forward, relu_backward, x, kinks=(0.0,))``."""
    bounds = (float(low), float(high), tuple(float(k) for k in kinks), float(margin))
    if isinstance(shape, st.SearchStrategy):
        return shape.flatmap(lambda s: _arrays_of_shape(tuple(s), *bounds))
    return _arrays_of_shape(tuple(int(n) for n in shape), *bounds)


@functools.lru_cache(maxsize=1024)
def _arrays_of_shape(
    shape: tuple[int, ...], low: float, high: float, kinks: tuple[float, ...], margin: float
) -> st.SearchStrategy[np.ndarray]:
    """One strategy per shape and range, made once: hypothesis validates each new strategy it draws from,
    which costs more than drawing a small array."""
    return hnp.arrays(np.float64, shape, elements=values_between(low, high, kinks, margin), fill=st.nothing())


def _clear_of_kinks(layer: Any, margin: float) -> Any:
    """A test on x: every kinked leaf's input in ``layer.forward(x)`` is ``margin`` away from its kinks.

    On a copy of the layer as it is now. With noise layers, under both of the next two draws of noise: a
    check runs one forward before it holds the noise fixed, so it uses the second.
    """
    twin = copy.deepcopy(layer)
    leaves = [leaf for _, leaf in named_leaves(twin)]
    kinked = [leaf for leaf in leaves if getattr(leaf, "kinks", ())]
    draws = 2 if any(isinstance(getattr(leaf, "rng", None), np.random.Generator) for leaf in leaves) else 1
    reset = noise_freezer(twin)

    def clear(x: np.ndarray) -> bool:
        reset()
        for _ in range(draws):
            twin.forward(x)
            if not all(np.all(np.abs(leaf.cache["x"] - k) >= margin) for leaf in kinked for k in leaf.kinks):
                return False
        return True

    return clear


def inputs_for(
    layer: Any,
    *,
    shape: Shape | None = None,
    batch: Size | None = None,
    low: float = -VALUE_RANGE,
    high: float = VALUE_RANGE,
    margin: float = KINK_MARGIN,
) -> st.SearchStrategy[np.ndarray]:
    """Inputs x for ``layer`` (a layer or a model), float64, kept ``margin`` away from its declared kinks.

    Args:
        layer: reads the first ``in_features`` of its leaves, and every leaf's ``kinks``.
        shape: a shape or a strategy of shapes; default (batch, in_features), or (batch, 1…5) without one.
        batch: the batch size or a strategy of sizes, when no shape is given; default 3…6.
        low, high: the range of the values.
        margin: the distance kept from a kink: the values of a first kinked leaf (ReLU itself) are drawn
            away from it; a kink deeper in (the ReLU after a Dense) is kept away by rejecting the inputs
            whose forward pass comes closer (on a copy of the layer as it is now, under the noise a check
            of it draws).
    """
    if shape is not None and batch is not None:
        raise ValueError("inputs_for: give shape or batch, not both (the shape holds the batch)")
    leaves = [leaf for _, leaf in named_leaves(layer)]
    features = next((f for f in (getattr(leaf, "in_features", None) for leaf in leaves) if isinstance(f, int)), None)
    drawn = arrays(
        _shapes(shape, features, batch), low=low, high=high, kinks=getattr(leaves[0], "kinks", ()), margin=margin
    )
    if any(getattr(leaf, "kinks", ()) for leaf in leaves[1:]):
        drawn = drawn.filter(_clear_of_kinks(layer, margin))
    return drawn


def _observe_one(case: tuple[np.ndarray, int, np.ndarray]) -> np.ndarray:
    mask, k, weight = case
    mask.flat[k] = 1.0
    return mask * weight


def masks(shape: Shape, *, weights: tuple[float, float] | None = None) -> st.SearchStrategy[np.ndarray]:
    """0/1 float64 masks of ``shape`` (a shape or a strategy of shapes) with at least one observed entry.

    weights: (low, high) for weighted masks: each observed entry weighs a value in [low, high], not 1.
    """
    weighed = None if weights is None else (float(weights[0]), float(weights[1]))
    return _shapes(shape, None).flatmap(lambda s: _masks_of_shape(tuple(s), weighed))


@functools.lru_cache(maxsize=1024)
def _masks_of_shape(shape: tuple[int, ...], weights: tuple[float, float] | None) -> st.SearchStrategy[np.ndarray]:
    entries = hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0]), fill=st.nothing())
    weight = st.just(np.ones(shape)) if weights is None else arrays(shape, low=weights[0], high=weights[1])
    return st.tuples(entries, st.integers(0, max(math.prod(shape) - 1, 0)), weight).map(_observe_one)


def _takes_a_mask(loss: Any) -> bool:
    ones = np.full((3, 2), 0.5)
    try:
        getattr(loss, "forward", loss)(ones, ones, np.ones((3, 2)))
    except (ValueError, TypeError):
        return False
    return True


def _apart(margin: float) -> Any:
    """(pred, target, mask) with every target entry moved to at least ``margin`` from pred (staying in [0, 1])."""

    def move(case: tuple[np.ndarray, np.ndarray, Any]) -> tuple[np.ndarray, np.ndarray, Any]:
        pred, target, mask = case
        away = np.where(pred + margin <= 1.0, pred + margin, pred - margin)
        return pred, np.where(np.abs(target - pred) < margin, away, target), mask

    return move


def loss_inputs(
    loss: Any,
    *,
    shape: Shape | None = None,
    masked: bool | None = None,
    low: float = 0.05,
    high: float = 0.95,
    margin: float = TARGET_MARGIN,
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """(pred, target, mask) for ``loss`` (a loss, or a plain ``forward(pred, target[, mask])``): pred in
    [low, high], by default [0.05, 0.95] (valid as probabilities and as logits), target in [0, 1] and
    ``margin`` away from pred in every entry, mask a 0/1 array or None; shape default (3…6, 1…5).

    Where pred = target an MSE or BCE term sits at its minimum: its derivative is 0, and a relative error
    would compare 0 with the truncation error of the finite differences (hypothesis draws such ties often);
    the default margin, 1e-2, keeps that error below 1e-7 of the derivative for BCE with pred ≥ 0.02.

    masked: True always a mask, False never, None both when the loss takes one (tried once, here).
    """
    if masked is None:
        masked = None if _takes_a_mask(loss) else False
    return _shapes(shape, None).flatmap(lambda s: _loss_inputs_of_shape(tuple(s), masked, low, high, margin))


@functools.lru_cache(maxsize=1024)
def _loss_inputs_of_shape(
    shape: tuple[int, ...], masked: bool | None, low: float, high: float, margin: float
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    mask: st.SearchStrategy[np.ndarray | None] = {True: masks(shape), False: st.none()}.get(
        masked, st.one_of(st.none(), masks(shape))
    )
    return st.tuples(arrays(shape, low=low, high=high), arrays(shape, low=0.0, high=1.0), mask).map(_apart(margin))


@st.composite
def models(
    draw: st.DrawFn,
    *,
    in_features: Size | None = None,
    max_depth: int = 2,
    max_width: int = 4,
    activations: Sequence[str] = ACTIVATIONS,
    corrupt: bool = True,
) -> Autoencoder:
    """Small random autoencoders from the library's layers: n → h1 → … → h1 → n, float64, seeded.

    Args:
        in_features: n, or a strategy of n; default 2…6.
        max_depth: at most this many hidden sizes.
        max_width: at most this many units in a hidden layer (at least 1).
        activations: the hidden and output activations to draw from.
        corrupt: also draw input dropout (rate 0 or 0.3) and Gaussian noise (σ 0 or 0.1).
    """
    n = draw(st.integers(2, 6) if in_features is None else _sizes(in_features))
    hidden = draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_depth))
    return Autoencoder.from_sizes(
        [n, *hidden],
        hidden_activation=draw(st.sampled_from(activations)),
        output_activation=draw(st.sampled_from(activations)),
        seed=draw(st.integers(0, 2**32 - 1)),
        input_dropout=draw(st.sampled_from([0.0, 0.3])) if corrupt else 0.0,
        input_noise=draw(st.sampled_from([0.0, 0.1])) if corrupt else 0.0,
    )
