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
- ``given`` (a published split, NGCF / LightGCN ``train.txt`` / ``test.txt``; :mod:`.given`): models are
  tuned on a seeded 20% of each training user's items, refitted on all of train.txt with the values chosen,
  and rank every item not in the user's training row; Recall@K is plain (hits / test items), as published.

Some models choose a value inside ``fit`` from the validation data: the neural models their epoch, EASE its
λ from a grid (one eigendecomposition for the whole grid). ``model.chosen()`` reports it and
``model.tried()`` each candidate's validation score. Ranking runs in batches of users (:mod:`.ranking`).

Results are reported as mean ± sample standard deviation over the seeds (the mean alone for one seed).
"""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..sparse import CSR
from .autorec import AutoRec
from .base import MemoryBudgetError, Recommender
from .baselines import PCA, Biases, GlobalMean, ItemKNN, Popularity, TruncatedSVD
from .cdae import CDAE
from .data import Interactions
from .ease import EASE
from .given import GivenSplit
from .metrics import mae, rmse
from .mult import MultDAE, MultVAE
from .neural import TRAINING_DEFAULTS, NeuralTraining
from .ranking import evaluate_ranking, fold_ndcg
from .splits import FoldIn, HeldOutSplit, RatingsSplit, split_heldout_users, split_ratings

PROTOCOLS = ("ratings", "heldout-users", "given")

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
    "given": ("popularity", "itemknn", "ease", "multdae", "multvae"),
}

#: The columns of the printed table (the JSON keeps every metric).
HEADLINE = {
    "ratings": ("rmse", "mae"),
    "heldout-users": ("recall@20", "recall@50", "ndcg@100"),
    "given": ("plain_recall@20", "ndcg@20"),
}


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
    fixed: dict[str, Any] = field(default_factory=dict)


def _kind(protocol: str) -> str:
    """The kind of model a protocol takes: the given split ranks, as held-out users do."""
    return "heldout-users" if protocol == "given" else protocol


def check_models(names: Sequence[str], protocol: str) -> list[str]:
    """The model names, checked against the registry and the protocol; ValueError naming the misfit."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    kind = _kind(protocol)
    for name in names:
        if name not in MODELS:
            raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
        cls = MODELS[name][0]
        if cls.protocol != kind:
            raise ValueError(
                f"model {name!r} is a {cls.protocol} model; it cannot run the {protocol} protocol "
                f"(models for {protocol}: {', '.join(n for n, (c, _) in MODELS.items() if c.protocol == kind)})"
            )
    return list(names)


def build(name: str, config: dict[str, Any], *, seed: int, verbose: int = 0) -> Recommender:
    """A model from the registry with ``config`` on top of its fixed arguments (seeded if it is neural)."""
    cls, fixed = MODELS[name]
    kwargs = {**fixed, **config}
    if issubclass(cls, NeuralTraining):
        kwargs.update(seed=seed, verbose=verbose)
    return cls(**kwargs)


def _grid(name: str, fixed: dict[str, Any]) -> list[dict[str, Any]]:
    """Every combination of the model's ``param_grid``, but for the values ``fixed`` (not searched)."""
    grid = {key: values for key, values in MODELS[name][0].param_grid.items() if key not in fixed}
    return [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]


def fixed_settings(pairs: Sequence[tuple[str, Any]], models: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Hyperparameters fixed by hand (``recsys evaluate --set``), per model: not searched, the same every seed.

    ``pairs``: (key, value); the key is ``name`` (every model of ``models`` that takes it) or ``model.name``.
    Raises ValueError for a key no model takes or a value a model refuses (its own message).
    """
    fixed: dict[str, dict[str, Any]] = {name: {} for name in models}
    for key, value in pairs:
        model, _, name = key.rpartition(".")
        targets = [model] if model else list(models)
        if model and model not in models:
            raise ValueError(f"--set {key}: {model!r} is not among the models evaluated ({', '.join(models)})")
        taken = [target for target in targets if _takes(target, name)]
        if not taken:
            raise ValueError(f"--set {key}: no model evaluated ({', '.join(targets)}) takes {name!r}")
        for target in taken:
            fixed[target][name] = value
    for name, config in fixed.items():
        if config:
            build(name, config, seed=0)  # a value the model refuses fails here, before any training
    return fixed


def _takes(name: str, key: str) -> bool:
    """Whether the model's constructor takes ``key``: an argument of its ``__init__`` (or of a parent's it
    passes ``**kwargs`` to), or a neural model's training setting."""
    cls = MODELS[name][0]
    if issubclass(cls, NeuralTraining) and key in TRAINING_DEFAULTS:
        return True
    for klass in cls.__mro__:
        parameters = inspect.signature(klass.__init__).parameters  # type: ignore[misc]
        if key in parameters and parameters[key].kind is not inspect.Parameter.VAR_KEYWORD:
            return True
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            return False
    return False


def _ks(n_items: int) -> tuple[int, ...]:
    return tuple(k for k in (20, 50, 100) if k <= n_items) or (n_items,)


def _tune(
    name: str, train: Any, validation: Any, measure: Callable[[Recommender], float], *, lower_is_better: bool,
    metric: str, seed: int, verbose: int, log: Callable[[str], None], fixed: dict[str, Any],
) -> tuple[float, dict[str, Any], Recommender, list[dict[str, Any]]]:  # fmt: skip
    """Fit every configuration of the grid (with the ``fixed`` values) on ``train`` with ``validation``; (best
    value, its configuration with what fit chose, the model, every candidate tried)."""
    sign = -1.0 if lower_is_better else 1.0
    best: tuple[float, dict[str, Any], Recommender] | None = None
    tried = []
    for config in _grid(name, fixed):
        model = build(name, {**fixed, **config}, seed=seed, verbose=verbose).fit(train, validation)
        value = measure(model)
        chosen = {**config, **model.chosen()}
        for candidate, v in model.tried() or [(chosen, value)]:
            tried.append({**candidate, f"validation {metric}": v})
            log(f"  [seed {seed}] {name} {_describe(candidate)}: validation {metric} {v:.4f}")
        if best is None or sign * value > sign * best[0]:
            best = (value, chosen, model)
    assert best is not None
    return (*best, tried)


def evaluate_heldout(
    name: str, split: HeldOutSplit, *, seed: int, verbose: int = 0, log: Callable[[str], None] = print,
    fixed: dict[str, Any] | None = None,
) -> Result:  # fmt: skip
    """Tune ``name`` on the validation users by NDCG@100, then score the test users."""
    return _ranked(name, split.train, split.validation, split.test, None, seed=seed, verbose=verbose, log=log,
                   fixed=fixed or {})  # fmt: skip


def evaluate_given(
    name: str, split: GivenSplit, *, seed: int, verbose: int = 0, log: Callable[[str], None] = print,
    fixed: dict[str, Any] | None = None,
) -> Result:  # fmt: skip
    """Tune ``name`` on the validation share of train.txt by NDCG@100, refit on all of it, score test.txt."""
    train, fold = split.tuning(seed)
    return _ranked(name, train, fold, split.testing(), split.train, seed=seed, verbose=verbose, log=log,
                   fixed=fixed or {})  # fmt: skip


def _ranked(
    name: str, train: Any, validation: FoldIn, test: FoldIn, refit: Any, *, seed: int, verbose: int,
    log: Callable[[str], None], fixed: dict[str, Any],
) -> Result:  # fmt: skip
    """Tune on ``validation`` by NDCG@100; refit on ``refit`` with the values chosen (unless None); rank ``test``."""
    start = time.perf_counter()
    value, chosen, model, tried = _tune(
        name, train, validation, lambda m: fold_ndcg(m.score, validation), lower_is_better=False,
        metric="ndcg@100", seed=seed, verbose=verbose, log=log, fixed=fixed,
    )  # fmt: skip
    if refit is not None:
        model = build(name, {**fixed, **chosen}, seed=seed, verbose=verbose).fit(refit)
    metrics = evaluate_ranking(model.score, test.input, test.targets, _ks(test.input.shape[1]), progress=True)
    return Result(name, seed, chosen, value, metrics, time.perf_counter() - start, tried, fixed)


def evaluate_ratings(
    name: str, split: RatingsSplit, *, seed: int, verbose: int = 0, log: Callable[[str], None] = print,
    fixed: dict[str, Any] | None = None,
) -> Result:  # fmt: skip
    """Tune ``name`` on the validation ratings by RMSE, refit on train + validation, score the test ratings."""
    start = time.perf_counter()
    fixed = fixed or {}
    R, V = split.train.matrix(sparse=True), split.validation.matrix(sparse=True)
    val = split.validation
    value, chosen, _, tried = _tune(
        name, R, V, lambda m: rmse(m.predict(val.user, val.item), val.rating), lower_is_better=True,
        metric="rmse", seed=seed, verbose=verbose, log=log, fixed=fixed,
    )  # fmt: skip
    both = CSR.from_coo(np.concatenate([R.row_ids(), V.row_ids()]), np.concatenate([R.indices, V.indices]),
                        np.concatenate([R.values, V.values]), R.shape)  # fmt: skip
    final = build(name, {**fixed, **chosen}, seed=seed).fit(both)
    test = split.test
    pred = final.predict(test.user, test.item)
    metrics = {"rmse": rmse(pred, test.rating), "mae": mae(pred, test.rating)}
    return Result(name, seed, chosen, value, metrics, time.perf_counter() - start, tried, fixed)


def _describe(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items()) or "(no hyperparameters)"


def split_for(data: Interactions | GivenSplit, protocol: str, seed: int) -> HeldOutSplit | RatingsSplit | GivenSplit:
    """The protocol's split of ``data`` with ``seed`` (a given split is its own)."""
    if protocol == "given":
        if not isinstance(data, GivenSplit):
            raise ValueError("the given protocol needs a given split (train.txt and test.txt: --data-dir DIR)")
        return data
    if isinstance(data, GivenSplit):
        raise ValueError(f"a given split (--data-dir) runs the given protocol, not {protocol}")
    if protocol == "heldout-users":
        return split_heldout_users(data, seed=seed, sparse=True)
    return split_ratings(data, seed=seed)


EVALUATE = {"heldout-users": evaluate_heldout, "ratings": evaluate_ratings, "given": evaluate_given}


def run(
    data: Interactions | GivenSplit,
    *,
    protocol: str,
    models: Sequence[str],
    seeds: Sequence[int],
    verbose: int = 0,
    log: Callable[[str], None] = print,
    fixed: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Evaluate every model on every seed; returns a JSON-able report (see :func:`format_table`).

    ``fixed``: per model, hyperparameters set by hand (:func:`fixed_settings`): not searched.
    """
    models = check_models(models, protocol)
    fixed = fixed or {}
    if not seeds:
        raise ValueError("seeds: give at least one seed")
    results: list[Result] = []
    descriptions = []
    refused: dict[str, str] = {}  # a model past its memory budget is reported, and the others still run
    for seed in seeds:
        split = split_for(data, protocol, seed)
        descriptions.append(split.describe())
        log(split.describe())
        for name in (m for m in models if m not in refused):
            try:
                result = EVALUATE[protocol](  # type: ignore[operator]
                    name, split, seed=seed, verbose=verbose, log=log, fixed=fixed.get(name)
                )
            except MemoryBudgetError as err:
                refused[name] = str(err)
                log(f"[seed {seed}] {name}: refused: {err}")
                continue
            chosen = ", ".join(f"{k}={v}" for k, v in result.chosen.items()) or "-"
            headline = ", ".join(f"{m} {result.metrics[m]:.4f}" for m in HEADLINE[protocol] if m in result.metrics)
            by_hand = f"; fixed: {_describe(result.fixed)}" if result.fixed else ""
            log(f"[seed {seed}] {name}: test {headline}; chosen on validation: {chosen}{by_hand} "
                f"({result.seconds:.1f} s)")  # fmt: skip
            results.append(result)
    source = data.source
    return {
        "protocol": protocol,
        "data": source,
        "seeds": list(seeds),
        "splits": descriptions,
        "summary": summarize(results),
        "results": [asdict(r) for r in results],
        "refused": refused,
        "fixed": {name: config for name, config in fixed.items() if config},
    }


def summarize(results: Sequence[Result]) -> dict[str, dict[str, Any]]:
    """Per model: mean and sample std (ddof=1; None for one seed) of every metric, total seconds, choices."""
    summary: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r.model for r in results):
        rows = [r for r in results if r.model == name]
        keys = rows[0].metrics.keys()
        values = {k: np.array([r.metrics[k] for r in rows]) for k in keys}
        summary[name] = {
            "mean": {k: float(v.mean()) for k, v in values.items()},
            "std": {k: float(v.std(ddof=1)) if len(v) > 1 else None for k, v in values.items()},
            "seconds": float(sum(r.seconds for r in rows)),
            "chosen": [r.chosen for r in rows],
        }
    return summary


def format_table(report: dict[str, Any], note: str | None = None) -> str:
    """The mean ± std table of the headline metrics (every metric for other protocols), one row per model,
    with the protocol stated (``note`` replaces the built-in protocol line)."""
    protocol = report["protocol"]
    summary = report["summary"]
    every = tuple(next(iter(summary.values()))["mean"]) if summary else ()
    columns = [c for c in HEADLINE.get(protocol, every) if all(c in s["mean"] for s in summary.values())]
    seeds = ",".join(map(str, report["seeds"]))
    width = max(12, *(len(name) + 2 for name in summary), 0)
    any_choice = any(c for s in summary.values() for c in s["chosen"])
    spread = len(report["seeds"]) > 1
    over = f"mean ± std over {len(report['seeds'])} seeds" if spread else "one seed (no spread to report)"
    lines = [
        f"protocol: {protocol}; data: {report['data']}; seeds {seeds}; {over}",
        note or _protocol_note(protocol),
        f"{'model':<{width}}"
        + "".join(f"{c:>18}" for c in columns)
        + f"{'seconds':>10}"
        + ("  chosen on validation" if any_choice else ""),
    ]
    for name, s in summary.items():
        if spread:
            cells = "".join(f"{s['mean'][c]:>10.4f} ± {s['std'][c]:<5.3f}" for c in columns)
        else:
            cells = "".join(f"{s['mean'][c]:>18.4f}" for c in columns)
        chosen = "; ".join(", ".join(f"{k}={v}" for k, v in c.items()) or "-" for c in s["chosen"])
        lines.append(f"{name:<{width}}{cells}{s['seconds']:>10.1f}" + (f"  {chosen}" if any_choice else ""))
    for name, why in report.get("refused", {}).items():
        lines.append(f"{name:<{width}}refused: {why}")
    for name, config in report.get("fixed", {}).items():
        lines.append(f"{name}: fixed by hand, not searched: {_describe(config)}")
    return "\n".join(lines)


def _protocol_note(protocol: str) -> str:
    if protocol == "given":
        return (
            "given split (NGCF/LightGCN train.txt/test.txt): tuned on 20% of each training user's items, refitted "
            "on train.txt, all unseen items ranked; plain Recall@K = hits / |test items|, NDCG@K binary"
        )
    if protocol == "heldout-users":
        return (
            "held-out users (Liang et al. 2018): ratings > 3.5 as clicks, 10%/10% users for validation/test, "
            "80/20 fold-in/targets; Recall@K normalized by min(K, |targets|), NDCG@K binary"
        )
    return "ratings (Sedhain et al. 2015): random 90/10 ratings split, validation 10% of train; RMSE/MAE on test"
