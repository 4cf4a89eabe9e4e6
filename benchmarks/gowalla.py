"""Case 5, Gowalla's shape: Mult-VAE [I → 600 → 200 → 600 → I], batch 500, float32, trained from a CSR.

- :func:`case`: the data (:mod:`.gowalla_data`: the published split, or a synthetic one of its shape) and the
  network of ``autoencoder_np.recsys.MultVAE`` (its first Dense gathers W's rows at the clicks), β at its cap
  0.2, for the worker's interleaved epochs. ``model.fit`` gets the CSR and densifies one batch at a time.
- :class:`DenseFirstLayer`: our model with the first layer on BLAS's dense products, not the gather (what the
  gather buys, round by round); :func:`first_layer`: that layer alone on one batch.
- :class:`TorchMultVAE`: the same model in PyTorch (the same weights and batch order, the same ε when dropout is
  off), fed the same batches densified from the same CSR into one reused buffer.
- :func:`evaluation`: the full ranking of every user (forward pass, top 20, Recall@20 and NDCG@20 on the test
  interactions), timed after the epochs, as ``MultVAE.score`` and ``recsys.ranking`` run it.
- ``python -m benchmarks.gowalla --memory``: in a fresh process, the peak resident memory of ``MultVAE.fit`` with
  validation (the given protocol's tuning fold) and of the full ranking, against the bytes they must hold.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import time
from typing import Any

import numpy as np

import autoencoder_np as ae
from autoencoder_np.recsys import MultVAE
from autoencoder_np.recsys.given import GivenSplit
from autoencoder_np.recsys.ranking import evaluate_ranking
from autoencoder_np.recsys.sparse_input import SparseInputDense, gather_backward, gather_forward, nonzero_entries
from autoencoder_np.sparse import CSR
from autoencoder_np.variational import GaussianSample

from .cases import Case, dense_layers, leaves
from .competitors import SEED, Ours, _torch_layer
from .gowalla_data import gowalla_split
from .memory import peak_bytes, resident_bytes
from .timing import summary

HIDDEN = (600, 200)
BETA = 0.2  # Mult-VAE's KL weight at the end of its annealing: the KL term is computed and back-propagated


def recommender(n_items: int, dtype: Any, dropout: bool = True, **training: Any) -> MultVAE:
    """The library's Mult-VAE for ``n_items`` items (unfitted; its network built as fit builds it)."""
    model = MultVAE(HIDDEN, dropout=0.5 if dropout else 0.0, batch_size=500, dtype=np.dtype(dtype).name, **training)
    model.n_items_ = n_items
    return model


def case(data_dir: str | None = None, users: int | None = None) -> Case:
    train, test, source = gowalla_split(data_dir, users)

    def build(dtype: Any, dropout: bool) -> ae.Autoencoder:
        model = recommender(train.shape[1], dtype, dropout)
        network = model._build(np.random.default_rng(0))
        model.sampler_.beta = BETA
        return network

    info = {"unit": "one epoch", "source": source, "users": train.shape[0], "interactions": train.nnz}
    return Case(
        "gowalla", train, None, build, "multinomial", batch_size=500, epochs=1, info=info,
        trainers={"pytorch": TorchMultVAE, "dense-first-layer": DenseFirstLayer}, extra=functools.partial(extra, test),
    )  # fmt: skip


class DenseFirstLayer(Ours):
    """autoencoder_np with the first layer's dense products instead of its gather: what the gather buys."""

    name = "dense-first-layer"
    note = "the same model and batch order, the first layer on BLAS's dense products (no gather)"

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        super().__init__(case, dtype, dropout)
        for layer in leaves(self.model):
            if isinstance(layer, SparseInputDense):
                layer.gather_density = 0.0


class TorchMultVAE:
    """PyTorch CPU: Mult-VAE with our weights, batch order and loss (multinomial log-likelihood + β·KL), Adam."""

    name = "pytorch"
    note = "identical Mult-VAE, initial weights and batch order; batches densified from the same CSR"

    def __init__(self, case: Case, dtype: Any, dropout: bool = True) -> None:
        import torch

        self.torch = torch
        self.case = case
        template = case.model(dtype, dropout)
        sampler = next(layer for layer in leaves(template) if isinstance(layer, GaussianSample))
        self.eps_rng = copy.deepcopy(sampler.rng)  # with dropout off our model draws only ε from it: the same ε
        self.beta = sampler.beta
        self.linear = [_torch_layer(torch, layer) for layer in dense_layers(template)]
        self.dropout = torch.nn.Dropout(0.5 if dropout else 0.0)
        self.X, _ = case.data(dtype)
        self.buffer = np.empty((case.batch_size, self.X.shape[1]), dtype=np.dtype(dtype))
        parameters = [p for linear in self.linear for p in linear.parameters()]
        self.optimizer = torch.optim.Adam(parameters, lr=case.lr)
        self.rng = np.random.default_rng(SEED)
        self.losses: list[float] = []

    def _loss(self, x: Any) -> Any:
        """−(1/B) Σ x ⊙ log softmax(decoder(z)) + β·KL, z = μ + σ ⊙ ε from the encoder of normalize(x)."""
        torch = self.torch
        enc1, enc2, dec1, dec2 = self.linear
        h = torch.tanh(enc1(self.dropout(torch.nn.functional.normalize(x, dim=1))))
        mu, logvar = enc2(h).chunk(2, dim=1)
        sigma = torch.exp(0.5 * logvar)
        eps = torch.from_numpy(self.eps_rng.standard_normal(tuple(mu.shape)).astype(self.buffer.dtype))
        kl = 0.5 * (sigma * sigma + mu * mu - 1.0 - logvar).sum() / x.shape[0]
        logits = dec2(torch.tanh(dec1(mu + sigma * eps)))
        return -(torch.log_softmax(logits, dim=1) * x).sum() / x.shape[0] + self.beta * kl

    def run(self) -> None:
        n, batch = self.X.shape[0], self.case.batch_size
        self.dropout.train()
        for _ in range(self.case.epochs):
            order = self.rng.permutation(n)
            total = count = 0.0
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                x = self.torch.from_numpy(self.X.densify(rows, out=self.buffer))
                self.optimizer.zero_grad(set_to_none=True)
                value = self._loss(x)
                value.backward()
                self.optimizer.step()
                total += value.item() * len(rows)
                count += len(rows)
            self.losses.append(total / count)


def first_layer(ours: Any, repeats: int = 5) -> dict[str, Any]:
    """The first layer on one batch of 500 rows (after L2Normalize and Dropout, as in training), best of
    ``repeats``: y = xW + b and dL/dW by BLAS on the dense batch, and by the gather (finding the entries
    included)."""
    layers = leaves(ours.model)
    first = next(i for i, layer in enumerate(layers) if isinstance(layer, SparseInputDense))
    x = ours.X.densify(np.arange(min(500, ours.X.shape[0])))
    for layer in layers[:first]:
        x = layer.forward(x)
    W, b = layers[first].params["W"], layers[first].params["b"]
    g = np.random.default_rng(0).standard_normal((x.shape[0], W.shape[1])).astype(W.dtype)
    grad_W, grad_b = np.empty_like(W), np.empty_like(b)

    def gathered() -> None:
        _, cache = gather_forward(*nonzero_entries(x), x.shape[0], W, b)
        gather_backward(g, cache, grad_W, grad_b)

    runs = {
        "dense forward": lambda: ae.textbook.dense_forward(x, W, b),
        "dense dL/dW": lambda: np.matmul(x.T, g, out=grad_W),
        "gather forward": lambda: gather_forward(*nonzero_entries(x), x.shape[0], W, b),
        "gather forward and dL/dW": gathered,
    }
    return {name: min(_timed(run) for _ in range(repeats)) for name, run in runs.items()} | {
        "density": float(np.count_nonzero(x) / x.size)
    }


def _timed(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def extra(test: CSR, ours: Any, reps: int) -> dict[str, Any]:
    """After the timed epochs: the first layer's products against the gather, and the full ranking."""
    return {"first_layer_s": first_layer(ours), **evaluation(test, ours, reps)}


def evaluation(test: CSR, ours: Any, reps: int) -> dict[str, Any]:
    """The full ranking of every user by our trained model, ``reps`` times: forward, top 20, metrics @20 on
    ``test`` (the users' training rows in, their training items excluded)."""
    model = recommender(ours.X.shape[1], ours.X.dtype)
    model.network_ = ours.model
    times, metrics = [], {}
    for _ in range(reps):
        start = time.perf_counter()
        metrics = evaluate_ranking(model.score, ours.X, test, (20,))
        times.append(time.perf_counter() - start)
    return {"evaluation": {"times_s": summary(times), "users": ours.X.shape[0], "metrics": metrics}}


# Memory, in a fresh process ---------------------------------------------------------------------------------


def memory(data_dir: str | None, users: int | None, epochs: int) -> dict[str, Any]:
    """Peak resident memory of MultVAE.fit with validation, then of the full ranking, against what they hold."""
    before = resident_bytes()  # the interpreter and the libraries
    train, test, source = gowalla_split(data_dir, users)
    split = GivenSplit(train, test, source)
    tuning, fold = split.tuning(1)
    with_data = resident_bytes()
    model = recommender(train.shape[1], "float32", epochs=epochs, patience=0, seed=0)
    start = time.perf_counter()
    model.fit(tuning, fold)
    fit_seconds, peak_fit = time.perf_counter() - start, peak_bytes()
    start = time.perf_counter()
    evaluate_ranking(model.score, train, test, (20,))
    ranking_seconds, peak_ranking = time.perf_counter() - start, peak_bytes()
    n_params = sum(p.size for _, p, _ in model.network_.parameters())
    itemsize = 4
    csr = {id(a): a.nbytes for m in (train, test, tuning, fold.targets) for a in (m.indptr, m.indices, m.values)}
    held = {
        "parameters": n_params * itemsize,
        "gradients": n_params * itemsize,
        "adam_m_v": 2 * n_params * itemsize,
        "best_epoch_copy": n_params * itemsize,
        "activations": _activation_bytes(model, tuning),
        "csr_data": sum(csr.values()),
    }
    total = sum(held.values())
    return {
        "source": source, "users": train.shape[0], "epochs": epochs, "fit_s": fit_seconds, "ranking_s": ranking_seconds,
        "rss_before_data": before, "rss_with_data": with_data, "peak_fit": peak_fit, "peak_ranking": peak_ranking,
        "held": held, "held_total": total, "peak_over_held": (peak_fit - before) / total,
    }  # fmt: skip


def _activation_bytes(model: MultVAE, X: CSR) -> int:
    """Bytes of the distinct arrays the layers and the loss keep after one training step on a batch of 500,
    plus dL/dlogits and the batch buffer fit densifies into (what a step needs at once)."""
    network, loss = model.network_, ae.losses.MultinomialLoss()
    x = X.densify(np.arange(min(500, X.shape[0])))
    network.train()
    network.input_grad = False
    loss.forward(network.forward(x), x)
    network.backward(loss.backward())
    arrays: dict[int, int] = {id(x): x.nbytes}
    for cache in [layer.cache for layer in leaves(network)] + [loss.cache]:
        for value in cache.values():
            if isinstance(value, np.ndarray):
                base = value if value.base is None else value.base
                arrays[id(base)] = base.nbytes
    return sum(arrays.values()) + loss.cache["pred"].nbytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--memory", action="store_true", help="measure the peak memory (the only mode)")
    parser.add_argument("--data-dir", default=None, help="Gowalla's train.txt and test.txt (default: beside the repo)")
    parser.add_argument("--users", type=int, default=None, help="only the first N users (a quick run)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the fit (validation after each)")
    args = parser.parse_args(argv)
    print(json.dumps(memory(args.data_dir, args.users, args.epochs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
