"""``python -m autoencoder_np gradcheck [TARGET]``: check backward passes and explain what is wrong.

Without a target: every built-in layer, activation, loss (with and without a mask) and a small model of
each kind, in one table. With a target ``path/to/file.py:NAME`` or ``package.module:NAME``, where NAME is a
layer instance, a layer class with a zero-argument constructor, a zero-argument factory or a loss: that
object, with the full report and its hints (a model that fails is then checked layer by layer).

Exit status: 0 every check passes, 1 a check fails, 2 the target cannot be loaded or breaks the layer
protocol (one line on stderr, through ``cli.main``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from .engine import DEFAULT_RTOL
from .finite_differences import DEFAULT_STEPS, METHODS
from .junit import write_junit
from .outcomes import Options, Outcome, builtin_outcomes, guarded, target_outcomes
from .report import band
from .sweep import eps_sweep
from .targets import BATCH

JSON_SCHEMA = "autoencoder_np.gradcheck/1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", nargs="?", help="path/to/file.py:NAME or package.module:NAME (default: every built-in)"
    )
    parser.add_argument(
        "--input-shape", nargs="+", metavar="SHAPE",
        help=f"input (or prediction) shape, comma-separated, e.g. 4,10 (default: ({BATCH}, in_features), "
        f"else ({BATCH}, 5))",
    )  # fmt: skip
    parser.add_argument(
        "--dtype", choices=("float64", "float32"), default="float64",
        help="dtype of the layers under test; checks always run in float64 (float32 is upcast, with a note)",
    )  # fmt: skip
    parser.add_argument(
        "--eps", type=float, help="relative step (default: 6e-6 central, 1e-3 richardson, 1e-20 complex)"
    )
    parser.add_argument("--rtol", type=float, default=DEFAULT_RTOL, help="relative tolerance (default 1e-6)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of inputs, weights and upstream gradients (default 0)"
    )
    parser.add_argument("--method", choices=METHODS, default="central", help="numeric derivative (default central)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the report as JSON (docs/gradcheck.md)")
    parser.add_argument(
        "--junit-xml", type=Path, metavar="PATH",
        help="also write a JUnit XML report: one test case per gradient, the diagnosis in each failure",
    )  # fmt: skip
    parser.add_argument("--plot", type=Path, metavar="PATH", help="save the eps sweep (1e-1 … 1e-12) figure as PATH")


def parse_shape(words: list[str] | None) -> list[int] | None:
    """``--input-shape 4,10`` (or the older ``4 10``) as [4, 10]; every size ≥ 1."""
    if not words:
        return None
    parts = [part for word in words for part in word.replace(",", " ").split()]
    try:
        shape = [int(part) for part in parts]
    except ValueError:
        given = " ".join(words)
        raise ValueError(f"gradcheck: --input-shape must be integers, e.g. 4,10, got {given!r}") from None
    for n in shape:
        if n < 1:
            raise ValueError(f"gradcheck: --input-shape must be ≥ 1, got {n}")
    return shape or None


# Output ----------------------------------------------------------------------------------------------------


def table(outcomes: list[Outcome]) -> str:
    """One line per check: label, rows, worst error and band, kinks, verdict."""
    width = max(44, *(len(o.label) + 2 for o in outcomes))
    lines = [f"{'check':<{width}}{'rows':>5}{'max rel err':>13}  {'band':<16}{'kinks':>6}  verdict"]
    for o in outcomes:
        if o.report is None:
            lines.append(f"{o.label:<{width}}{'-':>5}{'-':>13}  {'-':<16}{'-':>6}  skipped: {o.skipped}")
            continue
        r = o.report
        lines.append(
            f"{o.label:<{width}}{len(r.rows):>5}{r.max_rel_error:>13.2e}  {band(r.max_rel_error):<16}"
            f"{r.n_kinks:>6}  {'ok' if r.passed else 'FAIL'}"
        )
    return "\n".join(lines)


def notes_by_text(outcomes: list[Outcome]) -> dict[str, list[str]]:
    """Each distinct note of the reports, with the labels of the checks it belongs to."""
    grouped: dict[str, list[str]] = {}
    for o in outcomes:
        for note in o.report.all_notes if o.report is not None else []:
            grouped.setdefault(note, []).append(o.label)
    return grouped


def write_json(path: Path, args: argparse.Namespace, outcomes: list[Outcome], sweep: Any) -> None:
    document = {
        "schema": JSON_SCHEMA,
        "target": args.target,
        "passed": all(o.passed for o in outcomes),
        "method": args.method,
        "eps": args.eps if args.eps is not None else DEFAULT_STEPS[args.method],
        "rtol": args.rtol,
        "seed": args.seed,
        "dtype": args.dtype,
        "checks": [o.to_dict() for o in outcomes],
        "eps_sweep": None if sweep is None else sweep.to_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False) + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    shape = parse_shape(args.input_shape)
    options = Options(args.method, args.eps, args.rtol, args.seed)
    start = time.perf_counter()
    subject = None
    if args.target is None:
        outcomes = builtin_outcomes(options, args.dtype, shape)
    else:
        outcomes, subject = target_outcomes(args.target, options, args.dtype, shape)
    seconds = time.perf_counter() - start
    failed = [o for o in outcomes if not o.passed]
    if args.target is None:
        print(
            f"gradcheck: built-in layers, losses and models; method {args.method}, rtol {args.rtol:g}, seed {args.seed}"
        )
        print(table(outcomes))
        for note, labels in notes_by_text(outcomes).items():
            print(f"note: {note} ({', '.join(labels)})")
        for o in failed:
            print()
            print(o.details())
    else:
        print("\n\n".join(o.details() for o in outcomes if o.report is not None))
        for o in outcomes:
            if o.report is None:
                print(f"{o.label}: skipped: {o.skipped}")
    checked = [o for o in outcomes if o.report is not None]
    verdict = f"{len(failed)} of {len(checked)} check(s) FAIL" if failed else f"all {len(checked)} check(s) pass"
    print(f"{verdict} ({seconds:.2f} s)")
    sweep = None
    if args.plot is not None:
        from ..plotting import save_eps_sweep  # matplotlib loads only when a figure is asked for

        layer, x = subject if subject is not None else (None, None)
        sweep = guarded("eps sweep", lambda: eps_sweep(layer, x, seed=args.seed))
        path = save_eps_sweep(sweep, args.plot)
        best = "; ".join(
            f"{label} {sweep.best(label)[1]:.1e} at eps {sweep.best(label)[0]:.0e}" for label in sweep.errors
        )
        print(f"eps sweep saved to {path} (smallest error: {best})")
        for note in sweep.notes:
            print(f"note: {note}")
    if args.json is not None:
        write_json(args.json, args, outcomes, sweep)
        print(f"JSON report written to {args.json}")
    if args.junit_xml is not None:
        write_junit(args.junit_xml, outcomes, seconds)
        print(f"JUnit XML report written to {args.junit_xml}")
    return 1 if failed else 0
