"""``assignment grade``: score a workspace, one function per process, with a time limit on each.

For every function of the config, a worker (``worker.py``) runs in a fresh Python process with the
workspace first on ``sys.path``; it imports the student's modules from the workspace, never the installed
package, and the checks from this package. A timeout, a crash or a module that does not import costs only
the functions whose checks hit it. Up to ``jobs`` workers run at once.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import config as config_file
from .config import Config

WORKER = Path(__file__).with_name("worker.py")
GRADER = Path(__file__).resolve().parents[1]  # the package whose checks the workers run
JSON_SCHEMA = "autoencoder_np.assignment/1"
STATUSES = ("correct", "wrong", "not implemented")
#: Environment of a worker: no bytecode in the student's workspace, one BLAS thread per worker.
WORKER_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@dataclass
class Score:
    """One function's grade: points earned of ``max_points``, status, and why (``detail``, ``hints``)."""

    part: str
    function: str
    points: float
    max_points: float
    status: str
    detail: str = ""
    hints: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def hint_codes(self) -> list[str]:
        return [h["code"] for h in self.hints]


@dataclass
class Grades:
    """Every function's score, and how to repeat the run (``seed``)."""

    title: str
    directory: Path
    seed: int
    scores: list[Score]

    @property
    def total(self) -> float:
        return sum(s.points for s in self.scores)

    @property
    def max_total(self) -> float:
        return sum(s.max_points for s in self.scores)

    @property
    def full_marks(self) -> bool:
        return all(s.status == "correct" for s in self.scores if s.max_points > 0)

    def __getitem__(self, function: str) -> Score:
        for score in self.scores:
            if score.function == function:
                return score
        raise KeyError(function)

    def __str__(self) -> str:
        head = f"{self.title}: {self.directory} (seed {self.seed}; repeat with --seed {self.seed})"
        widths = (
            max(len("part"), *(len(s.part) for s in self.scores)),
            max(len("function"), *(len(s.function) for s in self.scores)),
        )
        margin = " " * (widths[0] + widths[1] + 30)  # under "why"
        lines = [head, "", f"{'part':<{widths[0]}}  {'function':<{widths[1]}}   points  {'status':<15}  why"]
        for s in self.scores:
            why = [f"{h['text']} [{h['code']}]" for h in s.hints] + ([s.detail] if s.status == "wrong" else [])
            points = f"{s.points:g} / {s.max_points:g}"
            lines.append(
                f"{s.part:<{widths[0]}}  {s.function:<{widths[1]}}  {points:>7}  {s.status:<15}  {(why or [''])[0]}"
            )
            lines += [f"{margin}{text}" for text in why[1:]]
        lines += ["", f"total {self.total:g} / {self.max_total:g}" + (": full marks" if self.full_marks else "")]
        return "\n".join(line.rstrip() for line in lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": JSON_SCHEMA,
            "title": self.title,
            "directory": str(self.directory),
            "seed": self.seed,
            "total": self.total,
            "max_total": self.max_total,
            "full_marks": self.full_marks,
            "scores": [asdict(s) for s in self.scores],
        }


def _check(directory: Path, function: str, seed: int, timeout: float) -> dict[str, Any]:
    """Run the worker for one function; its outcome, or why there is none (timeout, crash)."""
    with tempfile.TemporaryDirectory(prefix="autoencoder_np-grade-") as scratch:
        spec = Path(scratch) / "spec.json"
        result = Path(scratch) / "result.json"
        spec.write_text(
            json.dumps(
                {
                    "student": str(directory),
                    "grader": str(GRADER),
                    "function": function,
                    "seed": seed,
                    "result": str(result),
                }
            ),
            encoding="utf-8",
        )
        errors = Path(scratch) / "stderr.txt"  # a file, not a pipe: a student's endless print cannot fill memory
        try:
            with errors.open("wb") as stderr:
                process = subprocess.run(
                    [sys.executable, str(WORKER), str(spec)], cwd=scratch, env={**os.environ, **WORKER_ENV},
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, timeout=timeout, check=False,
                )  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"status": "wrong", "detail": f"stopped after {timeout:g} s (an endless loop?)", "hints": []}
        if result.exists():
            return dict(json.loads(result.read_text(encoding="utf-8")))
        with errors.open("rb") as stderr:
            stderr.seek(max(0, errors.stat().st_size - 2000))
            last = (stderr.read().decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
        return {
            "status": "wrong",
            "detail": f"the check crashed (exit status {process.returncode}): {last}",
            "hints": [],
        }


def grade(
    directory: Path,
    *,
    config: Path | None = None,
    seed: int | None = None,
    timeout: float | None = None,
    jobs: int | None = None,
) -> Grades:
    """Grade the workspace ``directory`` (see the module docstring).

    Args:
        directory: made by ``assignment create``, holding ``autoencoder_np/``.
        config: the parts and points; default ``directory/assignment.json``.
        seed: draws every check's numbers; default fresh (printed, so a run can be repeated).
        timeout: seconds per function; default the config's.
        jobs: workers at once; default min(4, CPUs).
    """
    directory = Path(directory).resolve()
    if not (directory / "autoencoder_np").is_dir():
        raise FileNotFoundError(f"{directory} holds no autoencoder_np/: is it a workspace made by `assignment create`?")
    settings: Config = config_file.load(config or directory / config_file.FILENAME)
    timeout = settings.timeout if timeout is None else config_file.number(timeout, "timeout", positive=True)
    seed = secrets.randbelow(2**32) if seed is None else int(seed)
    jobs = min(4, os.cpu_count() or 1) if jobs is None else max(1, int(jobs))
    tasks = [(part, f, points) for part, functions in settings.parts.items() for f, points in functions.items()]

    def score(task: tuple[str, str, float]) -> Score:
        part, function, points = task
        start = time.perf_counter()
        outcome = _check(directory, function, zlib.crc32(f"{seed}:{function}".encode()), timeout)
        status = outcome["status"] if outcome.get("status") in STATUSES else "wrong"
        earned = points if status == "correct" else 0.0
        seconds = time.perf_counter() - start
        return Score(
            part, function, earned, points, status, outcome.get("detail", ""), outcome.get("hints", []), seconds
        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        scores = list(pool.map(score, tasks))
    return Grades(settings.title, directory, seed, scores)
