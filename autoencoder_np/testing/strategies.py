"""Hypothesis strategies that draw what a gradient check needs: inputs away from kinks, masks, models.

::

    @given(x=ae.testing.inputs_for(MyLayer(4, 3)))
    def test_my_layer(x):
        ae.testing.assert_layer_gradients(MyLayer(4, 3), x)

Inputs are float64, shape (batch, in_features) with a batch of 3 to 6 (at least 3, so the diagnosis can
tell a missing mean over a batch of 2 from a doubled term), values in [−3, 3] (logits stay far from
saturation) and at least ``KINK_MARGIN`` = 1e-3 (≫ the checker's step, 6e-6) from every declared kink.
"""

from __future__ import annotations

import copy
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
BATCH_SIZES = st.integers(min_value=3, max_value=6)
FEATURE_SIZES = st.integers(min_value=1, max_value=5)
ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")

Shape = tuple[int, ...] | st.SearchStrategy[tuple[int, ...]]


def _shapes(shape: Shape | None, features: int | None) -> st.SearchStrategy[tuple[int, ...]]:
    if isinstance(shape, st.SearchStrategy):
        return shape
    if shape is not None:
        return st.just(tuple(int(n) for n in shape))
    return st.tuples(BATCH_SIZES, FEATURE_SIZES if features is None else st.just(features))


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


def _clear_of_kinks(layer: Any, margin: float) -> Any:
    """A test on x: every kinked leaf's input in ``layer.forward(x)`` is ``margin`` away from its kinks."""
    twin = copy.deepcopy(layer)
    kinked = [leaf for _, leaf in named_leaves(twin) if getattr(leaf, "kinks", ())]
    reset = noise_freezer(twin)

    def clear(x: np.ndarray) -> bool:
        reset()
        twin.forward(x)
        return all(np.all(np.abs(leaf.cache["x"] - k) >= margin) for leaf in kinked for k in leaf.kinks)

    return clear


def inputs_for(
    layer: Any,
    *,
    shape: Shape | None = None,
    low: float = -VALUE_RANGE,
    high: float = VALUE_RANGE,
    margin: float = KINK_MARGIN,
) -> st.SearchStrategy[np.ndarray]:
    """Inputs x for ``layer`` (a layer or a model), float64, kept ``margin`` away from its declared kinks.

    Args:
        layer: reads the first ``in_features`` of its leaves, and every leaf's ``kinks``.
        shape: a shape or a strategy of shapes; default (3…6, in_features), or (3…6, 1…5) without one.
        low, high: the range of the values.
        margin: the distance kept from a kink: the values of a first kinked leaf (ReLU itself) are drawn
            away from it; a kink deeper in (the ReLU after a Dense) is kept away by rejecting the inputs
            whose forward pass comes closer (on a copy of the layer as it is now).
    """
    leaves = [leaf for _, leaf in named_leaves(layer)]
    features = next((f for f in (getattr(leaf, "in_features", None) for leaf in leaves) if isinstance(f, int)), None)
    values = values_between(low, high, getattr(leaves[0], "kinks", ()), margin)
    drawn = hnp.arrays(np.float64, _shapes(shape, features), elements=values)
    if any(getattr(leaf, "kinks", ()) for leaf in leaves[1:]):
        drawn = drawn.filter(_clear_of_kinks(layer, margin))
    return drawn


def _observe_one(case: tuple[np.ndarray, int]) -> np.ndarray:
    mask, k = case
    mask.flat[k] = 1.0
    return mask


def masks(shape: Shape) -> st.SearchStrategy[np.ndarray]:
    """0/1 float64 masks of ``shape`` (a shape or a strategy of shapes) with at least one observed entry."""

    def of(s: tuple[int, ...]) -> st.SearchStrategy[np.ndarray]:
        entries = hnp.arrays(np.float64, s, elements=st.sampled_from([0.0, 1.0]))
        return st.tuples(entries, st.integers(0, max(math.prod(s) - 1, 0))).map(_observe_one)

    return _shapes(shape, None).flatmap(of)


def _takes_a_mask(loss: Any) -> bool:
    ones = np.full((3, 2), 0.5)
    try:
        loss.forward(ones, ones, np.ones((3, 2)))
    except (ValueError, TypeError):
        return False
    return True


def loss_inputs(
    loss: Any, *, shape: Shape | None = None, masked: bool | None = None
) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """(pred, target, mask) for ``loss``: pred in [0.05, 0.95] (valid as probabilities and as logits), target
    in [0, 1], mask a 0/1 array or None.

    masked: True always a mask, False never, None both when the loss takes one (tried once, here).
    """
    if masked is None:
        masked = None if _takes_a_mask(loss) else False

    def of(s: tuple[int, ...]) -> st.SearchStrategy[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        pred = hnp.arrays(np.float64, s, elements=st.floats(0.05, 0.95))
        target = hnp.arrays(np.float64, s, elements=st.floats(0.0, 1.0))
        mask: st.SearchStrategy[np.ndarray | None] = {True: masks(s), False: st.none()}.get(
            masked, st.one_of(st.none(), masks(s))
        )
        return st.tuples(pred, target, mask)

    return _shapes(shape, None).flatmap(of)


@st.composite
def models(
    draw: st.DrawFn,
    *,
    in_features: int | None = None,
    max_depth: int = 2,
    activations: Sequence[str] = ACTIVATIONS,
    corrupt: bool = True,
) -> Autoencoder:
    """Small random autoencoders from the library's layers: n → h1 → … → h1 → n, float64, seeded.

    Args:
        in_features: n; default 2…6.
        max_depth: at most this many hidden sizes (1…4 units each).
        activations: the hidden and output activations to draw from.
        corrupt: also draw input dropout (rate 0 or 0.3) and Gaussian noise (σ 0 or 0.1).
    """
    n = in_features if in_features is not None else draw(st.integers(2, 6))
    hidden = draw(st.lists(st.integers(1, 4), min_size=1, max_size=max_depth))
    return Autoencoder.from_sizes(
        [n, *hidden],
        hidden_activation=draw(st.sampled_from(activations)),
        output_activation=draw(st.sampled_from(activations)),
        seed=draw(st.integers(0, 2**32 - 1)),
        input_dropout=draw(st.sampled_from([0.0, 0.3])) if corrupt else 0.0,
        input_noise=draw(st.sampled_from([0.0, 0.1])) if corrupt else 0.0,
    )
