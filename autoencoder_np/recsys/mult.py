"""Mult-DAE and Mult-VAE (Liang et al. 2018, "Variational Autoencoders for Collaborative Filtering").

A user's clicks x_u (a 0/1 row over items) are a draw from a multinomial over items; the network outputs
logits z_u and is trained on the multinomial log-likelihood (``MultinomialLoss``)::

    L = −(1/B) Σ_u Σ_i x_ui · log softmax(z_u)_i

Mult-DAE, [I → 200 → I] by default::

    x ─ L2Normalize ─ Dropout(0.5) ─ Dense(I, 200) ─ Tanh ─ Dense(200, I) ─ z (logits)

Mult-VAE, [I → 600 → 200 → 600 → I] by default: the encoder outputs [μ | log σ²] (2 × 200), a
:class:`~autoencoder_np.variational.GaussianSample` draws z = μ + σ ⊙ ε in training (z = μ at inference)
and adds β · KL(q(z|x) ‖ N(0, I)); the decoder mirrors the encoder. β rises linearly from 0 to
``beta_cap`` (0.2), changed at the end of each epoch. By default it rises over all the planned updates,
β = cap · epoch / epochs, the same path in epochs on any data size; ``anneal_updates`` fixes the number of
updates instead. The paper's fixed 200 000 updates leave β ≈ 0 on ML-100K (8 updates an epoch) and reach
0.2 within a few epochs at batch 100 on data of a hundred thousand users; a fixed 2 000 (this library's old
default) reached 0.2 after 42 epochs on a 4 800-user training set and 250 on ML-100K. Measured (README,
Recommenders): on ML-100K, half of it and a 3 000-user Gowalla sample, the two schedules score within the
seed-to-seed noise of each other; only the schedule by epochs transfers to larger data unchanged.

Scoring folds in any user: the row goes through the network in inference mode (no dropout, z = μ) and
the logits rank the items. Ranking by logits is ranking by the softmax.
"""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import numpy as np

from .. import activations
from ..layers import Dropout
from ..losses import MultinomialLoss
from ..model import Autoencoder, Sequential
from ..sparse import CSR
from ..validation import check_float, check_int
from ..variational import GaussianSample
from .base import Recommender
from .layers import L2Normalize
from .neural import NeuralTraining, fold_in_ndcg


class MultDAE(NeuralTraining, Recommender):
    """Multinomial denoising autoencoder; see the module docstring.

    Args:
        hidden: sizes of the encoder's layers, the last is the code (default (200,): I-200-I).
        dropout: input dropout rate (0.5 keeps half the clicks).
        training: l2, lr, epochs, batch_size, patience, seed, dtype, verbose (see :class:`NeuralTraining`;
            the defaults here are Liang et al.'s: lr 1e-3, batch 100 on small data, up to 200 epochs).
    """

    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"l2": (0.0, 0.01)}

    def __init__(
        self,
        hidden: tuple[int, ...] | list[int] = (200,),
        *,
        dropout: float = 0.5,
        **training: Any,
    ) -> None:
        where = type(self).__name__
        if not isinstance(hidden, (tuple, list)):
            raise TypeError(f"{where}: hidden must be a list of layer sizes, e.g. [600, 200], got {hidden!r}")
        self.hidden = tuple(check_int(h, "hidden[i]", where) for h in hidden)
        if not self.hidden:
            raise ValueError(f"{where}: hidden needs at least one layer size, got {hidden!r}")
        self.dropout = check_float(dropout, "dropout", where, low=0.0, high=1.0, high_open=True)
        self._init_training(training)

    def get_config(self) -> dict[str, Any]:
        return {"hidden": list(self.hidden), "dropout": self.dropout, **self._training_config()}

    def _build(self, rng: np.random.Generator) -> Autoencoder:
        """L2Normalize, Dropout, then Dense+Tanh per hidden size; the decoder mirrors it and ends in logits."""
        sizes = [self.n_items_, *self.hidden]
        encoder: list[Any] = [L2Normalize(), Dropout(self.dropout, rng=rng)]
        for k, (a, b) in enumerate(itertools.pairwise(sizes)):
            encoder += [self._dense(a, b, rng, sparse_input=k == 0), activations.Tanh()]
        return Autoencoder(Sequential(encoder), Sequential(self._decoder(sizes, rng)))

    def _decoder(self, sizes: list[int], rng: np.random.Generator) -> list[Any]:
        """Dense+Tanh back up the sizes, the last Dense without activation (the logits)."""
        decoder: list[Any] = []
        for a, b in itertools.pairwise(sizes[::-1]):
            decoder += [self._dense(a, b, rng), activations.Tanh()]
        return decoder[:-1]  # no activation after the output layer: the loss takes logits

    def _callbacks(self, n_rows: int) -> list[Any]:
        return []

    def fit(self, train: Any, validation: Any = None) -> MultDAE:
        """train: (n_users, n_items) 0/1 (or counts), dense or CSR; validation: validation users, a FoldIn or a
        pair (input, targets), for choosing the epoch by NDCG@100."""
        where = f"{type(self).__name__}.fit"
        X = self._check_train(train, where)
        fold = self._check_fold(validation, where)
        rng = np.random.default_rng(self.seed)
        self.network_ = self._build(rng)
        monitor = None
        if fold is not None:
            monitor = self._monitor(fold_in_ndcg(self._score, fold), "ndcg@100", higher_is_better=True)
        callbacks = self._callbacks(X.shape[0])
        # The core fit densifies one minibatch of the CSR at a time, into buffers it reuses.
        self._train(X.astype(self.dtype), loss=MultinomialLoss(), monitor=monitor, callbacks=callbacks)
        return self

    def _score(self, X: CSR) -> np.ndarray:
        """X: (n_users, n_items) clicks -> (n_users, n_items) logits, in inference mode (densified 1000 rows at a
        time)."""
        return self.network_.predict(X.astype(self.dtype), batch_size=1000)


class KLAnnealing:
    """A ``fit`` callback: β = cap · min(1, steps so far / anneal_steps), set after every epoch.

    Args:
        layer: the :class:`GaussianSample` whose β it sets (0 at the start of training).
        cap: the final β.
        anneal_steps: gradient steps over which β rises from 0 to cap.
        steps_per_epoch: gradient steps in one epoch.
    """

    def __init__(self, layer: GaussianSample, cap: float, anneal_steps: int, steps_per_epoch: int) -> None:
        self.layer = layer
        self.cap = cap
        self.anneal_steps = anneal_steps
        self.steps_per_epoch = steps_per_epoch

    def on_train_begin(self, model: Any) -> None:
        self.layer.beta = 0.0

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        self.layer.beta = self.cap * min(1.0, epoch * self.steps_per_epoch / self.anneal_steps)
        return False


class MultVAE(MultDAE):
    """Multinomial variational autoencoder; see the module docstring.

    Args:
        hidden: encoder sizes, the last is the size of z (default (600, 200): I-600-200-600-I).
        beta_cap: the final KL weight β (0.2).
        anneal_updates: gradient steps over which β rises to ``beta_cap``; None (default): all the planned
            steps (epochs × steps per epoch), so β = beta_cap · epoch / epochs.
        dropout, l2, lr, epochs, batch_size, patience, seed, dtype, verbose: as in :class:`MultDAE`
            (but at most 300 epochs by default: the smaller I-200-I shape still improves after 150).
    """

    #: Both shapes are tried: on ML-100K the paper's I-600-200-600-I overfits within ~40 epochs, while the
    #: I-200-I VAE (linear encoder to [μ | log σ²], linear decoder) won on validation in our runs.
    param_grid: ClassVar[dict[str, tuple[Any, ...]]] = {"hidden": ((600, 200), (200,))}
    training_defaults: ClassVar[dict[str, Any]] = {"epochs": 300}

    def __init__(
        self,
        hidden: tuple[int, ...] | list[int] = (600, 200),
        *,
        beta_cap: float = 0.2,
        anneal_updates: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(hidden, **kwargs)
        self.beta_cap = check_float(beta_cap, "beta_cap", "MultVAE", low=0.0)
        self.anneal_updates = None if anneal_updates is None else check_int(anneal_updates, "anneal_updates", "MultVAE")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_cap": self.beta_cap, "anneal_updates": self.anneal_updates}

    def _build(self, rng: np.random.Generator) -> Autoencoder:
        """Encoder to [μ | log σ²] (no activation on that last Dense), GaussianSample, mirrored decoder."""
        sizes = [self.n_items_, *self.hidden]
        encoder: list[Any] = [L2Normalize(), Dropout(self.dropout, rng=rng)]
        for k, (a, b) in enumerate(itertools.pairwise(sizes[:-1])):
            encoder += [self._dense(a, b, rng, sparse_input=k == 0), activations.Tanh()]
        self.sampler_ = GaussianSample(0.0, rng=rng)
        encoder += [self._dense(sizes[-2], 2 * sizes[-1], rng, sparse_input=len(sizes) == 2), self.sampler_]
        return Autoencoder(Sequential(encoder), Sequential(self._decoder(sizes, rng)))

    def _callbacks(self, n_rows: int) -> list[Any]:
        steps = -(-n_rows // min(self.batch_size, n_rows))
        self.anneal_updates_ = self.anneal_updates or self.epochs * steps
        return [KLAnnealing(self.sampler_, self.beta_cap, self.anneal_updates_, steps)]

    def chosen(self) -> dict[str, Any]:
        """The epoch chosen, and the β schedule it was chosen under (so a refit for that many epochs keeps it)."""
        return {**super().chosen(), "anneal_updates": self.anneal_updates_}
