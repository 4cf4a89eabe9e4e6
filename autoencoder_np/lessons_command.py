"""The ``lessons`` command: list the lessons, run one, build the course site, copy the course.

``lessons run N`` starts a lesson as ``python -m lessons.NN_topic`` from the folder that holds ``lessons/``
(see :mod:`autoencoder_np.lesson` for why); the lesson kit itself is :class:`autoencoder_np.lesson.Lesson`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from . import course
from .curriculum import CURRICULUM, find
from .lesson import ELSEWHERE_VARIABLE, add_options, lessons_dir
from .lesson_text import terminal_width


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="action")
    actions.add_parser("list", help="list the lessons (the default)", description="list the lessons")
    run = actions.add_parser("run", help="run one lesson: lessons run 3 [--step] [--fast] [--out DIR] [--data PATH]")
    run.add_argument("number", type=int, help="the lesson's number")
    add_options(run, "lesson_output/NN_topic/", data=True)
    build = actions.add_parser(
        "build",
        help="execute the lessons as notebooks and write a course site: lessons build [N ...] [--out DIR] [--fast]",
        description="Execute the lessons as notebooks in a Jupyter kernel (nbclient) and write static HTML pages "
        "(nbconvert) and an index. Needs the notebooks extra: pip install -e '.[notebooks]'.",
    )
    build.add_argument("numbers", type=int, nargs="*", metavar="N", help="only these lessons (default: all)")
    build.add_argument("--out", type=Path, default=Path("lesson_output/site"), help="the site's folder")
    build.add_argument("--fast", action="store_true", help="less data and fewer epochs (what CI runs)")
    course.add_copy_parser(actions)


def run(args: argparse.Namespace) -> int:
    if args.action == "run":
        return _run_lesson(args)
    if args.action == "build":
        from .lesson_site import build  # jupytext, nbclient and nbconvert load here, only for this command

        return build(args.numbers, args.out, fast=args.fast)
    if args.action == "copy":
        return course.run_copy(args)
    width = max(len(info.name) for info in CURRICULUM) + len("lessons/.py")
    print(f"{'#':>2}  {'script':<{width}}  {'time':>6}  what you learn")
    indent = " " * (width + 14)
    for info in CURRICULUM:
        script = f"lessons/{info.name}.py"
        line = f"{info.number:>2}  {script:<{width}}  {info.minutes:>2} min  {info.title}"
        print(textwrap.fill(line, terminal_width(), subsequent_indent=indent, break_long_words=False))
    print("\nRun one: python -m autoencoder_np lessons run 1 [--step] [--fast] [--out DIR]")
    lessons = lessons_dir()
    if lessons.parent.resolve() != Path.cwd().resolve():
        print(f"The lessons are in {lessons}; your own copy to read and edit: "
              "python -m autoencoder_np lessons copy")  # fmt: skip
        return 0
    print("     or: python lessons/01_founding_example.py [--step] [--fast] [--out DIR]")
    print("     or, in an assignment workspace: python -m lessons.01_founding_example [--step] [--fast]")
    return 0


def _run_lesson(args: argparse.Namespace) -> int:
    """Run the lesson as ``python -m lessons.NN_topic`` from the folder holding ``lessons/``.

    That folder comes first on the lesson's import path, so a package beside the lessons (an assignment
    workspace's copy) is the one the lesson imports. Paths given on the command line stay relative to the
    current directory, and so does the default output folder.
    """
    info = find(args.number)
    if args.data is not None and not info.data:
        takers = ", ".join(str(i.number) for i in CURRICULUM if i.data)
        raise ValueError(f"lesson {info.number} reads no data: --data is for lessons {takers}")
    lessons = lessons_dir()
    script = lessons / f"{info.name}.py"
    if not script.is_file():
        raise FileNotFoundError(f"lesson {info.number}: {script} does not exist")
    if args.data is not None and not args.data.is_file():
        raise FileNotFoundError(f"--data {args.data}: no such file")
    out = args.out if args.out is not None else Path("lesson_output") / info.name
    options = (
        ["--step"] * args.step + ["--fast"] * args.fast + ["--quiet"] * args.quiet + ["--out", str(Path.cwd() / out)]
    )
    options += ["--data", str(Path.cwd() / args.data)] if args.data is not None else []
    command = [sys.executable, "-m", f"lessons.{info.name}", *options]
    print(f"running {info.command(module=True)} {' '.join(options)} (in {lessons.parent})", flush=True)
    elsewhere = lessons.parent.resolve() != Path.cwd().resolve()
    env = {**os.environ, ELSEWHERE_VARIABLE: "1"} if elsewhere else None
    return subprocess.run(command, cwd=lessons.parent, env=env, check=False).returncode
