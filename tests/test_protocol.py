"""Whatever a layer does to its ``params`` and ``grads`` in the usual styles, ``fit`` trains on exactly the values
it wrote, or stops at once with an error naming the layer and what to write instead.

The styles: assign a key (``self.grads["W"] = …``), assign a new dict (``self.grads = {"W": …, "b": …}``, the
CS231n / numpy-ml habit), write in place (``[...] =``, ``out=``), a plain-dict layer of one's own, and the
mistakes (a missing key, a new key, a wrong shape). Each training style is compared with the library's Dense
trained from the same weights on the same batches: same numbers up to the rounding of dL/db (the library's
fast Dense sums it with a BLAS product).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import PlainScale

import autoencoder_np as ae

X = np.random.default_rng(1).random((64, 6))


class KeyGrads(ae.Dense):
    """Assigns each gradient to its key (a ParamDict copies it into the array already there)."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x = self.cache["x"]
        self.grads["W"] = x.T @ grad_y
        self.grads["b"] = grad_y.sum(axis=0)
        return grad_y @ self.params["W"].T


class DictGrads(ae.Dense):
    """Assigns a new dict to self.grads: the habit of CS231n and numpy-ml."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x = self.cache["x"]
        self.grads = {"W": x.T @ grad_y, "b": grad_y.sum(0)}
        return grad_y @ self.params["W"].T


class InPlaceGrads(ae.Dense):
    """Writes into the gradient arrays: one with [...] =, one with out=."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        x = self.cache["x"]
        np.matmul(x.T, grad_y, out=self.grads["W"])
        self.grads["b"][...] = grad_y.sum(axis=0)
        return grad_y @ self.params["W"].T


def _model(dense: type, rng: int = 0) -> ae.Autoencoder:
    encoder = ae.Sequential([dense(6, 3, rng=rng), ae.Tanh()])
    return ae.Autoencoder(encoder, ae.Sequential([dense(3, 6, rng=rng + 1), ae.Sigmoid()]))


def _train(model: ae.Autoencoder) -> list[float]:
    return model.fit(X, epochs=20, batch_size=16, optimizer=ae.Adam(lr=0.01), seed=2, verbose=0)["loss"]


@pytest.mark.parametrize("dense", [KeyGrads, DictGrads, InPlaceGrads])
def test_each_style_of_writing_params_and_grads_trains_like_the_library_dense(dense: type) -> None:
    student, reference = _model(dense), _model(ae.Dense)
    ae.testing.assert_model_gradients(student, X[:5], ae.MSELoss())
    losses = _train(student)
    _train(reference)
    assert losses[-1] < 0.8 * losses[0]  # it learns
    assert student.flat is not None
    assert reference.flat is not None
    np.testing.assert_allclose(student.flat.params, reference.flat.params, rtol=0, atol=1e-12)
    for name, p, _ in student.parameters():  # and the layers hold what the optimizer updated
        np.testing.assert_array_equal(p, student.flat.view(student.flat.params, name))


def test_a_plain_dict_layer_without_the_base_class_trains() -> None:
    model = ae.Sequential([ae.Dense(6, 6, rng=0), PlainScale()])
    history = model.fit(X, X, epochs=30, batch_size=16, optimizer=ae.Adam(lr=0.01), seed=0, verbose=0)
    assert history["loss"][-1] < history["loss"][0]
    assert model.layers[1].params["s"][0] != 2.0


class MissingBias(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self.grads = {"W": self.cache["x"].T @ grad_y}
        return grad_y @ self.params["W"].T


class WrongShape(ae.Dense):
    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self.grads = {"W": self.cache["x"].T @ grad_y, "b": grad_y}  # (batch, out), not (out,)
        return grad_y @ self.params["W"].T


class ExtraParameter(ae.Dense):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.params["scale"] = np.ones(1)  # created after the model was built
        return super().forward(x)


@pytest.mark.parametrize(
    ("dense", "message"),
    [
        (MissingBias, r"^Dense\(6→3\): grads\['b'\] is missing \(encoder\.0\.b in the model\); backward must "),
        (WrongShape, r"^Dense\(6→3\): grads\['b'\] has shape \(16, 3\), expected \(3,\)"),
        (ExtraParameter, r"^Dense\(6→3\): params has the keys \['W', 'b', 'scale'\], but \['W', 'b'\] when"),
    ],
)
def test_a_gradient_or_parameter_the_model_cannot_train_is_an_error_at_once(dense: type, message: str) -> None:
    model = _model(dense)
    before = model.flat.params.copy() if model.flat is not None else None
    with pytest.raises(ValueError, match=message):
        model.fit(X, epochs=1, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.flat.params, before)  # nothing was updated


def test_a_key_added_to_model_params_is_refused_not_dropped() -> None:
    model = _model(ae.Dense)
    with pytest.raises(ValueError, match=r"has no 'extra' .*create a new parameter in a layer's __init__"):
        model.params["extra"] = np.ones(3)
    model.params["encoder.0.b"] = [1.0, 2.0, 3.0]  # an existing one is written into the layer's array
    np.testing.assert_array_equal(model.encoder.layers[0].params["b"], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\['encoder\.0\.b'\] has shape \(3,\), got an array of shape \(2,\)"):
        model.params["encoder.0.b"] = [1.0, 2.0]


def _step(model: ae.Layer, optimizer: ae.Optimizer, x: np.ndarray, target: np.ndarray) -> None:
    loss = ae.MSELoss()
    loss.forward(model.forward(x), target)
    model.backward(loss.backward())
    optimizer.step(model)


def test_an_optimizer_follows_its_model_into_a_bigger_model_with_its_state() -> None:
    def encoder() -> ae.Sequential:
        return ae.Sequential([ae.Dense(6, 3, rng=0), ae.Tanh()])

    code = np.random.default_rng(2).random((8, 3))
    enc, opt = encoder(), ae.Adam(lr=0.05)
    twin, twin_opt = encoder(), ae.Adam(lr=0.05)  # stays on its own: the reference
    _step(enc, opt, X[:8], code)
    _step(twin, twin_opt, X[:8], code)
    ae.Autoencoder(enc, ae.Sequential([ae.Dense(3, 6, rng=1), ae.Sigmoid()]))  # enc's arrays move into its buffer
    assert enc.flat is None
    _step(enc, opt, X[8:16], code)  # bound again, state carried: the step lands in the live arrays
    _step(twin, twin_opt, X[8:16], code)
    for (name, p, _), (_, q, _) in zip(enc.parameters(), twin.parameters(), strict=True):
        np.testing.assert_array_equal(p, q, err_msg=name)
        for key in ("m", "v"):
            np.testing.assert_array_equal(opt.state[name][key], twin_opt.state[name][key])
    assert opt.t == twin_opt.t == 2


def test_an_optimizer_still_refuses_a_second_model() -> None:
    opt = ae.Adam()
    _step(ae.Sequential([ae.Dense(6, 6, rng=0)]), opt, X[:4], X[:4])
    with pytest.raises(ValueError, match="already holds state for another model"):
        _step(ae.Sequential([ae.Dense(6, 6, rng=0)]), opt, X[:4], X[:4])


def test_a_deep_copy_of_a_model_trains_on_its_own_buffers() -> None:
    import copy

    model = _model(ae.Dense)
    _train(model)
    twin = copy.deepcopy(model)
    assert twin.flat is not None
    assert twin.encoder.layers[0].params["W"].base is twin.flat.params
    _train(twin)  # its optimizer (copied with it) binds to the copy's buffers, carrying Adam's state
    _train(model)
    np.testing.assert_array_equal(twin.flat.params, model.flat.params)
