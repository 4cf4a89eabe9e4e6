"""The same training run in autoencoder_np, PyTorch, scikit-learn and Keras.

Each ``Trainer`` has ``run()`` (one timed run: ``case.epochs`` epochs) and ``losses`` (the epoch losses so far,
each the exact mean over the epoch's entries, as ``fit`` reports them). PyTorch gets the identical model: the
same initial weights (copied from the autoencoder_np model), the same batch order (the same seeded
permutations) and the same loss, so both must reach the same loss. scikit-learn's MLPRegressor and Keras run
the nearest model they can express (said in ``note``), with their own initial weights.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from typing import Any

import numpy as np

import autoencoder_np as ae

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


def available(name: str) -> str | None:
    """None when the competitor can run here, else why not."""
    module = {"pytorch": "torch", "sklearn": "sklearn", "keras": "keras"}[name]
    try:
        __import__(module)
    except Exception as err:
        return f"{module} not importable: {type(err).__name__}: {err}"
    return None


TRAINERS = {"autoencoder_np": Ours, "pytorch": Torch, "sklearn": SklearnMLP, "keras": Keras}
