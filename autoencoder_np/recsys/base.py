"""The one interface every recommender shares (in the spirit of scikit-learn), and its training monitor.

Two kinds of model, one set of verbs::

    model.fit(train, validation=None)       -> model
    model.score(X)                          -> (n_users, n_items) scores for the users whose rows X holds
    model.recommend(X, k, exclude_seen=True) -> (n_users, k) item indices, best first (in batches of users)
    model.predict(users, items)             -> (n,) ratings            (rating models only)

Every matrix argument may be a dense array, a :class:`~autoencoder_np.sparse.CSR` or a ``scipy.sparse``
matrix; the models work from the CSR form (a dense array is converted, its zeros dropped), so a dense and a
sparse X give the same results. ``score`` returns a dense array for the rows asked: score many users in
batches (``recommend`` and :mod:`~autoencoder_np.recsys.ranking` do).

- Top-N models (``protocol = "heldout-users"``) train on a 0/1 matrix ``train: (n_users, n_items)`` and
  are tuned on validation users: a :class:`~autoencoder_np.recsys.splits.FoldIn` or a pair
  ``(input, targets)``. ``score(X)`` folds in *any* users from their rows of interactions, new users
  included: that is the cold start of a new user, by folding in.
- Rating models (``protocol = "ratings"``) train on a rating matrix with 0 for "missing" and are tuned on
  another such matrix of validation ratings. ``score(R)`` gives predicted ratings.

``recommend`` ranks ``score(X)`` with the items of X (the user's history) set to −inf when ``exclude_seen``.
``get_config()`` gives the constructor arguments and ``arrays()`` the fitted arrays by name; ``save(path)``
writes both to one .npz file with a JSON header (no pickle) and ``Recommender.load(path)`` reads it back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..serialize import FileFormatError, load_arrays, save_arrays
from ..sparse import CSR, as_csr
from ..validation import check_int
from .ranking import recommend
from .splits import FoldIn


class MemoryBudgetError(ValueError):
    """A model would need more memory than its budget; the message says how many bytes and the budget."""


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
        """The fitted arrays by name: every array attribute whose name ends in "_" (``B_``, ``counts_``, …);
        a CSR attribute ``S_`` as ``S_.indptr``, ``S_.indices``, ``S_.values`` and ``S_.shape``."""
        self._check_fitted(f"{type(self).__name__}.arrays")
        out = {k: v for k, v in vars(self).items() if _fitted_name(k) and isinstance(v, np.ndarray)}
        for k, v in vars(self).items():
            if _fitted_name(k) and isinstance(v, CSR):
                out.update({f"{k}.{part}": getattr(v, part) for part in _CSR_PARTS[:3]})
                out[f"{k}.shape"] = np.array(v.shape, dtype=np.int64)
        return out

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
        if name is None:
            kind = header.get("kind", "something else")
            raise FileFormatError(
                f"{where}: the file is not a saved recommender (it holds a {kind} written by autoencoder_np.save; "
                "read it with autoencoder_np.load)"
            )
        if name not in classes or not issubclass(classes[name], cls):
            raise FileFormatError(f"{where}: the file holds {name!r}, not a {cls.__name__} this library knows")
        config, fitted = header.get("config"), header.get("fitted")
        if not isinstance(config, dict) or not isinstance(fitted, dict):
            raise FileFormatError(f"{where}: the header lacks the model's config or fitted values")
        model = classes[name](**config)
        network = {k: arrays.pop(k) for k in list(arrays) if k.startswith("network_.")}
        for name in {k.split(".")[0] for k in arrays if "." in k}:
            parts = {k.split(".", 1)[1]: arrays.pop(k) for k in list(arrays) if k.split(".")[0] == name}
            if not _fitted_name(name) or set(parts) != set(_CSR_PARTS):
                raise FileFormatError(f"{where}: {sorted(parts)} of {name!r} are not the parts of a sparse matrix")
            try:
                arrays[name] = CSR(parts["indptr"], parts["indices"], parts["values"], tuple(parts["shape"]))
            except (ValueError, TypeError, IndexError) as err:
                raise FileFormatError(f"{where}: {name!r} is not a valid sparse matrix: {err}") from None
        for key, value in [*fitted.items(), *arrays.items()]:
            if not _fitted_name(key) or not (value is None or isinstance(value, (bool, int, float, np.ndarray, CSR))):
                raise FileFormatError(f"{where}: {key!r} is not a fitted value of a recommender")
            setattr(model, key, math.nan if value is None else value)
        model._restore_network(network, where)
        return model

    def _restore_network(self, params: dict[str, np.ndarray], where: str) -> None:
        """Hook of :meth:`load`: a neural model rebuilds its network from ``params``; others have none."""
        if params:
            raise FileFormatError(f"{where}: a {type(self).__name__} has no network, the file holds {sorted(params)}")

    def chosen(self) -> dict[str, Any]:
        """Values ``fit`` chose on the validation data (a neural model's epoch, EASE's λ); {} for none."""
        return {}

    def tried(self) -> list[tuple[dict[str, Any], float]]:
        """The candidates ``fit`` tried on validation data, each with its validation score; [] for none."""
        return []

    def _check_fitted(self, where: str) -> None:
        if self.n_items_ is None:
            raise ValueError(f"{where}: the model is not fitted yet; call fit(train) first")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def fit(self, train: Any, validation: Any = None) -> Recommender:
        raise NotImplementedError

    def score(self, X: Any) -> np.ndarray:
        """X: (n_users, n_items) the users' rows, dense or CSR -> (n_users, n_items) dense scores."""
        return self._score(self._check_input(X, f"{type(self).__name__}.score"))

    def _score(self, X: CSR) -> np.ndarray:
        """The scores of the rows of a checked CSR X; what each model implements."""
        raise NotImplementedError

    def recommend(
        self, X: Any, k: int = 10, *, exclude_seen: bool = True, batch_size: int | None = None, progress: Any = False
    ) -> np.ndarray:
        """X: (n_users, n_items) the users' interactions -> (n_users, k) item indices, best first.

        With ``exclude_seen``, items the user has (X > 0) are never recommended (unless fewer than k are left).
        Users are scored in batches (``batch_size``, default about 32 MB of scores; see ``ranking``), with a
        progress line on stderr every 5 s when ``progress`` is True.
        """
        where = f"{type(self).__name__}.recommend"
        X = self._check_input(X, where)
        k = check_int(k, "k", where)
        return recommend(self._score, X, min(k, X.shape[1]), exclude_seen=exclude_seen, batch_size=batch_size,
                         progress=progress)  # fmt: skip

    # Helpers for subclasses -------------------------------------------------------------------------------

    def _check_train(self, train: Any, where: str) -> CSR:
        """A 2-D, finite, non-negative matrix (dense or CSR) with at least one interaction, as a CSR;
        remembers n_items."""
        X = _non_negative(as_csr(train, "train", where), "train", where)
        if not (X.values > 0).any():
            raise ValueError(f"{where}: train has no interaction (all zero)")
        self.n_items_ = X.shape[1]
        return X

    def _check_input(self, X: Any, where: str) -> CSR:
        """X for scoring: 2-D, finite, non-negative, with the item count the model was fitted on; as a CSR."""
        self._check_fitted(where)
        X = as_csr(X, "X", where)
        if X.shape[1] != self.n_items_:
            raise ValueError(f"{where}: X has {X.shape[1]} items (columns), the model was fitted on {self.n_items_}")
        return _non_negative(X, "X", where)

    def _check_fold(self, validation: Any, where: str) -> FoldIn | None:
        """Validation users as a FoldIn: a FoldIn, or a pair (input, targets) of (n_users, n_items) matrices."""
        if validation is None:
            return None
        if isinstance(validation, FoldIn):
            parts = (validation.input, validation.targets)
        elif isinstance(validation, (tuple, list)) and len(validation) == 2:
            parts = tuple(validation)
        else:
            raise TypeError(
                f"{where}: validation must be a FoldIn or a pair (input, targets) of (users, items) matrices, "
                f"got {type(validation).__name__}"
            )
        fold_input, targets = (as_csr(p, name, where) for p, name in zip(parts, ("input", "targets"), strict=True))
        for name, part in (("input", fold_input), ("targets", targets)):
            if part.shape[1] != self.n_items_:
                raise ValueError(f"{where}: validation {name} has {part.shape[1]} items, train has {self.n_items_}")
        if fold_input.shape != targets.shape:
            raise ValueError(
                f"{where}: validation input {fold_input.shape} and targets {targets.shape} differ in shape"
            )
        users = validation.users if isinstance(validation, FoldIn) else np.arange(fold_input.shape[0])
        return FoldIn(fold_input, targets, users)


def _non_negative(X: CSR, name: str, where: str) -> CSR:
    if X.nnz and X.values.min() < 0:
        raise ValueError(
            f"{where}: {name} must be non-negative (0 = no interaction), got a minimum of {X.values.min()}"
        )
    return X


_CSR_PARTS = ("indptr", "indices", "values", "shape")


def _fitted_name(name: str) -> bool:
    """Fitted attributes end in "_" (scikit-learn's convention); private and dunder names never count."""
    return name.isidentifier() and name.endswith("_") and not name.startswith("_")


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


class ValidationMonitor:
    """A ``fit`` callback: after every epoch, a validation metric; keeps the best epoch's weights.

    Args:
        measure: ``measure() -> float``, the validation metric of the model as it is now.
        name: the metric's name (``"ndcg@100"``, ``"rmse"``), for the progress lines
            (:class:`~autoencoder_np.recsys.progress.EpochProgress` reads ``trace`` and ``best_epoch``).
        higher_is_better: True for NDCG, False for RMSE.
        patience: stop after this many epochs without improvement (0: never stop early).

    After training: ``best`` (the metric's best value), ``best_epoch``, ``trace`` (one (epoch, loss, metric)
    per epoch), and the model holds the parameters of its best epoch.
    """

    def __init__(self, measure: Callable[[], float], name: str, *, higher_is_better: bool, patience: int = 0) -> None:
        self.measure = measure
        self.name = name
        self.sign = 1.0 if higher_is_better else -1.0
        self.patience = check_int(patience, "patience", "ValidationMonitor", minimum=0)
        self.trace: list[tuple[int, float, float]] = []
        self.best_epoch = 0

    def on_train_begin(self, model: Any) -> None:
        self.best = -self.sign * math.inf
        self.best_epoch = 0
        self.trace = []
        self._best_params: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        value = float(self.measure())
        self.trace.append((epoch, logs.get("loss", math.nan), value))
        if self.sign * value > self.sign * self.best:
            self.best, self.best_epoch = value, epoch
            self._best_params = [p.copy() for _, p, _ in model.parameters()]
        return bool(self.patience) and epoch - self.best_epoch >= self.patience

    def on_train_end(self, model: Any) -> None:
        if self._best_params is not None:
            for (_, p, _), best in zip(model.parameters(), self._best_params, strict=True):
                p[...] = best
