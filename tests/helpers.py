"""Hypothesis strategies and small helpers shared by the tests."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

seeds = st.integers(min_value=0, max_value=2**32 - 1)
batch_sizes = st.integers(min_value=1, max_value=4)
feature_sizes = st.integers(min_value=1, max_value=6)

#: x: (batch, features) for a layer that takes any number of features.
shapes = st.tuples(batch_sizes, feature_sizes)

#: The tolerance of gradient checks of smooth functions (the checker's default is 1e-6).
SMOOTH_RTOL = 1e-7


def uniform(seed: int, shape: tuple[int, ...], low: float = -3.0, high: float = 3.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape)


_FUZZ_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int8, np.uint8, np.bool_, np.complex128]
_EXTREMES = [0.0, -1.0, 1e4, -1e4, 1e19, 3e38, -3e38, 1e154, -1e300, 1.7e308, -1.79e308, 5e-324, np.nan, np.inf]
# The float32 values exactly (hypothesis refuses a value the dtype rounds, and NumPy < 2 compares in float64).
_EXTREMES_32 = [
    float(np.float32(v)) for v in (0.0, -1.0, 1e4, -1e4, 1e19, -1e19, 3.4e38, -3.4e38, 1e-45, np.nan, -np.inf)
]
_NOT_NUMERIC_ARRAYS = [
    None,
    "abc",
    3,
    2.5,
    b"bytes",
    {},
    [[1.0, 2.0], [3.0]],  # ragged
    [[]],
    np.array([[1, None]], dtype=object),
    np.full((2, 3), "x"),
    np.array(["2020-01-01"], dtype="datetime64[D]"),
    np.zeros(2, dtype=[("a", "f8")]),
]


def malformed_arrays(features: int) -> st.SearchStrategy[object]:
    """What a careless caller passes where x: (batch, features) belongs.

    Any numeric dtype (integers, bool, float16, complex), 0 to 3 dimensions with empty sides, or the right
    shape with any values (NaN, ±inf, ±1.8e308, subnormals), the right shape with extreme values only, and
    things that are no numeric array at all.
    """
    right_shape = st.tuples(st.integers(1, 3), st.just(features))
    shapes = st.one_of(right_shape, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    extremes = st.one_of(
        hnp.arrays(np.float64, right_shape, elements=st.sampled_from(_EXTREMES)),
        hnp.arrays(np.float32, right_shape, elements=st.sampled_from(_EXTREMES_32)),
    )
    return st.one_of(
        hnp.arrays(dtype=st.sampled_from(_FUZZ_DTYPES), shape=shapes), extremes, st.sampled_from(_NOT_NUMERIC_ARRAYS)
    )


class PlainScale:
    """A layer of one's own: plain dicts, no base class, a new gradient array at every backward. y = x·s."""

    def __init__(self) -> None:
        self.params = {"s": np.array([2.0])}
        self.grads = {"s": np.zeros(1)}
        self.cache: dict[str, Any] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache["x"] = x
        return x * self.params["s"]

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self.grads["s"] = np.array([np.sum(grad_y * self.cache["x"])])
        return grad_y * self.params["s"]
