"""Sequential and Autoencoder: composition, flat parameters, whole-model gradients."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SMOOTH_RTOL, PlainScale, batch_sizes, seeds, uniform
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np.testing.strategies import ACTIVATIONS

#: n → h1 → … → h1 → n with n in 1…5, up to 3 hidden sizes of 1…5 units, every activation pair, with and
#: without input dropout and noise.
MODELS = ae.testing.models(in_features=st.integers(1, 5), max_depth=3, max_width=5)


@given(model=MODELS, data=st.data(), seed=seeds)
def test_autoencoder_backward_for_every_depth_and_activation_pair(
    model: ae.Autoencoder, data: st.DataObject, seed: int
) -> None:
    x = data.draw(ae.testing.inputs_for(model, batch=batch_sizes))  # every ReLU's input ≥ 1e-3 from 0
    report = ae.testing.assert_layer_gradients(model, x, rtol=SMOOTH_RTOL, seed=seed)
    assert report.n_kinks == 0
    # every parameter and the input are checked
    assert {row.name for row in report.rows} == {*model.params, "x (input)"}


@given(
    hidden=st.sampled_from(ACTIVATIONS),
    loss=st.sampled_from(["mse", "bce_logits"]),
    data=st.data(),
    seed=seeds,
)
def test_model_with_loss_end_to_end(hidden: str, loss: str, data: st.DataObject, seed: int) -> None:
    output = "identity" if loss == "bce_logits" else "sigmoid"
    model = ae.Autoencoder.from_sizes([5, 3, 2], hidden_activation=hidden, output_activation=output, seed=seed)
    x = data.draw(ae.testing.inputs_for(model, batch=batch_sizes, low=0.0, high=1.0))
    mask = data.draw(st.none() | ae.testing.masks(x.shape))
    ae.testing.assert_model_gradients(model, x, ae.losses.get(loss), mask=mask, rtol=SMOOTH_RTOL)


@given(seed=seeds, data=st.data())
def test_denoising_autoencoder_backward_with_noise_held_fixed(seed: int, data: st.DataObject) -> None:
    model = ae.Autoencoder.from_sizes([6, 3], input_dropout=0.5, input_noise=0.1, hidden_activation="tanh", seed=seed)
    assert model.training
    x = data.draw(ae.testing.inputs_for(model, batch=batch_sizes))
    ae.testing.assert_model_gradients(model, x, ae.MSELoss(), rtol=SMOOTH_RTOL)


def test_from_sizes_builds_the_founding_architecture() -> None:
    model = ae.Autoencoder.from_sizes([10, 5], hidden_activation="relu", output_activation="sigmoid", seed=0)
    enc, dec = model.encoder.layers, model.decoder.layers
    assert [type(layer) for layer in enc] == [ae.Dense, ae.ReLU]
    assert [type(layer) for layer in dec] == [ae.Dense, ae.Sigmoid]
    assert enc[0].params["W"].shape == (10, 5)
    assert dec[0].params["W"].shape == (5, 10)
    assert list(model.params) == ["encoder.0.W", "encoder.0.b", "decoder.0.W", "decoder.0.b"]


def test_from_sizes_deep_is_symmetric() -> None:
    model = ae.Autoencoder.from_sizes([8, 6, 4, 2], hidden_activation="tanh", output_activation="identity", seed=0)
    shapes = [v.shape for k, v in model.params.items() if k.endswith("W")]
    assert shapes == [(8, 6), (6, 4), (4, 2), (2, 4), (4, 6), (6, 8)]
    assert isinstance(model.decoder.layers[-1], ae.Identity)
    assert all(isinstance(layer, ae.Tanh) for layer in model.decoder.layers[1:-1:2])


def test_model_params_are_the_layers_arrays_in_one_flat_buffer() -> None:
    model = ae.Autoencoder.from_sizes([4, 3], seed=0)
    dense = model.encoder.layers[0]
    assert model.params["encoder.0.W"] is dense.params["W"]
    assert np.shares_memory(dense.params["W"], model.flat.params)
    assert np.shares_memory(dense.grads["W"], model.flat.grads)
    assert model.flat.params.size == 4 * 3 + 3 + 3 * 4 + 4
    model.params["encoder.0.W"] = np.zeros((4, 3))  # writing through the model reaches the layer
    assert not dense.params["W"].any()
    np.testing.assert_array_equal(model.flat.view(model.flat.params, "encoder.0.b"), dense.params["b"])


def test_packing_keeps_the_values() -> None:
    layers = [ae.Dense(3, 2, rng=0), ae.Tanh(), ae.Dense(2, 3, rng=1)]
    before = [layer.params["W"].copy() for layer in (layers[0], layers[2])]
    model = ae.Sequential(layers)
    np.testing.assert_array_equal(model.params["0.W"], before[0])
    np.testing.assert_array_equal(model.params["2.W"], before[1])


def test_sequential_forward_and_backward_chain_the_layers() -> None:
    d1, d2 = ae.Dense(3, 4, rng=0), ae.Dense(4, 2, rng=1)
    model = ae.Sequential([d1, ae.Tanh(), d2])
    x = uniform(0, (5, 3))
    y = model.forward(x)
    np.testing.assert_allclose(y, np.tanh(x @ d1.params["W"] + d1.params["b"]) @ d2.params["W"] + d2.params["b"])
    g = np.ones_like(y)
    grad_x = model.backward(g)
    h = np.tanh(x @ d1.params["W"] + d1.params["b"])
    np.testing.assert_allclose(grad_x, ((g @ d2.params["W"].T) * (1 - h**2)) @ d1.params["W"].T)


def test_encode_decode_reconstruct() -> None:
    model = ae.Autoencoder.from_sizes([6, 4, 2], seed=0, input_dropout=0.5)
    X = uniform(0, (9, 6))
    H = model.encode(X)
    assert H.shape == (9, 2)
    np.testing.assert_allclose(model.decode(H), model.reconstruct(X))  # no dropout at inference
    np.testing.assert_allclose(model.reconstruct(X), model.predict(X))
    np.testing.assert_allclose(model.reconstruct(X, batch_size=4), model.reconstruct(X))
    assert model.training  # inference mode is temporary


def test_a_non_layer_is_refused_with_what_it_lacks() -> None:
    with pytest.raises(TypeError, match="int is not a layer: it lacks params, grads, forward, backward"):
        ae.Sequential([ae.Dense(2, 2, rng=0), 3])
    with pytest.raises(ValueError, match="needs at least one layer"):
        ae.Sequential([])


def test_mixed_dtypes_and_shared_layers_are_refused() -> None:
    with pytest.raises(TypeError, match="all layers must share one dtype"):
        ae.Sequential([ae.Dense(2, 2, rng=0), ae.Dense(2, 2, rng=0, dtype=np.float32)])
    shared = ae.Dense(2, 2, rng=0)
    with pytest.raises(ValueError, match="appears twice"):
        ae.Sequential([shared, ae.ReLU(), shared])


def test_user_layers_with_plain_dicts_are_packed_and_train() -> None:
    model = ae.Sequential([ae.Dense(3, 3, rng=0), PlainScale()])
    assert model.flat is not None
    assert model.flat.params.size == 3 * 3 + 3 + 1
    assert model.layers[1].params["s"].base is model.flat.params  # packed like a Dense
    ae.testing.assert_layer_gradients(model, uniform(0, (2, 3)))
    history = model.fit(uniform(1, (8, 3)), uniform(2, (8, 3)), epochs=30, batch_size=4, verbose=0)
    assert history["loss"][-1] < history["loss"][0]
    assert model.layers[1].params["s"][0] != 2.0  # its new gradient array was copied in and trained s


def test_sequential_needs_a_target() -> None:
    model = ae.Sequential([ae.Dense(2, 2, rng=0)])
    with pytest.raises(ValueError, match="y is required for a Sequential"):
        model.fit(np.ones((4, 2)), verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": [10]}, "needs at least"),
        ({"sizes": [10, 0]}, "must be ≥ 1"),
        ({"sizes": [10, 5], "input_dropout": 1.5}, "input_dropout must be in"),
        ({"sizes": [10, 5], "hidden_activation": "swish"}, "activation must be one of"),
    ],
)
def test_from_sizes_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ae.Autoencoder.from_sizes(**kwargs)
