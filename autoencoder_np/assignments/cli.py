"""``python -m autoencoder_np assignment {list,create,grade}``, and ``grade.py`` in a workspace.

Exit status of ``grade``: 0 at full marks, 1 otherwise, 2 for bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .catalogue import PARTS, parse_parts
from .grading import GRADER, grade
from .markers import package_regions
from .workspace import PACKAGE, create


def add_grade_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the scores as JSON")
    parser.add_argument("--seed", type=int, help="repeat a run exactly (default: fresh numbers, printed)")
    parser.add_argument("--timeout", type=float, help="seconds per function (default: the config's, 30)")
    parser.add_argument("--jobs", type=int, help="checks run at once (default: min(4, CPUs))")
    parser.add_argument("--config", type=Path, metavar="PATH", help="parts and points (default: DIR/assignment.json)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="action")
    actions.required = True
    actions.add_parser("list", help="the parts, their functions and default points")
    make = actions.add_parser("create", help="write a student workspace: the package with the chosen parts to fill in")
    make.add_argument("directory", type=Path, metavar="DIR", help="an empty or new directory")
    make.add_argument("--parts", default="all", help=f"comma-separated, from: {', '.join(PARTS)} (default: all)")
    make.add_argument("--title", default="", help="the assignment's title (in the READMEs and the score table)")
    make.add_argument("--solutions", action="store_true", help="keep the solutions: the teacher's copy")
    make.add_argument("--force", action="store_true", help="write into a non-empty DIR, replacing what create wrote")
    marking = actions.add_parser("grade", help="score a workspace; exit 0 only at full marks")
    marking.add_argument("directory", type=Path, metavar="DIR", help="a workspace made by create")
    add_grade_options(marking)


def _list() -> int:
    regions = package_regions(PACKAGE)
    width = max(len(f) for part in PARTS.values() for f in part.points)
    print(f"{'part':<12} {'points':>6}  what it covers; its functions (points, where)")
    for part in PARTS.values():
        print(f"{part.name:<12} {sum(part.points.values()):>6}  {part.title}")
        for function, points in part.points.items():
            region = regions.get(function)
            where = f"{region.qualname} in {region.path}" if region else "(no region in the source)"
            print(f"{'':<21}    {function:<{width}} {points:>2}  {where}")
    print("create DIR --parts dense,adam,... writes a workspace with those parts to implement")
    return 0


def _create(args: argparse.Namespace) -> int:
    parts = parse_parts(args.parts, "assignment create --parts")
    config = create(args.directory, parts, title=args.title, solutions=args.solutions, force=args.force)
    total = sum(p for points in config.parts.values() for p in points.values())
    kind = "solutions copy" if args.solutions else "student workspace"
    print(f"{kind} for {', '.join(parts)} ({total:g} points) written to {args.directory}")
    print(f"grade it: python -m autoencoder_np assignment grade {args.directory}")
    return 0


def _grade(directory: Path, args: argparse.Namespace) -> int:
    grades = grade(directory, config=args.config, seed=args.seed, timeout=args.timeout, jobs=args.jobs)
    print(grades)
    if args.json:
        args.json.write_text(json.dumps(grades.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"scores written to {args.json}")
    return 0 if grades.full_marks else 1


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list()
    if args.action == "create":
        return _create(args)
    if (args.directory.resolve() / "autoencoder_np") == GRADER:
        print(
            f"note: grading with {args.directory}'s own copy of the grader (python -m autoencoder_np run inside "
            "the workspace imports the workspace's package); run it from another directory to use yours",
            file=sys.stderr,
        )
    return _grade(args.directory, args)


def grade_here(root: Path, argv: Sequence[str]) -> int:
    """``python grade.py [options]`` in a workspace: grade ``root`` with this copy's checks."""
    parser = argparse.ArgumentParser(prog="python grade.py", description="Grade this workspace.")
    add_grade_options(parser)
    args = parser.parse_args(argv)
    try:
        return _grade(root, args)
    except (ValueError, OSError) as err:
        print(f"grade.py: error: {err}", file=sys.stderr)
        return 2
