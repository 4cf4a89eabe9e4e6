"""``Model.fit`` and ``Model.evaluate``: the textbook's loop (``textbook.training``) with what a library adds.

One step is ``textbook.train_step``'s four lines::

    pred = model.forward(x_batch)              forward pass, every layer fills its cache
    L    = loss.forward(pred, y_batch, mask)   a number
    model.backward(loss.backward())            dL/dpred, then every layer's grads
    optimizer.step(model)                      parameters updated in place

Around them ``fit`` adds: the checks of the data (once, here, so the layers skip their per-batch scans:
``check_inputs``), validation data, callbacks (early stopping), a per-epoch history and progress lines, and
the divergence protection of ``guard.py``, which stops training with ``TrainingDiverged`` naming the epoch and
batch and leaves the weights as after the last finite step.

Each epoch draws one permutation of the rows. Without shuffling a batch is a contiguous slice (a view); with
it, the batch's rows are gathered into buffers allocated once, so no step allocates a batch and the data set
is never copied whole. Nobody reads dL/dX of the data, so ``fit`` sets ``model.input_grad = False`` and the
first Dense skips that product (see the layer protocol in ``layers.py``). ``kernels=`` picks the kernel set for
this fit (``autoencoder_np.kernels``).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import batches, losses, optimizers
from . import kernels as kernel_sets
from .guard import Guard, TrainingDiverged
from .init import as_generator
from .validation import check_bool, check_float, check_int, overflow_as_error


class History(dict[str, list[float]]):
    """Per-epoch values: ``history["loss"]``, ``history["val_loss"]`` (with validation data).

    ``history.epochs`` lists the epoch numbers (from 1). ``history.history`` is the same dict, as Keras spells it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[int] = []

    @property
    def history(self) -> History:
        return self

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.setdefault(key, []).append(value)


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights`` the model ends with the parameters of its best epoch.
    After training, ``best_epoch``, ``best`` and ``stopped_epoch`` (0 if it never stopped) tell what happened.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ) -> None:
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be the name of a logged value, got {monitor!r}")
        self.monitor = monitor
        self.patience = check_int(patience, "patience", "EarlyStopping", minimum=0)
        self.min_delta = check_float(min_delta, "min_delta", "EarlyStopping", low=0.0)
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights", "EarlyStopping")

    def on_train_begin(self, model: Any) -> None:
        self.best = math.inf
        self.best_epoch = 0
        self.stopped_epoch = 0
        self._wait = 0
        self._best_params: list[np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping: monitor {self.monitor!r} is not among the logged values {sorted(logs)}"
                " (val_loss needs validation_data)"
            )
        value = logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_params = [p.copy() for _, p, _ in model.parameters()]
            return False
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model: Any) -> None:
        if self.restore_best_weights and self._best_params is not None:
            for (_, p, _), best in zip(model.parameters(), self._best_params, strict=True):
                p[...] = best


@contextlib.contextmanager
def unchecked(*parts: Any) -> Iterator[None]:
    """Set ``check_inputs`` False on each layer, model or loss for the block (its caller checked the data)."""
    before = [getattr(part, "check_inputs", True) for part in parts]
    for part in parts:
        part.check_inputs = False
    try:
        yield
    finally:
        for part, value in zip(parts, before, strict=True):
            part.check_inputs = value


def _train_step(
    model: Any, loss: losses.Loss, guard: Guard, x: np.ndarray, y: np.ndarray, mask: np.ndarray | None
) -> float:
    """One gradient step on one batch (``textbook.train_step``, with the guard's checks); returns the batch loss."""
    with guard.passes():
        pred = model.forward(x)
        value = loss.forward(pred, y, mask) + model.aux_loss()
        guard.check_loss(value)
        model.backward(loss.backward())
    guard.step(model)
    return value


@contextlib.contextmanager
def _fitting(model: Any, loss: losses.Loss, kernels: str | None) -> Iterator[None]:
    """The flags a fit sets for its loop, restored after it: training mode, no input gradient, no per-call
    scans (the data was checked once), and the kernel set asked for (loss included)."""
    before = (model.training, getattr(model, "input_grad", True), model.check_inputs, loss.check_inputs)
    kernels_before = (getattr(model, "kernels", None), loss.kernels)
    model.train()
    model.input_grad = False  # nobody reads dL/dX of the data
    model.check_inputs = loss.check_inputs = False
    if kernels is not None:
        model.kernels = kernels
    loss.kernels = getattr(model, "kernels", kernel_sets.DEFAULT)
    try:
        yield
    finally:
        model.train(before[0])
        model.input_grad, model.check_inputs, loss.check_inputs = before[1:]
        if kernels is not None:
            model.kernels = kernels_before[0]
        loss.kernels = kernels_before[1]


def fit(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    mask: Any = None,
    epochs: int = 1,
    batch_size: int = 32,
    optimizer: optimizers.Optimizer | str | None = None,
    loss: losses.Loss | str | None = None,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    validation_data: Any = None,
    verbose: int = 1,
    every: int = 1,
    callbacks: Sequence[Any] = (),
    kernels: str | None = None,
) -> History:
    """Train ``model`` (a Sequential or Autoencoder) on (X, y) in minibatches; returns the per-epoch History.

    Called as ``model.fit(X, ...)``.

    Args:
        X: (n, in_features) inputs: an array, or sparse (``autoencoder_np.sparse.CSR`` or ``scipy.sparse``), which
            is densified one batch at a time (the same batches, so the same training as from the dense matrix).
        y: (n, out_features) targets (dense or sparse); None for an Autoencoder means y = X (reconstruction).
        mask: optional (n, out_features) weights for the loss (1 = observed, 0 = ignored; dense or sparse).
        epochs: passes over the data, ≥ 1.
        batch_size: rows per gradient step, 1 ≤ batch_size ≤ n.
        optimizer: an Optimizer, "adam" or "sgd"; default: the one from the last fit, else Adam(lr=1e-3).
        loss: a Loss or a name ("mse", "bce", "bce_logits", "multinomial"); default: the last one, else MSE.
        shuffle: shuffle the rows every epoch; False keeps them in order (reproducible step by step).
        seed: seed or Generator for the shuffling.
        validation_data: X_val, or a tuple (X_val, y_val) or (X_val, y_val, mask_val); adds "val_loss".
        verbose: 0 silent, 1 one line per epoch (every ``every`` epochs, and the first and last).
        every: print every k-th epoch.
        callbacks: objects with optional ``on_train_begin(model)``, ``on_epoch_end(epoch, logs, model)``
            (return True to stop) and ``on_train_end(model)``, e.g. :class:`EarlyStopping`.
        kernels: "fast" or "textbook" for this fit (``autoencoder_np.kernels``); None: the model's own.

    The epoch loss is the exact mean of the loss over the epoch's entries (each batch weighted by its number
    of observed entries), plus any auxiliary loss the layers add.

    Raises:
        TrainingDiverged: an overflow, or a NaN or inf in the loss, a gradient or a parameter (names epoch and
            batch). The model and its optimizer are left exactly as after the last finite step: lower the
            learning rate (``model.optimizer.lr``) and fit again.
        ValueError, TypeError: a bad argument, named with what was expected and what came.
    """
    where = f"{type(model).__name__}.fit"
    X, y, mask = batches.prepare(model, X, y, mask, where)
    n = X.shape[0]
    epochs = check_int(epochs, "epochs", where)
    batch_size = check_int(batch_size, "batch_size", where)
    if batch_size > n:
        raise ValueError(f"{where}: batch_size is {batch_size}, more than the {n} rows of X")
    every = check_int(every, "every", where)
    verbose = check_int(verbose, "verbose", where, minimum=0)
    shuffle = check_bool(shuffle, "shuffle", where)
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"{where}: callbacks must be a list of callbacks, got {type(callbacks).__name__}")
    if kernels is not None:
        kernel_sets.check(kernels, where)
    val = None if validation_data is None else batches.validation_arrays(model, validation_data, X, y, where)
    if optimizer is not None:
        model.optimizer = optimizers.get(optimizer)
    elif model.optimizer is None:
        model.optimizer = optimizers.Adam()
    if loss is not None:
        model.loss = losses.get(loss)
    elif model.loss is None:
        model.loss = losses.MSELoss()
    loss_fn = model.loss
    guard = Guard(model, model.optimizer)
    rng = as_generator(seed)
    history = History()
    for callback in callbacks:
        getattr(callback, "on_train_begin", lambda m: None)(model)
    minibatches = batches.Minibatches((X, y, mask), batch_size)
    with _fitting(model, loss_fn, kernels):
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(n) if shuffle else None
            mean = count = 0.0
            # NumPy raises on overflow inside the loop: the guard reports it as TrainingDiverged (not a
            # RuntimeWarning and a NaN), and here it gets the epoch and batch.
            with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                for batch, i in enumerate(batches.starts(n, batch_size), start=1):
                    xb, yb, mb = minibatches(i, order)
                    if mb is not None and not mb.any():
                        continue  # no observed entry in this batch: nothing to learn from
                    try:
                        value = _train_step(model, loss_fn, guard, xb, yb, mb)
                    except TrainingDiverged as err:  # the place, formatted only when there is an error
                        raise TrainingDiverged(f"{where}: epoch {epoch}, batch {batch}: {err}") from None
                    mean, count = batches.running_mean(mean, count, value, loss_fn.cache["n"])
            logs = {"loss": mean}
            if val is not None:
                logs["val_loss"] = evaluate(model, *val[:2], mask=val[2], loss=loss_fn)
            history.append(epoch, logs)
            if verbose and (epoch % every == 0 or epoch in (1, epochs)):
                line = " - ".join(f"{k}: {v:.6f}" for k, v in logs.items())
                ms = 1000 * (time.perf_counter() - start)
                print(f"Epoch {epoch:>{len(str(epochs))}}/{epochs} - {line} - {ms:.1f} ms", flush=True)
            stop = [getattr(cb, "on_epoch_end", lambda e, lg, m: False)(epoch, logs, model) for cb in callbacks]
            if callbacks:
                guard.remeasure()  # a callback may have changed the weights: measure them at the next step
            if any(stop):
                if verbose:
                    print(f"Stopped early after epoch {epoch}.", flush=True)
                break
    for callback in callbacks:
        getattr(callback, "on_train_end", lambda m: None)(model)
    return history


def evaluate(
    model: Any,
    X: Any,
    y: Any = None,
    *,
    mask: Any = None,
    loss: losses.Loss | str | None = None,
    batch_size: int = 1024,
) -> float:
    """The loss of ``model`` on (X, y) in inference mode, exactly as one big batch gives it; ``model.evaluate``.

    Computed in batches as (Σ_b L_b · n_b) / Σ_b n_b, n_b the entries of batch b. ``loss`` defaults to the
    one of the last fit, else MSE; y = None means y = X for an Autoencoder.

    Raises ValueError when the loss overflows or is not finite (data far too large, or a broken model).
    """
    where = f"{type(model).__name__}.evaluate"
    X, y, mask = batches.prepare(model, X, y, mask, where)
    batch_size = check_int(batch_size, "batch_size", where)
    loss_fn = losses.get(loss) if loss is not None else (model.loss or losses.MSELoss())
    mean = count = 0.0
    with model.inference(), unchecked(model, loss_fn), overflow_as_error(where):
        for i in batches.starts(X.shape[0], batch_size):
            mb = None if mask is None else batches.rows_of(mask, i, i + batch_size)
            if mb is not None and not mb.any():
                continue
            xb = batches.rows_of(X, i, i + batch_size)
            yb = xb if y is X else batches.rows_of(y, i, i + batch_size)
            value = loss_fn.forward(model.forward(xb), yb, mb)
            mean, count = batches.running_mean(mean, count, value + model.aux_loss(), loss_fn.cache["n"])
    if not math.isfinite(mean):
        raise ValueError(f"{where}: the loss is {mean}: the model's output is not finite on this data")
    return mean
