"""Evaluation: each model tuned on validation data only, scored once on test, over several seeds.

For every seed: split the data (the seed fixes the split and the models' weights), then for every model
try each combination of its ``param_grid`` on the training part, judge it on the validation part
(NDCG@100 on validation users, or RMSE on validation ratings; neural models also pick their epoch there),
keep the best, and score it on the test part. The chosen values are reported with the result.

- ``heldout-users`` (Liang et al. 2018): models train on the training users; the test users' fold-in
  input goes in, the input items are excluded, the top K are compared with the targets.
- ``ratings`` (Sedhain et al. 2015): models train on the training ratings; the chosen configuration is
  then refitted on training + validation ratings (neural models for the chosen number of epochs) and scored
  once on the test ratings. Refitting uses no test data and gives the final model the data the paper's has.

Results are reported as mean ± sample standard deviation over the seeds.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .autorec import AutoRec
from .base import Recommender
from .baselines import PCA, Biases, GlobalMean, ItemKNN, Popularity, TruncatedSVD
from .cdae import CDAE
from .data import Interactions
from .ease import EASE
from .metrics import mae, ranking_report, rmse
from .mult import MultDAE, MultVAE
from .neural import NeuralTraining, fold_in_ndcg
from .splits import HeldOutSplit, RatingsSplit, split_heldout_users, split_ratings

PROTOCOLS = ("ratings", "heldout-users")

#: name -> (class, fixed constructor arguments)
MODELS: dict[str, tuple[type[Recommender], dict[str, Any]]] = {
    "mean": (GlobalMean, {}),
    "bias": (Biases, {}),
    "autorec": (AutoRec, {"kind": "item"}),
    "uautorec": (AutoRec, {"kind": "user"}),
    "popularity": (Popularity, {}),
    "itemknn": (ItemKNN, {}),
    "svd": (TruncatedSVD, {}),
    "pca": (PCA, {}),
    "ease": (EASE, {}),
    "multdae": (MultDAE, {}),
    "multvae": (MultVAE, {}),
    "cdae": (CDAE, {}),
}

DEFAULT_MODELS = {
    "ratings": ("mean", "bias", "autorec"),
    "heldout-users": ("popularity", "itemknn", "svd", "ease", "multdae", "multvae", "cdae"),
}

#: The columns of the printed table (the JSON keeps every metric).
HEADLINE = {"ratings": ("rmse", "mae"), "heldout-users": ("recall@20", "recall@50", "ndcg@100")}


@dataclass
class Result:
    """One model on one seed: the chosen configuration, its validation score, the test metrics, the time."""

    model: str
    seed: int
    chosen: dict[str, Any]
    validation: float
    metrics: dict[str, float]
    seconds: float
    tried: list[dict[str, Any]] = field(default_factory=list)


def check_models(names: Sequence[str], protocol: str) -> list[str]:
    """The model names, checked against the registry and the protocol; ValueError naming the misfit."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    for name in names:
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
        cls = MODELS[name][0]
        if cls.protocol != protocol:
            raise ValueError(
                f"model {name!r} is a {cls.protocol} model; it cannot run the {protocol} protocol "
                f"(models for {protocol}: {', '.join(n for n, (c, _) in MODELS.items() if c.protocol == protocol)})"
            )
    return list(names)


def build(name: str, config: dict[str, Any], *, seed: int, verbose: int = 0) -> Recommender:
    """A model from the registry with ``config`` on top of its fixed arguments (seeded if it is neural)."""
    cls, fixed = MODELS[name]
    kwargs = {**fixed, **config}
    if issubclass(cls, NeuralTraining):
        kwargs.update(seed=seed, verbose=verbose)
    return cls(**kwargs)


def _grid(name: str) -> list[dict[str, Any]]:
    grid = MODELS[name][0].param_grid
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def _epochs(model: Recommender) -> dict[str, Any]:
    return {"epochs": model.best_epoch_} if isinstance(model, NeuralTraining) else {}


def _ks(n_items: int) -> tuple[int, ...]:
    return tuple(k for k in (20, 50, 100) if k <= n_items) or (n_items,)


def evaluate_heldout(
    name: str, split: HeldOutSplit, *, seed: int, verbose: int = 0, log: Callable[[str], None] = print
) -> Result:
    """Tune ``name`` on the validation users by NDCG@100, then score the test users."""
    start = time.perf_counter()
    best: tuple[float, dict[str, Any], Recommender] | None = None
    tried = []
    for config in _grid(name):
        model = build(name, config, seed=seed, verbose=verbose).fit(split.train, split.validation)
        value = fold_in_ndcg(model.score, split.validation)()
        tried.append({**config, **_epochs(model), "validation ndcg@100": value})
        log(f"  [seed {seed}] {name} {_describe(config, model)}: validation ndcg@100 {value:.4f}")
        if best is None or value > best[0]:
            best = (value, config, model)
    assert best is not None
    value, config, model = best
    scores = np.array(model.score(split.test.input), dtype=np.float64)
    scores[split.test.input > 0] = -np.inf
    metrics = ranking_report(scores, split.test.targets, _ks(scores.shape[1]))
    return Result(name, seed, {**config, **_epochs(model)}, value, metrics, time.perf_counter() - start, tried)


def evaluate_ratings(
    name: str, split: RatingsSplit, *, seed: int, verbose: int = 0, log: Callable[[str], None] = print
) -> Result:
    """Tune ``name`` on the validation ratings by RMSE, refit on train + validation, score the test ratings."""
    start = time.perf_counter()
    R, V = split.train.matrix(), split.validation.matrix()
    best: tuple[float, dict[str, Any], Recommender] | None = None
    tried = []
    for config in _grid(name):
        model = build(name, config, seed=seed, verbose=verbose).fit(R, V)
        value = rmse(model.predict(split.validation.user, split.validation.item), split.validation.rating)
        tried.append({**config, **_epochs(model), "validation rmse": value})
        log(f"  [seed {seed}] {name} {_describe(config, model)}: validation rmse {value:.4f}")
        if best is None or value < best[0]:
            best = (value, config, model)
    assert best is not None
    value, config, model = best
    chosen = {**config, **_epochs(model)}
    final = build(name, chosen, seed=seed).fit(R + V)
    test = split.test
    pred = final.predict(test.user, test.item)
    metrics = {"rmse": rmse(pred, test.rating), "mae": mae(pred, test.rating)}
    return Result(name, seed, chosen, value, metrics, time.perf_counter() - start, tried)


def _describe(config: dict[str, Any], model: Recommender) -> str:
    items = {**config, **_epochs(model)}
    return ", ".join(f"{k}={v}" for k, v in items.items()) or "(no hyperparameters)"


def split_for(data: Interactions, protocol: str, seed: int) -> HeldOutSplit | RatingsSplit:
    """The protocol's split of ``data`` with ``seed``."""
    return split_heldout_users(data, seed=seed) if protocol == "heldout-users" else split_ratings(data, seed=seed)


def run(
    data: Interactions,
    *,
    protocol: str,
    models: Sequence[str],
    seeds: Sequence[int],
    verbose: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Evaluate every model on every seed; returns a JSON-able report (see :func:`format_table`)."""
    models = check_models(models, protocol)
    if not seeds:
        raise ValueError("seeds: give at least one seed")
    results: list[Result] = []
    descriptions = []
    for seed in seeds:
        split = split_for(data, protocol, seed)
        descriptions.append(split.describe())
        log(split.describe())
        for name in models:
            evaluate = evaluate_heldout if protocol == "heldout-users" else evaluate_ratings
            result = evaluate(name, split, seed=seed, verbose=verbose, log=log)  # type: ignore[arg-type]
            chosen = ", ".join(f"{k}={v}" for k, v in result.chosen.items()) or "-"
            headline = ", ".join(f"{m} {result.metrics[m]:.4f}" for m in HEADLINE[protocol] if m in result.metrics)
            log(f"[seed {seed}] {name}: test {headline}; chosen on validation: {chosen} ({result.seconds:.1f} s)")
            results.append(result)
    return {
        "protocol": protocol,
        "data": data.source,
        "seeds": list(seeds),
        "splits": descriptions,
        "summary": summarize(results),
        "results": [asdict(r) for r in results],
    }


def summarize(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    """Per model: mean and sample std (ddof=1; 0 for one seed) of every metric, total seconds, choices."""
    summary: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r.model for r in results):
        rows = [r for r in results if r.model == name]
        keys = rows[0].metrics.keys()
        values = {k: np.array([r.metrics[k] for r in rows]) for k in keys}
        summary[name] = {
            "mean": {k: float(v.mean()) for k, v in values.items()},
            "std": {k: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for k, v in values.items()},
            "seconds": float(sum(r.seconds for r in rows)),
            "chosen": [r.chosen for r in rows],
        }
    return summary


def format_table(report: dict[str, Any], note: str | None = None) -> str:
    """The mean ± std table of the headline metrics (every metric for other protocols), one row per model,
    with the protocol stated (``note`` replaces the built-in protocol line)."""
    protocol = report["protocol"]
    summary = report["summary"]
    every = tuple(next(iter(summary.values()))["mean"])
    columns = [c for c in HEADLINE.get(protocol, every) if all(c in s["mean"] for s in summary.values())]
    seeds = ",".join(map(str, report["seeds"]))
    width = max(12, *(len(name) + 2 for name in summary))
    any_choice = any(c for s in summary.values() for c in s["chosen"])
    lines = [
        f"protocol: {protocol}; data: {report['data']}; seeds {seeds}; mean ± std over {len(report['seeds'])} seed(s)",
        note or _protocol_note(protocol),
        f"{'model':<{width}}"
        + "".join(f"{c:>18}" for c in columns)
        + f"{'seconds':>10}"
        + ("  chosen on validation" if any_choice else ""),
    ]
    for name, s in summary.items():
        cells = "".join(f"{s['mean'][c]:>10.4f} ± {s['std'][c]:<5.3f}" for c in columns)
        chosen = "; ".join(", ".join(f"{k}={v}" for k, v in c.items()) or "-" for c in s["chosen"])
        lines.append(f"{name:<{width}}{cells}{s['seconds']:>10.1f}" + (f"  {chosen}" if any_choice else ""))
    return "\n".join(lines)


def _protocol_note(protocol: str) -> str:
    if protocol == "heldout-users":
        return (
            "held-out users (Liang et al. 2018): ratings > 3.5 as clicks, 10%/10% users for validation/test, "
            "80/20 fold-in/targets; Recall@K normalized by min(K, |targets|), NDCG@K binary"
        )
    return "ratings (Sedhain et al. 2015): random 90/10 ratings split, validation 10% of train; RMSE/MAE on test"
