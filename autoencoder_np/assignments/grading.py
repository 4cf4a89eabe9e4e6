"""``assignment grade``: score one submission against the teacher folder; and a handout's self-check.

For each function of the config:

1. the cases: the public ones (the public seed) and the hidden ones (the hidden seeds, from the teacher
   folder only), and what each should give (``reference.expect``), all computed here, before any
   student code runs;
2. the student's process (``worker.py``, ``python -I``, a time limit, its own session): the teacher's clean
   copy of the package with the submitted files laid over it, computing the cases and writing numbers;
3. the verdict, here: this process never imports the student's code.

A timeout, a crash or a file that does not import costs only the functions whose checks hit it. Up to
``jobs`` student processes run at once. The self-check of a handout (``python grade.py``) runs the same
steps on the public cases only, with their expectations read from a file (``selfcheck.py``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..gradcheck import diagnosis  # noqa: F401  (loaded before any student code runs, as all the verdict uses)
from . import config as config_file
from .catalogue import part_of
from .checks import CHECKS
from .checks.protocol import HIDDEN, PUBLIC, Arrays, Case, Failure, Outputs, load_outputs, save_cases
from .config import Assigned, Config
from .results import Criterion, Grades, Score
from .submission import Found, as_directory, locate

WORKER = Path(__file__).with_name("worker.py")
MAX_OUTPUT_BYTES = 256_000_000  # what a student's process may hand back
#: Environment of a student's process: one BLAS thread each, since several run side by side.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class TeacherFolder:
    """What ``assignment create`` writes for the teacher: grading.json, starter/ (the handout's package as
    handed out: the clean copy submissions are laid over), solutions/ (a workspace that grades full marks,
    for the teacher; grading does not read it)."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / config_file.TEACHER_FILE

    @property
    def starter(self) -> Path:
        return self.root / "starter"

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    def load(self) -> Config:
        if not self.config.is_file():
            raise FileNotFoundError(
                f"{self.root} is not a teacher folder (it has no {config_file.TEACHER_FILE}): pass the folder "
                "`assignment create` printed as the teacher folder"
            )
        if not (self.starter / "autoencoder_np").is_dir():
            raise FileNotFoundError(
                f"{self.root}: starter/autoencoder_np is missing; make the folder again with create"
            )
        return config_file.load(self.config)


@dataclass
class Outcome:
    """What the student's process handed back for one function's cases."""

    status: str  # "ran", "not implemented", "does not import", "stopped", "crashed"
    message: str = ""
    errors: list[str] = field(default_factory=list)
    outputs: list[Outputs] = field(default_factory=list)


def reference() -> ModuleType:
    """The grader's reference (``reference.py``), which a student handout does not carry."""
    try:
        return importlib.import_module(f"{__package__}.reference")
    except ModuleNotFoundError:
        where = Path(__file__).resolve().parents[1]
        raise ValueError(
            f"{where} is a student handout's copy of autoencoder_np: it has no grader. Run the command from "
            "outside the handout, with the autoencoder_np you made it with"
        ) from None


def cases_of(function: str, settings: Config, kinds: tuple[str, ...] = (PUBLIC, HIDDEN)) -> list[Case]:
    """The public cases (the public seed), then the hidden ones (each hidden seed), of one function."""
    salt = zlib.crc32(function.encode())
    seeds = [(PUBLIC, settings.public_seed)] + [(HIDDEN, s) for s in settings.hidden_seeds]
    check = CHECKS[function]
    return [
        case for kind, seed in seeds if kind in kinds for case in check.cases(np.random.default_rng([seed, salt]), kind)
    ]


# The student's process ------------------------------------------------------------------------------------


def _read_outputs(path: Path, count: int) -> list[dict[str, np.ndarray]]:
    """The arrays the student's process wrote, refusing an archive that would unpack to too much."""
    with zipfile.ZipFile(path) as archive:
        if sum(m.file_size for m in archive.infolist()) > MAX_OUTPUT_BYTES:
            raise ValueError("the results are too large")
    return load_outputs(path, count)


def outcome(report: dict[str, Any], arrays: list[dict[str, np.ndarray]], count: int) -> Outcome:
    """The outcome from what the student's process wrote (ValueError, KeyError if it is not well formed)."""
    if report["status"] != "ran":
        return Outcome(str(report["status"]), str(report["message"]))
    nones = [list(map(str, n)) for n in report["none"]][:count]
    errors = [str(e) for e in report["errors"]][:count]
    if len(errors) != count or len(nones) != count or len(arrays) != count:
        raise ValueError("the report does not cover every case")
    outputs: list[Outputs] = [{**a, **dict.fromkeys(n)} for a, n in zip(arrays, nones, strict=True)]
    return Outcome("ran", errors=errors, outputs=outputs)


def _read(scratch: Path, count: int, returncode: int | None) -> Outcome:
    """Read the report and outputs the student's process wrote; a crash if they are missing or unreadable."""
    try:
        report = json.loads((scratch / "report.json").read_text(encoding="utf-8"))
        arrays = [] if report.get("status") != "ran" else _read_outputs(scratch / "outputs.npz", count)
        return outcome(report, arrays, count)
    except Exception as err:  # whatever is there was written by the student's process: it may be anything
        last = ""
        errors_file = scratch / "stderr.txt"
        if errors_file.exists():
            with errors_file.open("rb") as stderr:
                stderr.seek(max(0, errors_file.stat().st_size - 2000))
                last = (stderr.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        why = f": {last}" if last else f" before it wrote readable results ({type(err).__name__})"
        return Outcome("crashed", f"the check crashed (exit status {returncode}){why}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the student's process and whatever it started in its session."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.kill()
    process.wait()


def run_student(root: Path, function: str, cases: list[Case], files: list[dict[str, Any]], timeout: float) -> Outcome:
    """Run ``function``'s cases on the package in ``root`` in a fresh ``python -I`` (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="autoencoder_np-grade-") as directory:
        scratch = Path(directory)
        save_cases(scratch / "cases.npz", cases)
        spec = {
            "root": str(root),
            "function": function,
            "cases": str(scratch / "cases.npz"),
            "outputs": str(scratch / "outputs.npz"),
            "report": str(scratch / "report.json"),
            "files": files,
        }
        (scratch / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        # stderr to a file, not a pipe: a student's endless print cannot fill memory
        with (scratch / "stderr.txt").open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-I", str(WORKER), str(scratch / "spec.json")], cwd=scratch,
                env={**os.environ, **WORKER_ENV}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                start_new_session=True,
            )  # fmt: skip
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop(process)
                return Outcome("stopped", f"stopped after {timeout:g} s (an endless loop?)")
            _stop(process)  # what it left running in its session
        return _read(scratch, len(cases), process.returncode)


# The verdict ----------------------------------------------------------------------------------------------


def _ranked(found: list[tuple[Case, Failure]]) -> tuple[Case, Failure]:
    """The failure to show: a public one before a hidden one (the student can repeat it), with hints first."""
    return min(found, key=lambda cf: (cf[0].kind != PUBLIC, not cf[1].hints))


def failed(function: str, assigned: Assigned, status: str, detail: str) -> Score:
    """A function that earns nothing as a whole: not submitted, not implemented, stopped, crashed."""
    split = assigned.split()
    criteria = [Criterion(name, 0.0, split[name], "public") for name in CHECKS[function].criteria]
    return Score(part_of(function), function, 0.0, assigned.points, status, detail, criteria)


def judge(function: str, cases: list[Case], expected: list[Arrays], outcome: Outcome, assigned: Assigned) -> Score:
    """The score of one function from what the student's process handed back (see ``checks.protocol``)."""
    if outcome.status != "ran":
        status = "not implemented" if outcome.status == "not implemented" else "wrong"
        return failed(function, assigned, status, outcome.message)
    check, split = CHECKS[function], assigned.split()
    base = Score(part_of(function), function, 0.0, assigned.points, "wrong")
    found: dict[str, list[tuple[Case, Failure]]] = {name: [] for name in check.criteria}
    for case, wanted, error, outputs in zip(cases, expected, outcome.errors, outcome.outputs, strict=True):
        if error:
            verdicts: dict[str, Failure | None] = dict.fromkeys(case.criteria, Failure(error))
        else:
            try:
                verdicts = check.verdict(case, wanted, outputs)
            except Exception as err:  # outputs of a form the verdict cannot read (a student's process may write any)
                verdicts = dict.fromkeys(
                    case.criteria, Failure(f"the results cannot be judged ({type(err).__name__}: {err})")
                )
        for name in case.criteria:
            failure = verdicts.get(name, Failure("no verdict"))
            if failure is not None:
                found[name].append((case, failure))
    for name in check.criteria:
        if not found[name]:
            base.criteria.append(Criterion(name, split[name], split[name]))
            continue
        case, failure = _ranked(found[name])
        hints = [{"code": h.code, "text": h.text} for h in failure.hints]
        base.criteria.append(Criterion(name, 0.0, split[name], case.kind, case.about, failure.detail, hints))
    base.points = sum(c.points for c in base.criteria)
    passed = [c for c in base.criteria if not c.failed_on]
    base.status = "correct" if len(passed) == len(base.criteria) else "partly correct" if passed else "wrong"
    return base


# Grading ----------------------------------------------------------------------------------------------------


def parallel(functions: list[str], score: Callable[[str], Score], jobs: int | None) -> list[Score]:
    """``score`` of each function, ``jobs`` at once (default min(4, CPUs)): each waits on a student's process."""
    jobs = min(4, os.cpu_count() or 1) if jobs is None else max(1, int(jobs))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(score, functions))


def timed(score: Callable[[str], Score]) -> Callable[[str], Score]:
    """``score`` that also records how long it took (``Score.seconds``)."""

    def run(function: str) -> Score:
        start = time.perf_counter()
        result = score(function)
        result.seconds = time.perf_counter() - start
        return result

    return run


def grade(submission: Path, teacher: Path, *, timeout: float | None = None, jobs: int | None = None) -> Grades:
    """Grade ``submission`` (a folder, a .zip or one file) with the teacher folder ``teacher``."""
    from .. import __version__

    folder = TeacherFolder(Path(teacher))
    settings = folder.load()
    timeout = settings.timeout if timeout is None else config_file.number(timeout, "timeout", positive=True)
    planned = {f: cases_of(f, settings) for f in settings.functions}
    expect = reference().expect  # imported before any student code runs, as every module the verdict uses
    expected = {f: [expect(f, c.inputs) for c in cases] for f, cases in planned.items()}
    with tempfile.TemporaryDirectory(prefix="autoencoder_np-submission-") as scratch:
        directory = as_directory(Path(submission), Path(scratch))
        located = locate(directory, sorted({p.file for p in settings.functions.values()}))

        def score(function: str) -> Score:
            found = located[settings.functions[function].file]
            if found is None:
                detail = f"the submission has no {Path(settings.functions[function].file).name}"
                return failed(function, settings.functions[function], "not submitted", detail)
            with tempfile.TemporaryDirectory(prefix="autoencoder_np-overlay-") as overlay:
                root = Path(overlay)
                shutil.copytree(folder.starter / "autoencoder_np", root / "autoencoder_np")
                files = _lay_over(root, located, settings)
                outcome = run_student(root, function, planned[function], files, timeout)
            result = judge(function, planned[function], expected[function], outcome, settings.functions[function])
            result.file = found.display
            return result

        scores = parallel(list(settings.functions), timed(score), jobs)
    # The submission's name, not its path: the feedback goes to the student, the teacher's folders stay private.
    return Grades(settings.title, Path(submission).name, __version__, "public and hidden", scores)


def _lay_over(root: Path, located: dict[str, Found | None], settings: Config) -> list[dict[str, Any]]:
    """Copy the submitted files over the clean copy in ``root``; the worker's ``files`` entries for them."""
    files = []
    for path, found in located.items():
        if found is None:
            continue
        shutil.copyfile(found.source, root / path)
        functions = [p.qualname for p in settings.functions.values() if p.file == path]
        files.append({"path": str(root / path), "display": found.display, "functions": functions})
    return files


def in_process(function: str, seed: int) -> Score:
    """Grade this process's own ``function`` on the public and hidden cases of ``seed``, in this process.

    No student's process: the tests use it to prove, on many seeds, that the checks pass the reference
    implementation and name each planted mistake (patched into the package in the test's process).
    """
    from . import worker

    check = CHECKS[function]
    settings = Config("", {function: Assigned(1.0, dict.fromkeys(check.criteria, 1.0))}, seed, [seed + 1])
    cases = cases_of(function, settings)
    expected = [reference().expect(function, c.inputs) for c in cases]
    report, outputs = worker.compute(check, cases, worker.Files([]), Path(__file__).resolve().parents[1])
    return judge(function, cases, expected, outcome(report, outputs, len(cases)), settings.functions[function])
