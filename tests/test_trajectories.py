"""Training with the fast kernels (``model.fit``) and with the textbook's plain loop on the textbook kernels
(``textbook.fit``), from the same weights and batch order, ends at the same parameters.

The two differ only in rounding: the fast Dense sums dL/db with a BLAS product, the fast Adam folds its bias
corrections, the fused softmax log-likelihood sums in another order (tests/test_kernels.py bounds each). Over
100 epochs of the founding example those differences stay near 1e-16; the tests allow 1e-12 (float64).
"""

from __future__ import annotations

import numpy as np

import autoencoder_np as ae
from autoencoder_np import textbook

TOLERANCE = 1e-12


def _gap(a: ae.Container, b: ae.Container) -> float:
    assert a.flat is not None
    assert b.flat is not None
    return float(np.abs(a.flat.params - b.flat.params).max())


def test_the_founding_example_trained_100_epochs_both_ways_ends_at_the_same_weights() -> None:
    X = np.random.default_rng(1).random((100, 10))
    quick = ae.Autoencoder.from_sizes([10, 5], seed=0)
    plain = ae.Autoencoder.from_sizes([10, 5], seed=0, kernels="textbook")
    assert _gap(quick, plain) == 0.0
    history = quick.fit(X, epochs=100, batch_size=32, optimizer=ae.Adam(lr=1e-3), loss=ae.MSELoss(), seed=1, verbose=0)
    losses = textbook.fit(plain, X, loss=ae.MSELoss(), optimizer=ae.Adam(lr=1e-3), epochs=100, batch_size=32, seed=1)
    assert _gap(quick, plain) <= TOLERANCE
    assert quick.optimizer is not None
    assert quick.optimizer.t == 400  # the same 400 steps
    assert losses[-1] < losses[0]
    assert history["loss"][-1] < 1 / 12  # both learned, not only agreed


def test_a_masked_autorec_size_epoch_both_ways_ends_at_the_same_weights() -> None:
    rng = np.random.default_rng(0)
    observed = (rng.random((600, 1682)) < 0.06).astype(float)
    ratings = rng.integers(1, 6, observed.shape) * observed

    def autorec(kernels: str) -> ae.Autoencoder:
        encoder = ae.Sequential([ae.Dense(1682, 500, rng=1), ae.Sigmoid()])
        return ae.Autoencoder(encoder, ae.Sequential([ae.Dense(500, 1682, rng=2), ae.Identity()]), kernels=kernels)

    quick, plain = autorec("fast"), autorec("textbook")
    quick.fit(ratings, mask=observed, epochs=1, batch_size=256, optimizer=ae.Adam(), loss="mse", seed=3, verbose=0)
    textbook.fit(
        plain, ratings, mask=observed, loss=ae.MSELoss(), optimizer=ae.Adam(), epochs=1, batch_size=256, seed=3
    )
    assert _gap(quick, plain) <= TOLERANCE
    assert _gap(quick, autorec("fast")) > 1e-4  # it did train


def test_mult_dae_steps_with_dropout_both_ways_end_at_the_same_weights() -> None:
    items = 2000
    clicks = (np.random.default_rng(0).random((1000, items)) < 0.01).astype(float)

    def mult_dae(kernels: str) -> ae.Autoencoder:
        encoder = [ae.Dropout(0.5, rng=5), ae.Dense(items, 600, rng=1), ae.Tanh(), ae.Dense(600, 200, rng=2), ae.Tanh()]
        decoder = [ae.Dense(200, 600, rng=3), ae.Tanh(), ae.Dense(600, items, rng=4), ae.Identity()]
        return ae.Autoencoder(ae.Sequential(encoder), ae.Sequential(decoder), kernels=kernels)

    quick, plain = mult_dae("fast"), mult_dae("textbook")
    masks: dict[str, list[np.ndarray]] = {"fast": [], "textbook": []}
    for model in (quick, plain):  # record the keep masks: both sets must see the same ones
        dropout = model.encoder.layers[0]
        draw = dropout.draw_keep
        dropout.draw_keep = lambda shape, d=draw, k=model.kernels: masks[k].append(d(shape)) or masks[k][-1]
    quick.fit(clicks, epochs=1, batch_size=500, optimizer=ae.Adam(), loss="multinomial", seed=3, verbose=0)
    textbook.fit(plain, clicks, loss=ae.MultinomialLoss(), optimizer=ae.Adam(), epochs=1, batch_size=500, seed=3)
    assert len(masks["fast"]) == len(masks["textbook"]) == 2
    for a, b in zip(masks["fast"], masks["textbook"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert _gap(quick, plain) <= TOLERANCE
