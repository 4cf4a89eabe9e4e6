"""The benchmark cases: data, the autoencoder_np model, its loss and its training settings.

1. founding: 100×10 uniform data, 10→5→10 ReLU/sigmoid, MSE, Adam, 100 epochs, batch 32 (the whole fit).
2. autorec: 943×1682 ratings (about 6% observed, values 1–5), 1682→500→1682 sigmoid/identity, masked MSE,
   batch 256 (one epoch).
3. multdae: 6000×10000 binary (about 1% ones), 10000→600→200→600→10000 tanh, input dropout 0.5, softmax
   log-likelihood, batch 500 (one epoch).
4. scaling: case 3's model and density on fewer users, as the number of items grows (one epoch each).
5. gowalla: Gowalla's published split (or a synthetic one of its shape), 40 981 items, Mult-VAE
   40981→600→200→600→40981 from a CSR, float32, batch 500 (one epoch; ``benchmarks.gowalla``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autoencoder_np as ae
from autoencoder_np.sparse import CSR

SCALING_ITEMS = (1000, 2000, 5000, 10000, 20000)


@dataclass
class Case:
    """One benchmark case: data, model recipe and training settings. ``epochs`` epochs make one timed run.

    ``X`` is a dense array or a CSR (fit densifies it one batch at a time). ``trainers`` replaces a competitor's
    trainer class for this case; ``extra(ours, reps)`` measures more after the timed rounds (a dict for the JSON).
    """

    name: str
    X: np.ndarray | CSR
    mask: np.ndarray | None
    build: Any  # (dtype, dropout: bool) -> ae.Autoencoder with deterministic weights
    loss: str
    batch_size: int
    epochs: int
    lr: float = 1e-3
    info: dict[str, Any] = field(default_factory=dict)
    short: bool = False  # a run takes milliseconds: the worker gives it more rounds to steady its medians
    trainers: dict[str, Any] = field(default_factory=dict)
    extra: Callable[[Any, int], dict[str, Any]] | None = None

    def model(self, dtype: Any, dropout: bool = True) -> ae.Autoencoder:
        return self.build(dtype, dropout)

    def data(self, dtype: Any) -> tuple[np.ndarray | CSR, np.ndarray | None]:
        """X and mask in ``dtype`` (so fit casts nothing)."""
        X = self.X if self.X.dtype == dtype else self.X.astype(dtype)
        return X, None if self.mask is None else self.mask.astype(dtype, copy=False)

    def first_rows(self, rows: int) -> Case:
        """The case on its first ``rows`` rows only."""
        if isinstance(self.X, CSR):
            return dataclasses.replace(self, X=self.X.rows(np.arange(min(rows, self.X.shape[0]))))
        return dataclasses.replace(self, X=self.X[:rows], mask=None if self.mask is None else self.mask[:rows])


def sparse_binary(rows: int, cols: int, density: float, seed: int) -> np.ndarray:
    """A float32 0/1 matrix with about ``density`` ones, built without a dense random temporary."""
    rng = np.random.default_rng(seed)
    X = np.zeros((rows, cols), np.float32)
    count = int(rows * cols * density)
    X[rng.integers(0, rows, count), rng.integers(0, cols, count)] = 1.0
    return X


def founding() -> Case:
    X = ae.datasets.founding_example(1).astype(np.float32)

    def build(dtype: Any, dropout: bool) -> ae.Autoencoder:
        return ae.Autoencoder.from_sizes(
            [10, 5], hidden_activation="relu", output_activation="sigmoid", seed=0, dtype=dtype
        )

    return Case(
        "founding", X, None, build, "mse", batch_size=32, epochs=100, info={"unit": "whole fit (100 epochs)"},
        short=True,
    )  # fmt: skip


def autorec(users: int = 943, items: int = 1682) -> Case:
    mask = sparse_binary(users, items, 0.065, seed=1)  # ≈ 6.3% observed after collisions, as MovieLens-100K
    ratings = np.random.default_rng(2).integers(1, 6, size=(users, items)).astype(np.float32) * mask

    def build(dtype: Any, dropout: bool) -> ae.Autoencoder:
        encoder = ae.Sequential([ae.Dense(items, 500, rng=0, dtype=dtype), ae.Sigmoid()])
        decoder = ae.Sequential([ae.Dense(500, items, rng=1, dtype=dtype), ae.Identity()])
        return ae.Autoencoder(encoder, decoder)

    return Case("autorec", ratings, mask, build, "mse", batch_size=256, epochs=1, info={"unit": "one epoch"})


def multdae(users: int = 6000, items: int = 10000, name: str = "multdae") -> Case:
    X = sparse_binary(users, items, 0.01, seed=3)

    def build(dtype: Any, dropout: bool) -> ae.Autoencoder:
        return ae.Autoencoder.from_sizes(
            [items, 600, 200], hidden_activation="tanh", output_activation="identity", seed=0, dtype=dtype,
            input_dropout=0.5 if dropout else 0.0,
        )  # fmt: skip

    return Case(name, X, None, build, "multinomial", batch_size=500, epochs=1, info={"unit": "one epoch"})


def scaling(items: int, users: int) -> Case:
    case = multdae(users, items, name=f"scaling-{items}")
    case.info["items"] = items
    return case


def dense_layers(model: ae.Autoencoder) -> list[ae.Dense]:
    """The model's Dense layers, first to last."""
    return [layer for layer in leaves(model) if isinstance(layer, ae.Dense)]


def leaves(model: ae.Autoencoder) -> list[Any]:
    """The model's layers in forward order (encoder then decoder)."""
    return [*model.encoder.layers, *model.decoder.layers]
