"""The one interface every recommender shares (in the spirit of scikit-learn), and its training monitor.

Two kinds of model, one set of verbs::

    model.fit(train, validation=None)       -> model
    model.score(X)                          -> (n_users, n_items) scores for the users whose rows X holds
    model.recommend(X, k, exclude_seen=True) -> (n_users, k) item indices, best first
    model.predict(users, items)             -> (n,) ratings            (rating models only)

- Top-N models (``protocol = "heldout-users"``) train on a 0/1 matrix ``train: (n_users, n_items)`` and
  are tuned on a :class:`~autoencoder_np.recsys.splits.FoldIn`. ``score(X)`` folds in *any* users from their
  rows of interactions, new users included: that is the cold start of a new user, by folding in.
- Rating models (``protocol = "ratings"``) train on a rating matrix with 0 for "missing" and are tuned on
  another such matrix of validation ratings. ``score(R)`` gives predicted ratings.

``recommend`` ranks ``score(X)`` with the items of X (the user's history) set to −inf when ``exclude_seen``.
``get_config()`` gives the constructor arguments and ``arrays()`` the fitted arrays by name; ``save(path)``
writes both to one .npz file with a JSON header (no pickle) and ``Recommender.load(path)`` reads it back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..serialize import FileFormatError, load_arrays, save_arrays
from ..validation import as_array, check_int
from .metrics import top_k


class Recommender:
    """Base class: validation of X, ``recommend``, the config and the fitted-or-not check."""

    protocol: ClassVar[str] = "heldout-users"
    #: Hyperparameter values the evaluation tries, each judged on validation data only.
    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {}

    n_items_: int | None = None

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as JSON-able values."""
        return {}

    def arrays(self) -> dict[str, np.ndarray]:
        """The fitted arrays by name: every array attribute whose name ends in "_" (``B_``, ``counts_``, …)."""
        self._check_fitted(f"{type(self).__name__}.arrays")
        return {k: v for k, v in vars(self).items() if _fitted_name(k) and isinstance(v, np.ndarray)}

    def _fitted_scalars(self) -> dict[str, Any]:
        """The fitted numbers by name (``n_items_``, ``best_epoch_``, …); NaN becomes None for JSON."""
        scalars = {}
        for k, v in vars(self).items():
            if _fitted_name(k) and isinstance(v, (bool, int, float, np.number)):
                v = v.item() if isinstance(v, np.number) else v
                scalars[k] = None if isinstance(v, float) and math.isnan(v) else v
        return scalars

    def save(self, path: str | Path) -> Path:
        """Save the fitted model to one .npz file (arrays) with a JSON header (class, config, fitted numbers).

        No pickle: :meth:`load` rebuilds the model from its class name and ``get_config()``. A neural model's
        dropout generator is not kept (it only matters for further training).
        """
        header = {"recommender": type(self).__name__, "config": self.get_config(), "fitted": self._fitted_scalars()}
        return save_arrays(path, self.arrays(), header)

    @classmethod
    def load(cls, path: str | Path) -> Recommender:
        """A model saved by :meth:`save`; ``EASE.load`` also checks that the file holds an EASE.

        Raises:
            FileFormatError: not such a file, an unknown recommender class, or fitted values that do not fit.
        """
        arrays, header = load_arrays(path)
        where = f"{cls.__name__}.load {path}"
        classes = {c.__name__: c for c in _subclasses(Recommender)}
        name = header.get("recommender")
        if name not in classes or not issubclass(classes[name], cls):
            raise FileFormatError(f"{where}: the file holds {name!r}, not a {cls.__name__} this library knows")
        config, fitted = header.get("config"), header.get("fitted")
        if not isinstance(config, dict) or not isinstance(fitted, dict):
            raise FileFormatError(f"{where}: the header lacks the model's config or fitted values")
        model = classes[name](**config)
        network = {k: arrays.pop(k) for k in list(arrays) if k.startswith("network_.")}
        for key, value in [*fitted.items(), *arrays.items()]:
            if not _fitted_name(key) or not (value is None or isinstance(value, (bool, int, float, np.ndarray))):
                raise FileFormatError(f"{where}: {key!r} is not a fitted value of a recommender")
            setattr(model, key, math.nan if value is None else value)
        model._restore_network(network, where)
        return model

    def _restore_network(self, params: dict[str, np.ndarray], where: str) -> None:
        """Hook of :meth:`load`: a neural model rebuilds its network from ``params``; others have none."""
        if params:
            raise FileFormatError(f"{where}: a {type(self).__name__} has no network, the file holds {sorted(params)}")

    def _check_fitted(self, where: str) -> None:
        if self.n_items_ is None:
            raise ValueError(f"{where}: the model is not fitted yet; call fit(train) first")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def fit(self, train: np.ndarray, validation: Any = None) -> Recommender:
        raise NotImplementedError

    def score(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def recommend(self, X: np.ndarray, k: int = 10, *, exclude_seen: bool = True) -> np.ndarray:
        """X: (n_users, n_items) the users' interactions -> (n_users, k) item indices, best first.

        With ``exclude_seen``, items the user has (X > 0) are never recommended.
        """
        where = f"{type(self).__name__}.recommend"
        X = self._check_input(X, where)
        k = check_int(k, "k", where)
        scores = np.array(self.score(X), dtype=np.float64)
        if exclude_seen:
            scores[X > 0] = -np.inf
        return top_k(scores, min(k, scores.shape[1]))

    # Helpers for subclasses -------------------------------------------------------------------------------

    def _check_train(self, train: Any, where: str) -> np.ndarray:
        """A 2-D, finite, non-negative matrix with at least one interaction; remembers n_items."""
        X = as_array(train, "train", where, ndim=2)
        if (X < 0).any():
            raise ValueError(f"{where}: train must be non-negative (0 = no interaction), got a minimum of {X.min()}")
        if not X.any():
            raise ValueError(f"{where}: train has no interaction (all zero)")
        self.n_items_ = X.shape[1]
        return X

    def _check_input(self, X: Any, where: str) -> np.ndarray:
        """X for scoring: 2-D, finite, non-negative, with the item count the model was fitted on."""
        self._check_fitted(where)
        X = as_array(X, "X", where, ndim=2)
        if X.shape[1] != self.n_items_:
            raise ValueError(f"{where}: X has {X.shape[1]} items (columns), the model was fitted on {self.n_items_}")
        if (X < 0).any():
            raise ValueError(f"{where}: X must be non-negative (0 = no interaction), got a minimum of {X.min()}")
        return X


def _fitted_name(name: str) -> bool:
    """Fitted attributes end in "_" (scikit-learn's convention); private and dunder names never count."""
    return name.isidentifier() and name.endswith("_") and not name.startswith("_")


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


class ValidationMonitor:
    """A ``fit`` callback: after every epoch, a validation metric; keeps the best epoch's weights.

    Args:
        measure: ``measure() -> float``, the validation metric of the model as it is now.
        name: the metric's name for the progress line (``"ndcg@100"``, ``"rmse"``).
        higher_is_better: True for NDCG, False for RMSE.
        patience: stop after this many epochs without improvement (0: never stop early).
        label: the model's name at the start of each progress line.
        every: print a progress line every ``every``-th epoch (0: never).

    After training: ``best`` (the metric's best value), ``best_epoch``, ``trace`` (one (epoch, loss, metric)
    per epoch), and the model holds the parameters of its best epoch.
    """

    def __init__(
        self,
        measure: Callable[[], float],
        name: str,
        *,
        higher_is_better: bool,
        patience: int = 0,
        label: str = "",
        every: int = 0,
    ) -> None:
        self.measure = measure
        self.name = name
        self.sign = 1.0 if higher_is_better else -1.0
        self.patience = check_int(patience, "patience", "ValidationMonitor", minimum=0)
        self.label = label
        self.every = check_int(every, "every", "ValidationMonitor", minimum=0)

    def on_train_begin(self, model: Any) -> None:
        self.best = -self.sign * math.inf
        self.best_epoch = 0
        self.trace: list[tuple[int, float, float]] = []
        self._best_params: list[np.ndarray] | None = None
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        value = float(self.measure())
        self.trace.append((epoch, logs.get("loss", math.nan), value))
        improved = self.sign * value > self.sign * self.best
        if improved:
            self.best, self.best_epoch = value, epoch
            self._best_params = [p.copy() for _, p, _ in model.parameters()]
        if self.every and epoch % self.every == 0:
            mark = " *" if improved else ""
            seconds = time.perf_counter() - self._start
            print(
                f"  {self.label} epoch {epoch}: loss {logs.get('loss', math.nan):.4f}, "
                f"validation {self.name} {value:.4f}{mark} ({seconds:.1f} s)",
                flush=True,
            )
        return bool(self.patience) and epoch - self.best_epoch >= self.patience

    def on_train_end(self, model: Any) -> None:
        if self._best_params is not None:
            for (_, p, _), best in zip(model.parameters(), self._best_params, strict=True):
                p[...] = best
