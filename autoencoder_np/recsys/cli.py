"""``python -m autoencoder_np recsys evaluate | recommend | coldstart``: the recommenders from the shell.

Every subcommand runs on the seeded synthetic data by default (no download); ``--data PATH`` reads a real
ratings file instead (MovieLens ``u.data``, ``ratings.dat``, ``ratings.csv``, RecBole ``.inter``; titles
and genres come from ``u.item`` / ``movies.dat`` / ``movies.csv`` beside it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from . import coldstart, evaluate
from .data import Interactions, load
from .synthetic import synthetic_ratings


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated integers, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be non-negative integers, got {text!r}")
    return seeds


def _names(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _add_data(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", type=Path, help="a ratings file (u.data, ratings.dat, ratings.csv, *.inter)")
    source.add_argument(
        "--synthetic", action="store_true", help="the seeded synthetic data set (the default when --data is absent)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="recsys_command", metavar="subcommand")
    sub.required = True

    ev = sub.add_parser("evaluate", help="tune on validation, score on test, mean ± std over seeds")
    _add_data(ev)
    ev.add_argument("--protocol", choices=evaluate.PROTOCOLS, default="heldout-users", help="(default heldout-users)")
    ev.add_argument(
        "--models",
        type=_names,
        help=f"comma-separated, from {', '.join(evaluate.MODELS)} (default: every model of the protocol "
        "but uautorec and pca)",
    )
    ev.add_argument("--seeds", type=_seeds, default=[1, 2, 3], help="comma-separated split seeds (default 1,2,3)")
    ev.add_argument("--json", type=Path, help="also write every number and choice to this JSON file")
    ev.add_argument("--every", type=int, default=10, help="a progress line every k-th epoch (0: none; default 10)")

    rec = sub.add_parser("recommend", help="a user's top K, with titles when the data has them")
    _add_data(rec)
    rec.add_argument("--user", required=True, help="the user's raw id, as in the file")
    rec.add_argument("-k", type=int, default=10, help="how many items (default 10)")
    rec.add_argument(
        "--model", default="ease", help="a held-out-users model: " + ", ".join(evaluate.DEFAULT_MODELS["heldout-users"])
    )
    rec.add_argument("--seed", type=int, default=0, help="seed of a neural model's weights (default 0)")

    cold = sub.add_parser("coldstart", help="new items: content autoencoder vs genre popularity, over seeds")
    _add_data(cold)
    cold.add_argument("--seeds", type=_seeds, default=[1, 2, 3], help="comma-separated seeds (default 1,2,3)")
    cold.add_argument("-k", type=int, default=10, help="K of Recall@K and NDCG@K among the new items (default 10)")


def _load(args: argparse.Namespace) -> Interactions:
    return load(args.data) if args.data is not None else synthetic_ratings()


def run(args: argparse.Namespace) -> int:
    if args.recsys_command == "evaluate":
        return _evaluate(args)
    if args.recsys_command == "recommend":
        return _recommend(args)
    return _coldstart(args)


def _evaluate(args: argparse.Namespace) -> int:
    models = args.models or list(evaluate.DEFAULT_MODELS[args.protocol])
    evaluate.check_models(models, args.protocol)  # before reading data: a typo fails at once
    if args.every < 0:
        raise ValueError(f"--every must be ≥ 0, got {args.every}")
    data = _load(args)
    print(f"data: {data}")
    report = evaluate.run(data, protocol=args.protocol, models=models, seeds=args.seeds, verbose=args.every)
    print()
    print(evaluate.format_table(report))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=_json_default))
        print(f"every number and choice written to {args.json}")
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


def _recommend(args: argparse.Namespace) -> int:
    evaluate.check_models([args.model], "heldout-users")
    if args.k < 1:
        raise ValueError(f"-k must be ≥ 1, got {args.k}")
    data = _load(args)
    user = data.user_index(args.user)
    X = data.binarize(3.5)
    model = evaluate.build(args.model, {}, seed=args.seed).fit(X)
    seen = np.zeros(data.n_items, dtype=bool)
    seen[data.item[data.user == user]] = True  # every rated item, liked or not, is excluded
    scores = np.array(model.score(X[user : user + 1]), dtype=np.float64)[0]
    scores[seen] = -np.inf
    k = min(args.k, int((~seen).sum()))
    top = np.argsort(-scores, kind="stable")[:k]
    print(
        f"top {k} for user {args.user} by {model!r}, trained on every user's ratings > 3.5 "
        f"({int(X.sum())} clicks); the user's {int(seen.sum())} rated items are excluded"
    )
    width = max(len(data.title(i)) for i in top)
    for rank, item in enumerate(top, start=1):
        print(f"{rank:>3}. {data.title(item):<{width}}  (item {data.item_ids[item]}, score {scores[item]:.4f})")
    return 0


def _coldstart(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise ValueError(f"-k must be ≥ 1, got {args.k}")
    data = _load(args)
    print(f"data: {data}")
    report = coldstart.run(data, seeds=args.seeds, k=args.k)
    print()
    print(evaluate.format_table(report, note=coldstart.NOTE))
    return 0
