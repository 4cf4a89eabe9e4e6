"""``python -m autoencoder_np recsys evaluate | recommend | coldstart``: the recommenders from the shell.

Every subcommand runs on the seeded synthetic data by default (no download); ``--data PATH`` reads a real
ratings file instead (MovieLens ``u.data``, ``ratings.dat``, ``ratings.csv``, RecBole ``.inter``; titles
and genres come from ``u.item`` / ``movies.dat`` / ``movies.csv`` beside it; ``--format`` when the name
does not tell); ``--data-dir DIR`` reads a published split (``train.txt``, ``test.txt``, the NGCF /
LightGCN format) for the ``given`` protocol and for ``recommend``.

BLAS threads: ``--threads N``; by default the environment's ``OPENBLAS_NUM_THREADS`` (or ``OMP_…``,
``MKL_…``) when set, else the cores not already busy (see :mod:`.threads`). The first line says which.
Progress (training epochs with time per epoch and time left, scoring batches) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import coldstart, evaluate, threads
from .data import Interactions
from .given import GivenSplit, load_given
from .readers import FORMATS, load
from .synthetic import synthetic_ratings


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated integers, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be non-negative integers, got {text!r}")
    return seeds


def _setting(text: str) -> tuple[str, Any]:
    """``[MODEL.]KEY=VALUE`` -> (key, value), VALUE read as JSON (a bare word stays a string)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected [MODEL.]KEY=VALUE, e.g. batch_size=500, got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _names(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _add_data(parser: argparse.ArgumentParser, *, given: bool = True) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", type=Path, help="a ratings file (u.data, ratings.dat, ratings.csv, *.inter)")
    if given:
        source.add_argument("--data-dir", type=Path, help="a published split: a folder with train.txt and test.txt")
    source.add_argument(
        "--synthetic", action="store_true", help="the seeded synthetic data set (the default when --data is absent)"
    )
    parser.add_argument(
        "--format", choices=("auto", *FORMATS), default="auto", help="the ratings file's format (default: guessed)"
    )
    parser.add_argument("--threads", type=int, help="BLAS threads (default: the idle cores, or OPENBLAS_NUM_THREADS)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="recsys_command", metavar="subcommand")
    sub.required = True

    ev = sub.add_parser("evaluate", help="tune on validation, score on test, mean ± std over seeds")
    _add_data(ev)
    ev.add_argument(
        "--protocol", choices=evaluate.PROTOCOLS, help="(default: given with --data-dir, else heldout-users)"
    )
    ev.add_argument(
        "--models",
        type=_names,
        help=f"comma-separated, from {', '.join(evaluate.MODELS)} (default: every model of the protocol "
        "but uautorec and pca)",
    )
    ev.add_argument("--seeds", type=_seeds, default=[1, 2, 3], help="comma-separated split seeds (default 1,2,3)")
    ev.add_argument("--json", type=Path, help="also write every number and choice to this JSON file")
    ev.add_argument("--every", type=int, default=10, help="a progress line every k-th epoch (0: none; default 10)")
    ev.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="[MODEL.]KEY=VALUE",
        help="fix a hyperparameter instead of searching it, e.g. batch_size=500 or multvae.hidden=[600,200] "
        "(VALUE in JSON; repeatable)",
    )

    rec = sub.add_parser("recommend", help="a user's top K, with titles when the data has them")
    _add_data(rec)
    rec.add_argument("--every", type=int, default=10, help="a progress line every k-th epoch (0: none; default 10)")
    rec.add_argument("--user", required=True, help="the user's raw id, as in the file")
    rec.add_argument("-k", type=int, default=10, help="how many items (default 10)")
    rec.add_argument(
        "--model", default="ease", help="a held-out-users model: " + ", ".join(evaluate.DEFAULT_MODELS["heldout-users"])
    )
    rec.add_argument("--seed", type=int, default=0, help="seed of a neural model's weights (default 0)")

    cold = sub.add_parser("coldstart", help="new items: content autoencoder vs genre popularity, over seeds")
    _add_data(cold, given=False)
    cold.add_argument("--seeds", type=_seeds, default=[1, 2, 3], help="comma-separated seeds (default 1,2,3)")
    cold.add_argument("-k", type=int, default=10, help="K of Recall@K and NDCG@K among the new items (default 10)")


def _load(args: argparse.Namespace) -> Interactions | GivenSplit:
    if getattr(args, "data_dir", None) is not None:
        return load_given(args.data_dir)
    return load(args.data, format=args.format) if args.data is not None else synthetic_ratings()


def _threads(args: argparse.Namespace) -> str:
    """Set the BLAS threads (``--threads`` or the default); the line that says so."""
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be ≥ 1, got {args.threads}")
        n, why = args.threads, "--threads"
    else:
        n, why = threads.default_threads()
    done = threads.set_blas_threads(n)
    note = "" if done else " (no BLAS found to set: set OPENBLAS_NUM_THREADS before starting instead)"
    return f"BLAS threads: {n} ({why}; --threads N to change){note}"


def run(args: argparse.Namespace) -> int:
    if getattr(args, "every", 0) < 0:
        raise ValueError(f"--every must be ≥ 0, got {args.every}")
    if getattr(args, "k", 1) < 1:
        raise ValueError(f"-k must be ≥ 1, got {args.k}")
    if args.recsys_command == "evaluate":
        args.protocol = args.protocol or ("given" if args.data_dir is not None else "heldout-users")
        models = args.models or list(evaluate.DEFAULT_MODELS[args.protocol])
        evaluate.check_models(models, args.protocol)  # before reading data: a typo fails at once
        args.fixed = evaluate.fixed_settings(args.set, models)
        if (args.protocol == "given") != (args.data_dir is not None):
            raise ValueError("the given protocol runs on a published split: pass --data-dir DIR (train.txt, test.txt)")
    blas = _threads(args)
    if args.recsys_command == "evaluate":
        return _evaluate(args, models, blas)
    if args.recsys_command == "recommend":
        return _recommend(args, blas)
    return _coldstart(args, blas)


def _evaluate(args: argparse.Namespace, models: list[str], blas: str) -> int:
    data = _load(args)
    print(blas)
    print(f"data: {data.describe() if isinstance(data, GivenSplit) else data}")
    report = evaluate.run(
        data, protocol=args.protocol, models=models, seeds=args.seeds, verbose=args.every, fixed=args.fixed
    )
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


def _recommend(args: argparse.Namespace, blas: str) -> int:
    evaluate.check_models([args.model], "heldout-users")
    data = _load(args)
    if isinstance(data, GivenSplit):  # ids are the indices; every training item of the user is excluded
        user = _given_user(data, args.user)
        X, title, seen = data.train, lambda i: f"item {i}", data.train.row(user)[0]
        trained_on = f"train.txt of {data.source}"
    else:
        user = data.user_index(args.user)
        X, title, seen = data.binarize(3.5, sparse=True), data.title, data.item[data.user == user]
        trained_on = "every user's ratings > 3.5"  # every rated item, liked or not, is excluded
    model = evaluate.build(args.model, {}, seed=args.seed, verbose=args.every)
    print(blas, file=sys.stderr)
    print(f"fitting {model!r} on {X.shape[0]} users × {X.shape[1]} items ({X.nnz} clicks) …", file=sys.stderr)
    start = time.perf_counter()
    model.fit(X)
    print(f"fitted in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    scores = np.array(model.score(X.rows([user])), dtype=np.float64)[0]
    scores[seen] = -np.inf
    k = min(args.k, X.shape[1] - len(seen))
    top = np.argsort(-scores, kind="stable")[:k]
    print(
        f"top {k} for user {args.user} by {model!r}, trained on {trained_on} "
        f"({X.nnz} clicks); the user's {len(seen)} rated items are excluded"
    )
    ids = np.arange(X.shape[1]) if isinstance(data, GivenSplit) else data.item_ids
    width = max(len(title(i)) for i in top)
    for rank, item in enumerate(top, start=1):
        print(f"{rank:>3}. {title(item):<{width}}  (item {ids[item]}, score {scores[item]:.4f})")
    return 0


def _given_user(data: GivenSplit, raw: str) -> int:
    n_users = data.train.shape[0]
    if not raw.strip().isdigit() or int(raw) >= n_users:
        raise ValueError(f"no user with id {raw!r} in the split (ids 0 … {n_users - 1})")
    return int(raw)


def _coldstart(args: argparse.Namespace, blas: str) -> int:
    data = _load(args)
    print(blas)
    print(f"data: {data}")
    report = coldstart.run(data, seeds=args.seeds, k=args.k)
    print()
    print(evaluate.format_table(report, note=coldstart.NOTE))
    return 0
