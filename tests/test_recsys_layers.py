"""The recommenders' new layers, each backward against finite differences (noise held fixed), and whole networks."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, batch_sizes, feature_sizes, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np.losses import BCEWithLogitsLoss, MultinomialLoss
from autoencoder_np.recsys import CDAE, L2Normalize, MultDAE, MultVAE, RegularizedDense, UserNode
from autoencoder_np.variational import GaussianSample


def _off_the_zero_vector(x: np.ndarray) -> bool:
    """x / ‖x‖ is not differentiable at 0: every row keeps a norm of at least 0.1."""
    return bool(np.all(np.linalg.norm(x, axis=1) >= 0.1))


@given(x=ae.testing.inputs_for(L2Normalize(), shape=shapes).filter(_off_the_zero_vector), seed=seeds)
def test_l2_normalize_backward_matches_finite_differences(x: np.ndarray, seed: int) -> None:
    ae.testing.assert_layer_gradients(L2Normalize(), x, rtol=SMOOTH_RTOL, seed=seed)


def test_l2_normalize_gives_unit_rows_and_passes_zero_rows() -> None:
    layer = L2Normalize()
    y = layer.forward(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(y, [[0.6, 0.8], [0.0, 0.0]])
    grad_x = layer.backward(np.array([[1.0, 0.0], [2.0, -1.0]]))
    np.testing.assert_allclose(grad_x, [[0.64 / 5, -0.48 / 5], [2.0, -1.0]])  # (g − y (y·g)) / ‖x‖


#: x = [μ, log σ²]: (batch, 2·d), every entry at least 1e-3 from 0. log σ² = 0 is the minimum of the KL term:
#: its derivative is 0 there, and at x = 0 (L = 0) the check would compare that 0 with its truncation error.
_means_and_logvars = ae.testing.arrays(st.tuples(batch_sizes, feature_sizes.map(lambda d: 2 * d)), kinks=(0.0,))


@given(x=_means_and_logvars, seed=seeds, beta=st.floats(0.0, 2.0), training=st.booleans())
def test_gaussian_sample_backward_matches_finite_differences(
    x: np.ndarray, seed: int, beta: float, training: bool
) -> None:
    layer = GaussianSample(beta, rng=seed).train(training)
    ae.testing.assert_layer_gradients(layer, x, rtol=SMOOTH_RTOL, seed=seed)


def test_gaussian_sample_draws_in_training_returns_the_mean_at_inference_and_adds_the_kl() -> None:
    mu, logvar = np.array([[1.0, -2.0]]), np.array([[0.0, np.log(4.0)]])
    layer = GaussianSample(0.5, rng=0)
    z = layer.forward(np.concatenate([mu, logvar], axis=1))
    eps = np.random.default_rng(0).standard_normal((1, 2))
    np.testing.assert_allclose(z, mu + np.array([[1.0, 2.0]]) * eps)
    # KL = ½ Σ (σ² + μ² − 1 − log σ²) = ½[(1 + 1 − 1 − 0) + (4 + 4 − 1 − log 4)]
    assert layer.aux_loss() == pytest.approx(0.5 * 0.5 * (1 + 7 - np.log(4.0)))
    layer.eval()
    np.testing.assert_array_equal(layer.forward(np.concatenate([mu, logvar], axis=1)), mu)
    with pytest.raises(ValueError, match=r"\(batch, 2·d\)"):
        layer.forward(np.ones((2, 3)))


@given(data=st.data(), size=feature_sizes, seed=seeds)
def test_user_node_backward_matches_finite_differences(data: st.DataObject, size: int, seed: int) -> None:
    layer = UserNode(3, size, rng=seed)
    x = data.draw(ae.testing.inputs_for(layer, shape=st.tuples(batch_sizes, st.just(size))))
    users = data.draw(st.lists(st.integers(0, 2), min_size=len(x), max_size=len(x)))
    layer.users = np.array(users)  # repeats exercise the scatter-add
    ae.testing.assert_layer_gradients(layer, x, rtol=SMOOTH_RTOL, seed=seed)


def test_user_node_adds_each_rows_user_vector_and_none_means_new_users() -> None:
    layer = UserNode(2, 3, rng=0)
    V = layer.params["V"].copy()
    x = np.zeros((3, 3))
    layer.users = np.array([1, 0, 1])
    np.testing.assert_array_equal(layer.forward(x), V[[1, 0, 1]])
    layer.backward(np.ones((3, 3)))
    np.testing.assert_array_equal(layer.grads["V"], [[1, 1, 1], [2, 2, 2]])
    layer.users = None
    np.testing.assert_array_equal(layer.forward(x), x)
    layer.users = np.array([0, 5, 1])
    with pytest.raises(ValueError, match=r"users must lie in \[0, 2\)"):
        layer.forward(x)
    layer.users = np.array([0, 1])
    with pytest.raises(ValueError, match="users must be 3 integer indices"):
        layer.forward(x)


@given(data=st.data(), n_in=feature_sizes, n_out=feature_sizes, seed=seeds, l2=st.floats(0.0, 3.0))
def test_regularized_dense_backward_includes_the_penalty(
    data: st.DataObject, n_in: int, n_out: int, seed: int, l2: float
) -> None:
    layer = RegularizedDense(n_in, n_out, l2=l2, rng=seed)
    x = data.draw(ae.testing.inputs_for(layer, batch=batch_sizes))
    ae.testing.assert_layer_gradients(layer, x, rtol=SMOOTH_RTOL, seed=seed)
    W = layer.params["W"]
    assert layer.aux_loss() == pytest.approx(0.5 * l2 * np.sum(W * W))


def _clicks(seed: int, shape: tuple[int, int]) -> np.ndarray:
    X = (np.random.default_rng(seed).random(shape) < 0.4).astype(np.float64)
    X[:, 0] = 1.0  # no empty row
    return X


@pytest.mark.parametrize("seed", [0, 1])
def test_whole_mult_vae_network_with_its_loss_and_kl_passes_the_check(seed: int) -> None:
    model = MultVAE((5, 3), l2=0.1, dtype="float64", seed=seed)
    model.n_items_ = 6
    network = model._build(np.random.default_rng(seed))
    model.sampler_.beta = 0.2
    ae.testing.assert_model_gradients(network, _clicks(seed, (3, 6)), MultinomialLoss(), rtol=1e-6)


def test_whole_mult_dae_network_passes_the_check() -> None:
    model = MultDAE((4,), l2=0.1, dtype="float64")
    model.n_items_ = 6
    network = model._build(np.random.default_rng(3))
    ae.testing.assert_model_gradients(network, _clicks(3, (3, 6)), MultinomialLoss(), rtol=1e-6)


def test_whole_cdae_network_with_masked_bce_passes_the_check() -> None:
    model = CDAE(4, l2=0.1, dtype="float64")
    model.n_users_, model.n_items_ = 5, 6
    network = model._build(np.random.default_rng(2))
    model.node_.users = np.array([4, 0, 4])
    X = _clicks(2, (3, 6))
    mask = np.maximum(X, np.random.default_rng(5).random(X.shape) < 0.3)
    ae.testing.assert_model_gradients(network, X, BCEWithLogitsLoss(), mask=mask, rtol=1e-6)
