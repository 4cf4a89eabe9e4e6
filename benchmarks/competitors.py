"""The same training run in autoencoder_np, PyTorch, scikit-learn and Keras, and the founding example in bare NumPy.

Each ``Trainer`` has ``run()`` (one timed run: ``case.epochs`` epochs) and ``losses`` (the epoch losses so far,
each the exact mean over the epoch's entries, as ``fit`` reports them). PyTorch gets the identical model: the
same initial weights (copied from the autoencoder_np model), the same batch order (the same seeded
permutations) and the same loss, so both must reach the same loss; so does the bare NumPy loop of the founding
example, the floor of what Python and NumPy charge for its steps without the library's checks. scikit-learn's
MLPRegressor and Keras run the nearest model they can express (said in ``note``), with their own initial weights.
"""

from __future__ import annotations

import importlib.util
import math
import os
import warnings
from typing import Any

import numpy as np

import autoencoder_np as ae
from autoencoder_np.activations import sigmoid

# Before keras loads: its default backend, TensorFlow, when installed (the reference the issue measured), else
# PyTorch. A KERAS_BACKEND set by the caller wins. TensorFlow's start-up chatter is kept off the terminal.
os.environ.setdefault("KERAS_BACKEND", "tensorflow" if importlib.util.find_spec("tensorflow") else "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .cases import Case, leaves

SEED = 11  # the shuffling seed of every trainer


class Ours:
    """autoencoder_np: ``model.fit`` for ``case.epochs`` epochs per run, continuing from the last run."""

    name = "autoencoder_np"
    note = ""

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        self.case = case
        self.model = case.model(dtype, dropout)
        self.X, self.mask = case.data(dtype)
        self.optimizer = ae.Adam(lr=case.lr)
        self.rng = np.random.default_rng(SEED)
        self.losses: list[float] = []

    def run(self) -> None:
        history = self.model.fit(
            self.X, mask=self.mask, epochs=self.case.epochs, batch_size=self.case.batch_size,
            optimizer=self.optimizer, loss=self.case.loss, seed=self.rng, verbose=0,
        )  # fmt: skip
        self.losses += history["loss"]


class Textbook:
    """autoencoder_np's textbook set: the plain loop ``textbook.fit`` on the same model built with the textbook
    kernels. The same weights and batch order as ``Ours``; its time over ours is the price of plainness."""

    name = "textbook"
    note = "the same model and batch order: textbook.fit on the textbook kernels"

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        self.case = case
        self.model = case.model(dtype, dropout)
        self.model.kernels = "textbook"
        self.X, self.mask = case.data(dtype)
        self.optimizer = ae.Adam(lr=case.lr)
        self.loss = ae.losses.get(case.loss)
        self.rng = np.random.default_rng(SEED)
        self.losses: list[float] = []

    def run(self) -> None:
        self.losses += ae.textbook.fit(
            self.model, self.X, mask=self.mask, loss=self.loss, optimizer=self.optimizer, epochs=self.case.epochs,
            batch_size=self.case.batch_size, seed=self.rng,
        )  # fmt: skip


class Torch:
    """PyTorch CPU: the same layers, weights, batch order, loss and Adam; default ``torch.optim.Adam``."""

    name = "pytorch"
    note = "identical model, initial weights and batch order"

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        import torch

        self.torch = torch
        self.case = case
        template = case.model(dtype, dropout)
        self.model = torch.nn.Sequential(*[_torch_layer(torch, layer) for layer in leaves(template)])
        X, mask = case.data(dtype)
        self.X = torch.from_numpy(X)
        self.mask = None if mask is None else torch.from_numpy(mask)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=case.lr)
        self.rng = np.random.default_rng(SEED)
        self.losses: list[float] = []

    def run(self) -> None:
        torch, n, batch = self.torch, self.X.shape[0], self.case.batch_size
        self.model.train()
        for _ in range(self.case.epochs):
            order = torch.from_numpy(self.rng.permutation(n))
            total = count = 0.0
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                xb = self.X.index_select(0, rows)
                mb = None if self.mask is None else self.mask.index_select(0, rows)
                self.optimizer.zero_grad(set_to_none=True)
                value, weight = self._loss(self.model(xb), xb, mb)
                value.backward()
                self.optimizer.step()
                total += value.item() * weight
                count += weight
            self.losses.append(total / count)

    def _loss(self, pred: Any, target: Any, mask: Any) -> tuple[Any, float]:
        """The loss and its normalizer n (as ``loss.cache["n"]``), so epoch losses weigh batches alike."""
        torch = self.torch
        if self.case.loss == "multinomial":
            return -(torch.log_softmax(pred, dim=1) * target).sum() / pred.shape[0], float(pred.shape[0])
        if mask is None:
            return torch.nn.functional.mse_loss(pred, target), float(pred.numel())
        n = mask.sum()
        return (((pred - target) ** 2) * mask).sum() / n, float(n)


def _torch_layer(torch: Any, layer: Any) -> Any:
    """The torch module for one autoencoder_np layer, with the same parameters (W is in×out, weight out×in)."""
    if isinstance(layer, ae.Dense):
        linear = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.from_numpy(layer.params["W"]).dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.params["W"].T)))
            linear.bias.copy_(torch.from_numpy(layer.params["b"]))
        return linear
    if isinstance(layer, ae.Dropout):
        return torch.nn.Dropout(layer.rate)
    simple = {
        ae.ReLU: torch.nn.ReLU,
        ae.Sigmoid: torch.nn.Sigmoid,
        ae.Tanh: torch.nn.Tanh,
        ae.Identity: torch.nn.Identity,
    }
    return simple[type(layer)]()


class SklearnMLP:
    """scikit-learn MLPRegressor on X → X: same sizes and hidden activation, but an identity output and an
    unmasked squared error (all it offers), its own initial weights; ``partial_fit`` once per epoch."""

    name = "sklearn"
    note = "nearest model: identity output, unmasked squared error, own init"

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        from sklearn.neural_network import MLPRegressor

        template = case.model(dtype, dropout)
        dense = [layer for layer in leaves(template) if isinstance(layer, ae.Dense)]
        hidden = next(
            type(layer).__name__ for layer in leaves(template) if not isinstance(layer, ae.Dense | ae.Dropout)
        )
        self.case = case
        self.X, _ = case.data(dtype)
        self.model = MLPRegressor(
            hidden_layer_sizes=tuple(layer.out_features for layer in dense[:-1]),
            activation={"ReLU": "relu", "Sigmoid": "logistic", "Tanh": "tanh"}[hidden],
            solver="adam", learning_rate_init=case.lr, batch_size=case.batch_size, shuffle=True, random_state=SEED,
        )  # fmt: skip
        self.losses: list[float] = []

    def run(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(self.case.epochs):
                self.model.partial_fit(self.X, self.X)
                self.losses.append(2.0 * self.model.loss_)  # sklearn reports half the mean squared error


class Keras:
    """Keras 3 ``fit`` (TensorFlow backend when installed, else PyTorch; see above): the founding model only."""

    name = "keras"
    note = "same model, own initial weights; backend in the machine facts"

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        import keras

        if case.name != "founding":
            raise NotImplementedError("Keras runs the founding example only")
        keras.utils.set_random_seed(SEED)
        keras.config.set_floatx(np.dtype(dtype).name)
        self.model = keras.Sequential([
            keras.Input((10,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dense(10, activation="sigmoid"),
        ])  # fmt: skip
        self.model.compile(optimizer=keras.optimizers.Adam(case.lr), loss="mse")
        self.case = case
        self.X, _ = case.data(dtype)
        self.losses: list[float] = []

    def run(self) -> None:
        history = self.model.fit(self.X, self.X, epochs=self.case.epochs, batch_size=self.case.batch_size, verbose=0)
        self.losses += history.history["loss"]


class BareNumpy:
    """The founding example's training loop written out in plain NumPy: no checks, no containers, no divergence
    protection, each operation done with the same NumPy calls the library makes for it.

    The same initial weights (copied from the autoencoder_np model, in one flat buffer as the library keeps
    them), the same batch order, the same stable sigmoid, MSE and Adam, so it must reach the same loss. It is
    the floor of what Python and NumPy charge for these 400 small steps, measured in the same run: what
    autoencoder_np's checks, wrappers and fit loop cost on top is its time over this one's.
    """

    name = "numpy-bare"
    note = "same model, weights and batch order as a flat hand loop: no checks, containers or divergence checks"

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        template = case.model(dtype, dropout)
        kinds = [type(layer) for layer in leaves(template)]
        if case.loss != "mse" or kinds != [ae.Dense, ae.ReLU, ae.Dense, ae.Sigmoid]:
            raise NotImplementedError("the bare loop runs Dense → ReLU → Dense → Sigmoid with MSE only")
        arrays = [layer.params[k] for layer in leaves(template) for k in layer.params]  # W1, b1, W2, b2
        self.params = np.concatenate([a.ravel() for a in arrays])
        self.grads, self.m, self.v = (np.zeros_like(self.params) for _ in range(3))
        self.work = np.empty_like(self.params)
        cuts = np.cumsum([0] + [a.size for a in arrays])
        self.shapes = [(int(lo), int(hi), a.shape) for lo, hi, a in zip(cuts[:-1], cuts[1:], arrays, strict=True)]
        self.case = case
        self.X, _ = case.data(dtype)
        self.rng = np.random.default_rng(SEED)
        self.t = 0
        self.losses: list[float] = []

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        return [flat[lo:hi].reshape(shape) for lo, hi, shape in self.shapes]

    def run(self) -> None:
        X, batch, n, lr = self.X, self.case.batch_size, self.X.shape[0], self.case.lr
        W1, b1, W2, b2 = self._views(self.params)
        gW1, gb1, gW2, gb2 = self._views(self.grads)
        p, g, m, v, work = self.params, self.grads, self.m, self.v, self.work
        decay1, decay2, eps = 0.9, 0.999, 1e-8  # β1, β2, ε: torch.optim.Adam's and ae.Adam's defaults
        beta1, one_minus_beta1, beta2, one_minus_beta2 = (
            np.array(c, p.dtype) for c in (decay1, 1 - decay1, decay2, 1 - decay2)
        )
        ones = np.ones(batch, p.dtype)
        for _ in range(self.case.epochs):
            order = self.rng.permutation(n)
            total = 0.0
            for start in range(0, n, batch):
                x = X[order[start : start + batch]]
                a1 = x @ W1
                a1 += b1
                h = np.maximum(a1, 0)
                a2 = h @ W2
                a2 += b2
                y = sigmoid(a2)
                d = y - x
                total += float(np.vdot(d, d))  # Σ (y − x)²
                grad = d * (2.0 / d.size)  # dL/dy of the mean
                grad *= y
                grad *= 1.0 - y  # dL/da2 = dL/dy ⊙ y(1 − y)
                np.matmul(h.T, grad, out=gW2)
                np.matmul(ones[: len(x)], grad, out=gb2)
                grad = grad @ W2.T
                grad *= a1 > 0  # dL/da1 = dL/dh ⊙ 1[a1 > 0]
                np.matmul(x.T, grad, out=gW1)
                np.matmul(ones[: len(x)], grad, out=gb1)
                self.t += 1
                np.multiply(g, one_minus_beta1, out=work)
                m *= beta1
                m += work
                np.multiply(g, g, out=work)
                work *= one_minus_beta2
                v *= beta2
                v += work
                root = math.sqrt(1.0 - decay2**self.t)
                np.sqrt(v, out=work)
                work += eps * root
                np.divide(m, work, out=work)
                work *= lr * root / (1.0 - decay1**self.t)
                p -= work
            self.losses.append(total / X.size)


def available(name: str) -> str | None:
    """None when the competitor can run here, else why not."""
    module = {"pytorch": "torch", "sklearn": "sklearn", "keras": "keras"}.get(name, "numpy")
    try:
        __import__(module)
    except Exception as err:
        return f"{module} not importable: {type(err).__name__}: {err}"
    return None


TRAINERS = {
    "autoencoder_np": Ours, "textbook": Textbook, "numpy-bare": BareNumpy, "pytorch": Torch, "sklearn": SklearnMLP,
    "keras": Keras,
}  # fmt: skip
