"""``assignment grade-all``: a whole class in one command, one gradebook.

SUBMISSIONS holds one entry per student: a folder (a workspace, the package folder, or the files they
edit), a .zip of one, or a single .py file; the student is the entry's name. Each is graded by
``assignment grade`` in a process of its own (with its own time limit on top of the per-function ones),
``jobs`` at once, each with one student process at a time.

Outputs, in the conventions of otter-grader's ``final_grades.csv`` and of an LMS gradebook import:

- the CSV: one row per student, first column ``student``, one column per function (its points), then
  ``total``, ``max_total``, ``percent``, ``status`` (``graded``, or why not) and ``autoencoder_np`` (the
  version that graded it); numbers with a dot, no thousands separator;
- the JSON (``--json``): the same with each function's maximum, for scripts;
- one feedback file per student (``FEEDBACK/<student>.txt``, and the full result as ``.json``).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .grading import TeacherFolder
from .results import Grades

GRADEBOOK_SCHEMA = "autoencoder_np.gradebook/1"
PACKAGE = Path(__file__).resolve().parents[1]
MARGIN = 120.0  # seconds a submission's grading may take beyond its functions' time limits


@dataclass
class Row:
    """One student: the grades, or why there are none."""

    student: str
    grades: Grades | None
    problem: str = ""


def submissions(directory: Path) -> list[tuple[str, Path]]:
    """(student, entry) for every folder, .zip and .py of ``directory``, by name; hidden entries skipped."""
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory of submissions")
    entries = [
        e
        for e in sorted(directory.iterdir())
        if not e.name.startswith((".", "__")) and (e.is_dir() or e.suffix in (".zip", ".py")) and not e.is_symlink()
    ]
    stems = [e.stem if e.is_file() else e.name for e in entries]
    return [(stem if stems.count(stem) == 1 else e.name, e) for stem, e in zip(stems, entries, strict=True)]


def _grade_one(student: str, entry: Path, teacher: Path, feedback: Path, timeout: float | None, limit: float) -> Row:
    command = [
        sys.executable, "-m", "autoencoder_np", "assignment", "grade", str(entry.resolve()),
        "--teacher", str(teacher.resolve()), "--jobs", "1", *(["--timeout", str(timeout)] if timeout else []),
        "--json", str(feedback / f"{student}.json"), "--feedback", str(feedback / f"{student}.txt"),
    ]  # fmt: skip
    try:
        # From the package's parent, so that `-m autoencoder_np` is this package whatever the teacher's directory.
        done = subprocess.run(
            command, cwd=PACKAGE.parent, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            timeout=limit, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return Row(student, None, f"not graded: grading took more than {limit:g} s")
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        return Row(student, None, f"not graded: {last}")
    return Row(student, Grades.from_dict(json.loads((feedback / f"{student}.json").read_text(encoding="utf-8"))))


def grade_all(
    directory: Path,
    teacher: Path,
    *,
    feedback: Path,
    timeout: float | None = None,
    jobs: int | None = None,
) -> tuple[Config, list[Row]]:
    """Grade every submission of ``directory``; each student's feedback goes to ``feedback``."""
    settings = TeacherFolder(Path(teacher)).load()
    entries = submissions(Path(directory))
    feedback = feedback.resolve()  # the graders run from the package's folder
    feedback.mkdir(parents=True, exist_ok=True)
    limit = (timeout or settings.timeout) * len(settings.functions) + MARGIN
    jobs = min(4, os.cpu_count() or 1) if jobs is None else max(1, int(jobs))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(lambda e: _grade_one(*e, Path(teacher), feedback, timeout, limit), entries))
    return settings, rows


def _cell(points: float) -> str:
    return f"{round(points, 4):g}"


def write_csv(path: Path, settings: Config, rows: list[Row]) -> None:
    functions = list(settings.functions)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["student", *functions, "total", "max_total", "percent", "status", "autoencoder_np"])
        for row in rows:
            g = row.grades
            if g is None:
                writer.writerow(
                    [row.student, *[""] * len(functions), "", _cell(settings.max_total), "", row.problem, ""]
                )
                continue
            points = [_cell(g[f].points) for f in functions]
            percent = 100.0 * g.total / g.max_total if g.max_total else 0.0
            writer.writerow(
                [row.student, *points, _cell(g.total), _cell(g.max_total), f"{percent:.1f}", "graded", g.version]
            )


def to_dict(settings: Config, rows: list[Row], feedback: Path) -> dict[str, Any]:
    from .. import __version__

    return {
        "schema": GRADEBOOK_SCHEMA,
        "autoencoder_np": __version__,
        "title": settings.title,
        "functions": {f: p.points for f, p in settings.functions.items()},
        "students": [
            {
                "student": row.student,
                "status": "graded" if row.grades else row.problem,
                "scores": {s.function: s.points for s in row.grades.scores} if row.grades else {},
                "total": row.grades.total if row.grades else None,
                "max_total": settings.max_total,
                "feedback": str(feedback / f"{row.student}.txt") if row.grades else None,
            }
            for row in rows
        ],
    }
