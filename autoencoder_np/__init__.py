"""autoencoder_np: autoencoders and autoencoder recommenders in pure NumPy, every gradient by hand.

import autoencoder_np as ae
model = ae.Autoencoder.from_sizes([10, 5], hidden_activation="relu", output_activation="sigmoid", seed=0)
history = model.fit(X, epochs=100, batch_size=32, optimizer=ae.Adam(lr=1e-3), loss=ae.MSELoss())
print(ae.gradcheck.check_model(model, X[:4], ae.MSELoss()).summary())
ae.save(model, "model.npz")            # one .npz: weights, architecture, optimizer state; no pickle
same = ae.load("model.npz")            # predicts and trains on bitwise as model does

Every equation is written once, plainly, in ``ae.textbook``; ``ae.fast`` holds the same numbers computed
faster. Models run the fast set unless built or fit with ``kernels="textbook"`` (see ``ae.kernels``).
"""

from . import activations, datasets, fast, gradcheck, init, kernels, losses, optimizers, serialize, textbook
from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .layers import Dense, Dropout, GaussianNoise, Layer, ParamDict
from .losses import BCELoss, BCEWithLogitsLoss, Loss, MSELoss, MultinomialLoss
from .model import Autoencoder, Container, FlatParameters, Sequential
from .optimizers import SGD, Adam, Optimizer
from .serialize import FileFormatError, load, save
from .training import EarlyStopping, History, TrainingDiverged

__version__ = "0.2.0"  # semantic versioning; .devN between releases; CHANGELOG.md says what changed


def __getattr__(name: str) -> object:
    """``ae.testing`` loads on first use (never pytest or hypothesis at ``import autoencoder_np``)."""
    if name == "testing":
        import importlib

        return importlib.import_module(".testing", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SGD",
    "Adam",
    "Autoencoder",
    "BCELoss",
    "BCEWithLogitsLoss",
    "Container",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "FileFormatError",
    "FlatParameters",
    "GaussianNoise",
    "History",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Loss",
    "MSELoss",
    "MultinomialLoss",
    "Optimizer",
    "ParamDict",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "TrainingDiverged",
    "__version__",
    "activations",
    "datasets",
    "fast",
    "gradcheck",
    "init",
    "kernels",
    "load",
    "losses",
    "optimizers",
    "save",
    "serialize",
    "textbook",
]
