"""``python -m autoencoder_np assignment {list,create,grade,grade-all,export}``, and ``grade.py`` in a handout.

Exit status: 0 when grading ran, whatever the scores; 2 for bad input (one line on stderr); 1 when the
grading of some submission could not run (``grade-all``: the others are in the gradebook).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .catalogue import PARTS, parse_parts
from .markers import package_regions
from .results import Grades
from .selfcheck import self_check


def _grade_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the scores as JSON")
    parser.add_argument("--timeout", type=float, help="seconds per function (default: the config's, 30)")
    parser.add_argument("--jobs", type=int, help="functions graded at once (default: min(4, CPUs))")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .gradescope import VISIBILITIES

    actions = parser.add_subparsers(dest="action", metavar="action")
    actions.required = True
    actions.add_parser("list", help="the parts, their functions and default points")
    make = actions.add_parser("create", help="write a student handout and, apart from it, a teacher folder")
    make.add_argument("directory", type=Path, metavar="DIR", help="the handout: an empty or new directory")
    make.add_argument("--parts", default="all", help=f"comma-separated, from: {', '.join(PARTS)} (default: all)")
    make.add_argument("--title", default="", help="the assignment's title (in the READMEs and the score table)")
    make.add_argument("--teacher", type=Path, metavar="TEACHER", help="the teacher folder (default: DIR-teacher)")
    make.add_argument("--force", action="store_true", help="write into non-empty folders, replacing what create wrote")
    teacher = {"type": Path, "required": True, "metavar": "TEACHER", "help": "the teacher folder create made"}
    one = actions.add_parser("grade", help="grade one submission; exit 0 whatever the score")
    one.add_argument("submission", type=Path, metavar="SUBMISSION", help="a folder, a .zip or one .py file")
    one.add_argument("--teacher", **teacher)  # type: ignore[arg-type]
    _grade_options(one)
    one.add_argument("--feedback", type=Path, metavar="PATH", help="also write the student's feedback as text")
    one.add_argument("--gradescope", type=Path, metavar="PATH", help="also write Gradescope's results.json")
    one.add_argument(
        "--hidden-visibility",
        default="after_due_date",
        choices=VISIBILITIES,
        help="of hidden checks' details on Gradescope",
    )
    every = actions.add_parser("grade-all", help="grade every submission of a folder into one gradebook")
    every.add_argument("submissions", type=Path, metavar="SUBMISSIONS", help="one folder, .zip or .py per student")
    every.add_argument("--teacher", **teacher)  # type: ignore[arg-type]
    every.add_argument("--out", type=Path, required=True, metavar="CSV", help="the gradebook")
    every.add_argument("--json", type=Path, metavar="PATH", help="also write the gradebook as JSON")
    every.add_argument(
        "--feedback", type=Path, metavar="DIR", help="one feedback file per student (default: feedback/ beside CSV)"
    )
    every.add_argument("--timeout", type=float, help="seconds per function (default: the config's, 30)")
    every.add_argument("--jobs", type=int, help="submissions graded at once (default: min(4, CPUs))")
    export = actions.add_parser("export", help="an autograder for a grading platform")
    platform = export.add_subparsers(dest="platform", metavar="platform")
    platform.required = True
    zipped = platform.add_parser("gradescope", help="the autograder zip Gradescope runs")
    zipped.add_argument("teacher", type=Path, metavar="TEACHER", help="the teacher folder create made")
    zipped.add_argument("--out", type=Path, required=True, metavar="ZIP", help="e.g. autograder.zip")
    zipped.add_argument("--wheel", type=Path, help="a wheel of autoencoder_np to carry (default: built from this one)")
    zipped.add_argument(
        "--hidden-visibility", default="after_due_date", choices=VISIBILITIES, help="of hidden checks' details"
    )


def _list() -> int:
    from .workspace import PACKAGE

    regions = package_regions(PACKAGE)
    width = max(len(f) for part in PARTS.values() for f in part.points)
    print(f"{'part':<12} {'points':>6}  what it covers; its functions (points, where)")
    for part in PARTS.values():
        print(f"{part.name:<12} {sum(part.points.values()):>6}  {part.title}")
        for function, points in part.points.items():
            region = regions.get(function)
            where = f"{region.qualname} in {region.path}" if region else "(no region in the source)"
            print(f"{'':<21}    {function:<{width}} {points:>2}  {where}")
    print("create DIR --parts dense,adam,... writes a handout with those parts to implement, and a teacher folder")
    return 0


def _create(args: argparse.Namespace) -> int:
    from .workspace import create

    parts = parse_parts(args.parts, "assignment create --parts")
    config, teacher = create(args.directory, parts, title=args.title, teacher=args.teacher, force=args.force)
    print(f"student handout for {', '.join(parts)} ({config.max_total:g} points): {args.directory}")
    print("  give it to the students: starter code, lessons, README.md, and grade.py (the public checks)")
    print(f"teacher folder: {teacher}")
    print("  keep it: grading.json (points, shares, the hidden seeds), the clean starter copy, the solutions")
    print(f"grade a submission: python -m autoencoder_np assignment grade SUBMISSION --teacher {teacher}")
    return 0


def _write(grades: Grades, args: argparse.Namespace, seconds: float) -> None:
    if args.json:
        args.json.write_text(json.dumps(grades.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if getattr(args, "feedback", None):
        args.feedback.write_text(grades.feedback(), encoding="utf-8")
    if getattr(args, "gradescope", None):
        from .gradescope import results  # already imported by _grade, before any student code ran

        args.gradescope.parent.mkdir(parents=True, exist_ok=True)
        data = results(grades, args.hidden_visibility, seconds)
        args.gradescope.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _grade(args: argparse.Namespace) -> int:
    from .. import __version__
    from . import gradescope  # noqa: F401  (every module used after grading is loaded before student code runs)
    from .grading import TeacherFolder, grade

    made_by = TeacherFolder(args.teacher).load().version
    if made_by != __version__:
        print(f"note: {args.teacher} was made by autoencoder_np {made_by}; this is {__version__}", file=sys.stderr)
    start = time.perf_counter()
    grades = grade(args.submission, args.teacher, timeout=args.timeout, jobs=args.jobs)
    print(grades)
    _write(grades, args, time.perf_counter() - start)
    return 0


def _grade_all(args: argparse.Namespace) -> int:
    from .classroom import grade_all, to_dict, write_csv

    start = time.perf_counter()
    feedback = args.feedback or args.out.parent / "feedback"
    settings, rows = grade_all(args.submissions, args.teacher, feedback=feedback, timeout=args.timeout, jobs=args.jobs)
    write_csv(args.out, settings, rows)
    if args.json:
        args.json.write_text(
            json.dumps(to_dict(settings, rows, feedback), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    failed = [row for row in rows if row.grades is None]
    print(f"{len(rows) - len(failed)} of {len(rows)} submissions graded in {time.perf_counter() - start:.1f} s")
    print(f"gradebook: {args.out}; feedback: {feedback}/")
    for row in failed:
        print(f"{row.student}: {row.problem}", file=sys.stderr)
    return 1 if failed else 0


def _export(args: argparse.Namespace) -> int:
    from .gradescope import export

    out = export(args.teacher, args.out, wheel=args.wheel, hidden_visibility=args.hidden_visibility)
    print(f"Gradescope autograder: {out} (upload it as the assignment's autograder zip)")
    return 0


def run(args: argparse.Namespace) -> int:
    actions = {"list": _list, "create": _create, "grade": _grade, "grade-all": _grade_all, "export": _export}
    return actions[args.action](*([] if args.action == "list" else [args]))


def grade_here(root: Path, argv: Sequence[str]) -> int:
    """``python grade.py [options]`` in a handout: the public checks, on this copy's package."""
    parser = argparse.ArgumentParser(prog="python grade.py", description="Run the public checks on this handout.")
    _grade_options(parser)
    args = parser.parse_args(argv)
    try:
        grades = self_check(root, timeout=args.timeout, jobs=args.jobs)
    except (ValueError, OSError) as err:
        print(f"grade.py: error: {err}", file=sys.stderr)
        return 2
    print(grades)
    print("\nThese are the public checks. The teacher's grade adds hidden ones: other shapes and seeds, float32.")
    _write(grades, args, 0.0)
    return 0
