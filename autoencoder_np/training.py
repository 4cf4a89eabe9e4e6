"""The training loop: minibatches, one gradient step each, per-epoch history, early stopping, divergence.

One step is the whole data flow of backpropagation::

    pred = model.forward(x_batch)              forward pass, every layer fills its cache
    L    = loss.forward(pred, y_batch, mask)   a number
    model.backward(loss.backward())            dL/dpred, then every layer's grads
    optimizer.step(model)                      parameters updated in place

Each epoch draws one permutation of the rows. Without shuffling a batch is a contiguous slice (a view);
with it, the batch's rows are gathered into buffers allocated once, so no step allocates a batch and the
data set is never copied whole. Nobody reads dL/dX of the data, so ``fit`` sets ``model.input_grad = False``
and the first Dense skips that product (see the layer protocol in ``layers.py``).

Divergence: the loop runs with NumPy's floating-point errors raising, so an overflow or a NaN stops training
with ``TrainingDiverged`` and leaves the weights and optimizer state as after the last finite step, never
half-updated. A NaN or inf loss or gradient stops the step before anything is written. For the update itself,
the optimizer bounds every value it will write (``Optimizer.bounds_after_step``): from a bound on |g| (‖g‖₂,
one BLAS dot) and bounds on |p| and its state carried over from the last step (``_WriteBounds``; the real
norms are measured at the first step, after callbacks, and whenever the carried bounds grow too large). A step
whose bounds lie far below the dtype's largest number cannot overflow and runs as it is. Any other step first
copies what it writes (``_Undo``), so it can be undone exactly. Adam's step is bounded by about lr whatever
the gradients, so an Adam step is copied only when a gradient, a weight or a moment itself comes near the
largest number (g² must stay below it, as v holds it). A Ctrl-C inside an uncopied step may leave that step
partly applied (every value stays finite).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import losses, optimizers
from .init import as_generator
from .validation import all_finite, as_array, check_bool, check_float, check_int, mask_total, overflow_as_error, trusted


class TrainingDiverged(FloatingPointError):
    """The loss, a gradient or a parameter became NaN or inf during ``fit``."""


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


def _prepare(model: Any, X: Any, y: Any, mask: Any, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate X, y and mask once (shapes, dtype, finite) and cast them to the model's dtype."""
    dtype = model.dtype or np.dtype(np.float64)
    X = as_array(X, "X", where, ndim=2, dtype=dtype)
    y = model._default_target(X, where) if y is None else as_array(y, "y", where, ndim=2, dtype=dtype)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"{where}: y has {y.shape[0]} rows, expected one per row of X ({X.shape[0]})")
    if mask is not None:
        mask = as_array(mask, "mask", where, ndim=2, dtype=dtype)
        if mask.shape != y.shape:
            raise ValueError(f"{where}: mask has shape {mask.shape}, expected the shape of y {y.shape}")
        with np.errstate(over="ignore"):
            total = mask_total(mask, where)
        if not np.isfinite(total):
            raise ValueError(f"{where}: the mask weights sum to more than {dtype} holds; rescale them")
    return X, y, mask


def _validation_arrays(
    model: Any, data: Any, X: np.ndarray, y: np.ndarray, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Validate validation_data up front (so a mistake shows before training, not after the first epoch)."""
    parts = tuple(data) if isinstance(data, (tuple, list)) else (data,)
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"{where}: validation_data must be X_val, (X_val, y_val) or (X_val, y_val, mask_val)")
    X_val, y_val, m_val = (*parts, None, None)[:3]
    where = f"{where} (validation_data)"
    X_val, y_val, m_val = _prepare(model, X_val, y_val, m_val, where)
    for name, value, ref in (("X_val", X_val, X), ("y_val", y_val, y)):
        if value.shape[1] != ref.shape[1]:
            raise ValueError(f"{where}: {name} has {value.shape[1]} features, expected {ref.shape[1]} (as in training)")
    return X_val, y_val, m_val


def _running_mean(mean: float, count: float, value: float, n: float) -> tuple[float, float]:
    """The mean of the batch losses so far, weighted by their entries n, with one more batch: (mean, Σ n).

    Updating the mean, rather than summing value · n, cannot overflow where every value is finite.
    """
    count += n
    return mean + (value - mean) * (n / count), count


def _batches(n: int, batch_size: int) -> range:
    return range(0, n, batch_size)


class _Minibatches:
    """The rows of (X, y, mask) batch by batch: slices (views) in order, or gathered into reused buffers.

    ``arrays`` holds X, y and mask (or None); when y is X (an autoencoder) its rows are gathered once.
    """

    def __init__(self, arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None], batch_size: int) -> None:
        self.arrays = arrays
        self.batch_size = batch_size
        self._buffers: dict[int, np.ndarray] = {}  # id(array) -> its batch buffer, made at the first gather

    def __call__(self, start: int, order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The batch of rows ``start : start + batch_size``, taken from ``order`` when given."""
        X, y, mask = self.arrays
        if order is None:
            stop = start + self.batch_size
            return X[start:stop], y[start:stop], None if mask is None else mask[start:stop]
        rows = order[start : start + self.batch_size]
        xb = self._take(X, rows)
        return xb, xb if y is X else self._take(y, rows), None if mask is None else self._take(mask, rows)

    def _take(self, a: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """a[rows], into the buffer kept for a; mode="clip" avoids np.take's extra copy (the rows are valid)."""
        buffer = self._buffers.get(id(a))
        if buffer is None:
            buffer = self._buffers[id(a)] = np.empty((self.batch_size, *a.shape[1:]), a.dtype)
        return a.take(rows, axis=0, out=buffer[: len(rows)], mode="clip")


def _buffers(model: Any, which: int) -> list[np.ndarray]:
    """The model's parameters (which=1) or gradients (which=2): its flat buffer, else one array per parameter."""
    flat = getattr(model, "flat", None)
    if flat is not None:
        return [flat.params if which == 1 else flat.grads]
    return [entry[which] for entry in model.parameters()]


def _nonfinite_parameter(model: Any, which: int) -> str | None:
    """The name of the first parameter (which=1) or gradient (which=2) holding NaN/inf, or None."""
    if all(all_finite(a) for a in _buffers(model, which)):
        return None
    for entry in model.parameters():
        if not all_finite(entry[which]):
            return entry[0]
    return None


class _Undo:
    """A copy of everything an optimizer step writes (parameters, optimizer state, Adam's t), taken before a
    step that might overflow, so that the step can be undone exactly: nothing is left half-updated.

    The copy buffers are allocated at the first such step (most runs never need them); each copy costs one
    pass over the parameters and over each state buffer.
    """

    def __init__(self, model: Any, optimizer: optimizers.Optimizer) -> None:
        self.model = model
        self.optimizer = optimizer
        self.pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self.t = None

    def save(self) -> None:
        if not self.pairs:
            optimizer, model = self.optimizer, self.model
            if optimizer._model is None:
                optimizer._bind(model)  # allocate the state now (the first step would), so it is copied too
            flat_state = optimizer._flat_state
            if getattr(model, "flat", None) is not None and flat_state is not None:
                live = [model.flat.params, *flat_state.values()]
            else:
                live = [p for _, p, _ in model.parameters()] + [a for s in optimizer.state.values() for a in s.values()]
            self.pairs = [(array, np.empty_like(array)) for array in live]
        for array, copy in self.pairs:
            np.copyto(copy, array)
        self.t = getattr(self.optimizer, "t", None)

    def restore(self) -> None:
        for array, copy in self.pairs:
            np.copyto(array, copy)
        if self.t is not None:
            self.optimizer.t = self.t


class _WriteBounds:
    """Bounds on |value| of the parameters and of the optimizer state, carried from step to step.

    ``after_step(grad_norm)`` asks the optimizer (``Optimizer.bounds_after_step``) what the next step can write,
    starting from the bounds the last step left; they only grow, so when they cannot prove a step safe the real
    norms are measured (one BLAS dot per buffer) and asked again. ``values = None`` makes the next step measure:
    ``fit`` sets it after the callbacks of each epoch (they may change the weights) and after a copied step.
    """

    #: The bounds must lie this far below the dtype's largest number: room for rounding in norms, bounds and step.
    MARGIN = 2.0**-16

    def __init__(self, model: Any, optimizer: optimizers.Optimizer) -> None:
        self.model = model
        self.optimizer = optimizer
        self.values: dict[str, float] | None = None
        self.limit = float(np.finfo(model.dtype or np.float64).max) * self.MARGIN

    def measure(self) -> dict[str, float]:
        """Bounds from the real norms: ‖p‖₂ ≥ every |p_i|, and likewise for each state array."""
        self.values = {"params": optimizers.l2_norm(_buffers(self.model, which=1)), **self.optimizer.state_norms()}
        return self.values

    def after_step(self, grad_norm: float) -> dict[str, float] | None:
        """The bounds after the next step if they prove it cannot overflow, else None (the step must be copied)."""
        carried = self.values is not None
        bounds = self._safe(self.optimizer.bounds_after_step(grad_norm, self.values if carried else self.measure()))
        if bounds is None and carried:  # carried bounds only grow: the real norms may still clear the limit
            bounds = self._safe(self.optimizer.bounds_after_step(grad_norm, self.measure()))
        return bounds

    def _safe(self, bounds: dict[str, float]) -> dict[str, float] | None:
        """``bounds`` if every one lies below the limit, else None."""
        return bounds if max(bounds.values()) < self.limit else None


_UNDONE = (
    "which was undone: parameters and optimizer state are as after the last finite step. "
    "Lower the learning rate and fit again."
)


def _train_step(
    model: Any, loss: losses.Loss, optimizer: optimizers.Optimizer, undo: _Undo, bounds: _WriteBounds,
    x: np.ndarray, y: np.ndarray, mask: np.ndarray | None,
) -> float:  # fmt: skip
    """One gradient step on one batch; returns the batch loss. ``fit`` adds epoch and batch to its errors.

    fit runs it with floating-point errors raising (overflow, inf − inf, 0·inf, division by 0), so an overflow
    anywhere stops training where it happens. On it, or on a NaN or inf loss, gradient or parameter, the model
    and the optimizer are left exactly as after the previous step.
    """
    try:
        pred = model.forward(x)
        value = loss.forward(pred, y, mask) + model.aux_loss()
        if math.isfinite(value):
            model.backward(loss.backward())
    except FloatingPointError as err:
        raise TrainingDiverged(
            f"{err} in the forward or backward pass; parameters were not updated. "
            "Lower the learning rate or check the scale of the data."
        ) from None
    if not math.isfinite(value):
        raise TrainingDiverged(f"the loss is {value}. Lower the learning rate or check the data.")
    grad_norm = optimizers.l2_norm(_buffers(model, which=2))  # NaN or inf when a gradient is
    bad = None if math.isfinite(grad_norm) else _nonfinite_parameter(model, which=2)
    if bad is not None:
        raise TrainingDiverged(f"the gradient of {bad} holds NaN or inf; parameters were not updated.")
    after = bounds.after_step(grad_norm) if math.isfinite(grad_norm) else None
    if after is not None:
        optimizer.step(model)  # every value it writes is bounded far below overflow: nothing to undo
        bounds.values = after
        return value
    bounds.values = None  # measure again after this step
    undo.save()
    try:
        optimizer.step(model)
    except BaseException as err:  # an overflow, or Ctrl-C in the middle of a per-parameter update
        undo.restore()
        if isinstance(err, FloatingPointError):
            raise TrainingDiverged(f"{err} in the update, {_UNDONE}") from None
        raise
    bad = _nonfinite_parameter(model, which=1)
    if bad is not None:
        undo.restore()
        raise TrainingDiverged(f"parameter {bad} became NaN or inf in the update, {_UNDONE}")
    return value


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
) -> History:
    """Train ``model`` (a Sequential or Autoencoder) on (X, y) in minibatches; returns the per-epoch History.

    Called as ``model.fit(X, ...)``.

    Args:
        X: (n, in_features) inputs.
        y: (n, out_features) targets; None for an Autoencoder means y = X (reconstruction).
        mask: optional (n, out_features) weights for the loss (1 = observed, 0 = ignored).
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

    The epoch loss is the exact mean of the loss over the epoch's entries (each batch weighted by its number
    of observed entries), plus any auxiliary loss the layers add.

    Raises:
        TrainingDiverged: an overflow, or a NaN or inf in the loss, a gradient or a parameter (names epoch and
            batch). The model and its optimizer are left exactly as after the last finite step: lower the
            learning rate (``model.optimizer.lr``) and fit again.
        ValueError, TypeError: a bad argument, named with what was expected and what came.
    """
    where = f"{type(model).__name__}.fit"
    X, y, mask = _prepare(model, X, y, mask, where)
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
    val = None if validation_data is None else _validation_arrays(model, validation_data, X, y, where)
    if optimizer is not None:
        model.optimizer = optimizers.get(optimizer)
    elif model.optimizer is None:
        model.optimizer = optimizers.Adam()
    if loss is not None:
        model.loss = losses.get(loss)
    elif model.loss is None:
        model.loss = losses.MSELoss()
    opt, loss_fn = model.optimizer, model.loss
    undo, bounds = _Undo(model, opt), _WriteBounds(model, opt)
    rng = as_generator(seed)
    history = History()
    for callback in callbacks:
        getattr(callback, "on_train_begin", lambda m: None)(model)
    was_training, input_grad = model.training, getattr(model, "input_grad", True)
    model.train()
    model.input_grad = False  # nobody reads dL/dX of the data
    minibatches = _Minibatches((X, y, mask), batch_size)
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(n) if shuffle else None
            mean = count = 0.0
            # X, y and mask were validated once above. An overflow inside raises FloatingPointError, which
            # _train_step reports as TrainingDiverged instead of a RuntimeWarning; here it gets epoch and batch.
            with trusted(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                for batch, i in enumerate(_batches(n, batch_size), start=1):
                    xb, yb, mb = minibatches(i, order)
                    if mb is not None and not mb.any():
                        continue  # no observed entry in this batch: nothing to learn from
                    try:
                        value = _train_step(model, loss_fn, opt, undo, bounds, xb, yb, mb)
                    except TrainingDiverged as err:  # the place, formatted only when there is an error
                        raise TrainingDiverged(f"{where}: epoch {epoch}, batch {batch}: {err}") from None
                    mean, count = _running_mean(mean, count, value, loss_fn.cache["n"])
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
                bounds.values = None  # a callback may have changed the weights: measure them at the next step
            if any(stop):
                if verbose:
                    print(f"Stopped early after epoch {epoch}.", flush=True)
                break
    finally:
        model.train(was_training)
        model.input_grad = input_grad
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
    X, y, mask = _prepare(model, X, y, mask, where)
    batch_size = check_int(batch_size, "batch_size", where)
    loss_fn = losses.get(loss) if loss is not None else (model.loss or losses.MSELoss())
    mean = count = 0.0
    with model.inference(), trusted(), overflow_as_error(where):
        for i in _batches(X.shape[0], batch_size):
            mb = None if mask is None else mask[i : i + batch_size]
            if mb is not None and not mb.any():
                continue
            value = loss_fn.forward(model.forward(X[i : i + batch_size]), y[i : i + batch_size], mb)
            mean, count = _running_mean(mean, count, value + model.aux_loss(), loss_fn.cache["n"])
    if not math.isfinite(mean):
        raise ValueError(f"{where}: the loss is {mean}: the model's output is not finite on this data")
    return mean
