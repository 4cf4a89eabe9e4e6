"""What the neural recommenders share: training hyperparameters, Adam, and the epoch picked on validation.

Each network trains with the core ``fit`` (minibatches, Adam, a loss from ``autoencoder_np.losses``) and a
:class:`~autoencoder_np.recsys.base.ValidationMonitor` callback: after every epoch it measures the
validation metric (NDCG@100 on validation users, or RMSE on validation ratings), keeps the weights of the
best epoch, stops after ``patience`` epochs without improvement, and restores the best weights at the end.
So the number of epochs is a hyperparameter chosen on validation data, never on test data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from ..model import Container
from ..optimizers import Adam
from ..serialize import FileFormatError
from ..validation import check_dtype, check_float, check_int
from .base import ValidationMonitor
from .layers import RegularizedDense
from .progress import EpochProgress
from .ranking import fold_ndcg
from .sparse_input import SparseInputDense

#: The shared training hyperparameters and their defaults; a model overrides some in ``training_defaults``.
TRAINING_DEFAULTS: dict[str, Any] = {
    "l2": 0.0, "lr": 1e-3, "epochs": 200, "batch_size": 100, "patience": 30, "seed": 0, "dtype": "float32",
    "verbose": 0,
}  # fmt: skip


class NeuralTraining:
    """Mixin for the neural recommenders: the shared hyperparameters and :meth:`_train`.

    Every neural model takes these as keyword arguments (``**training``); its class attribute
    ``training_defaults`` says where its defaults differ from :data:`TRAINING_DEFAULTS`.

    Args:
        l2: λ ≥ 0 of the penalty (λ/2)‖W‖² on every weight matrix (biases are not penalized); it is added to
            the loss, whose data term is a mean, so the paper-style λ on a summed loss is about l2 × ratings.
        lr: Adam learning rate.
        epochs: the most epochs to train.
        batch_size: rows per step (capped at the number of training rows).
        patience: stop after this many epochs without a better validation metric (0: never).
        seed: seeds the weights, the noise and the shuffling.
        dtype: "float32" (default: about twice as fast) or "float64".
        verbose: 0 silent; k > 0 prints a progress line (loss, validation metric, time per epoch, time left)
            on stderr every k-th epoch.

    The models pass their CSR training matrix to the core ``fit``, which densifies one minibatch at a time
    into buffers it reuses: the users × items matrix is never dense in memory.
    """

    training_defaults: ClassVar[dict[str, Any]] = {}
    network_: Container
    best_epoch_: int
    validation_score_: float
    validation_trace_: np.ndarray

    def _init_training(self, training: dict[str, Any]) -> None:
        """Check and store the training hyperparameters: ``training`` over the model's defaults."""
        where = type(self).__name__
        unknown = sorted(set(training) - set(TRAINING_DEFAULTS))
        if unknown:
            raise TypeError(
                f"{where}: unexpected argument(s) {', '.join(unknown)}; training takes {list(TRAINING_DEFAULTS)}"
            )
        s = {**TRAINING_DEFAULTS, **self.training_defaults, **training}
        self.l2 = check_float(s["l2"], "l2", where, low=0.0)
        self.lr = check_float(s["lr"], "lr", where, low=0.0, low_open=True)
        self.epochs = check_int(s["epochs"], "epochs", where)
        self.batch_size = check_int(s["batch_size"], "batch_size", where)
        self.patience = check_int(s["patience"], "patience", where, minimum=0)
        self.seed = check_int(s["seed"], "seed", where, minimum=0)
        self.dtype = check_dtype(s["dtype"], where)
        self.verbose = check_int(s["verbose"], "verbose", where, minimum=0)

    def _training_config(self) -> dict[str, Any]:
        return {
            "l2": self.l2, "lr": self.lr, "epochs": self.epochs, "batch_size": self.batch_size,
            "patience": self.patience, "seed": self.seed, "dtype": str(self.dtype), "verbose": self.verbose,
        }  # fmt: skip

    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted arrays (see ``Recommender.arrays``) and the network's parameters as "network_.<path>"."""
        params = {f"network_.{name}": p.copy() for name, p, _ in self.network_.parameters()}
        return {**super().arrays(), **params}  # type: ignore[misc]

    def _build(self, rng: np.random.Generator) -> Container:
        """The untrained network for the fitted shapes (``n_items_``, ``n_users_``)."""
        raise NotImplementedError

    def _restore_network(self, params: dict[str, np.ndarray], where: str) -> None:
        """Rebuild the network for the loaded shapes, then copy the loaded parameters into it."""
        self.network_ = self._build(np.random.default_rng(self.seed))
        expected = {f"network_.{name}": p for name, p, _ in self.network_.parameters()}
        if set(params) != set(expected):
            raise FileFormatError(f"{where}: the network's parameters {sorted(expected)} do not match the file's")
        for key, p in expected.items():
            if params[key].shape != p.shape:
                raise FileFormatError(f"{where}: {key} has shape {params[key].shape}, the network needs {p.shape}")
            p[...] = params[key]

    def _dense(
        self, n_in: int, n_out: int, rng: np.random.Generator, *, sparse_input: bool = False
    ) -> RegularizedDense:
        """A Dense layer with this model's L2 penalty on W, dtype and random stream; ``sparse_input`` for the
        first layer of a click row (:class:`~autoencoder_np.recsys.sparse_input.SparseInputDense`)."""
        kind = SparseInputDense if sparse_input else RegularizedDense
        return kind(n_in, n_out, l2=self.l2, rng=rng, dtype=self.dtype)

    def _monitor(self, measure: Callable[[], float], name: str, *, higher_is_better: bool) -> ValidationMonitor:
        return ValidationMonitor(measure, name, higher_is_better=higher_is_better, patience=self.patience)

    def _progress(self, monitor: ValidationMonitor | None) -> list[Any]:
        """The monitor (if any) and, when ``verbose``, the progress lines after it."""
        progress = [EpochProgress(type(self).__name__, self.epochs, self.verbose, monitor)] if self.verbose else []
        return [*([monitor] if monitor else []), *progress]

    def chosen(self) -> dict[str, Any]:
        """What fit chose on validation: the epoch."""
        return {"epochs": self.best_epoch_}

    def _train(
        self,
        X: np.ndarray,
        *,
        loss: Any,
        mask: np.ndarray | None = None,
        monitor: ValidationMonitor | None,
        callbacks: Sequence[Any] = (),
    ) -> None:
        """Fit ``self.network_`` on X (target X) with Adam; with a monitor, keep the best validation epoch."""
        optimizer = Adam(lr=self.lr)
        self.network_.fit(
            X, mask=mask, epochs=self.epochs, batch_size=min(self.batch_size, X.shape[0]), optimizer=optimizer,
            loss=loss, seed=self.seed, verbose=0, callbacks=[*callbacks, *self._progress(monitor)],
        )  # fmt: skip
        self._record(monitor)

    def _record(self, monitor: ValidationMonitor | None) -> None:
        """What a fit chose on validation: ``best_epoch_``, ``validation_score_`` and ``validation_trace_``.

        ``validation_trace_``: (epochs run, 3) rows of (epoch, training loss, validation metric); (0, 3)
        without validation data.
        """
        self.best_epoch_ = monitor.best_epoch if monitor else self.epochs
        self.validation_score_ = monitor.best if monitor else float("nan")
        self.validation_trace_ = np.array(monitor.trace if monitor else [], dtype=np.float64).reshape(-1, 3)


def fold_in_ndcg(score: Callable[[Any], np.ndarray], fold: Any, k: int = 100) -> Callable[[], float]:
    """A measure for :class:`ValidationMonitor`: NDCG@k of ``score`` on a FoldIn, input items excluded,
    computed in batches of users (:func:`~autoencoder_np.recsys.ranking.fold_ndcg`)."""

    def measure() -> float:
        return fold_ndcg(score, fold, k)

    return measure
