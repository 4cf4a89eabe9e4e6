"""A handout's self-check (``python grade.py``): the public cases, judged on expectations stored as numbers.

The handout carries no reference code (``reference.py`` stays with the teacher), so ``create`` stores the
public cases' inputs and expected outputs in ``public_checks.npz`` (``allow_pickle=False``). The self-check
runs each function in a student's process exactly as the teacher's grade does, and judges the numbers here.
A student who edits this file or the config fools only their own self-check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import config as config_file
from .checks.protocol import PUBLIC, Arrays, Case
from .config import Config
from .grading import cases_of, judge, parallel, reference, run_student, timed
from .results import Grades, Score

PUBLIC_FILE = "public_checks.npz"


def save_public(path: Path, settings: Config) -> None:
    """The public cases of every function and what each should give: ``<function>/<case>/{in,out}/<name>``."""
    expect = reference().expect
    arrays: dict[str, np.ndarray] = {}
    for function in settings.functions:
        for i, case in enumerate(cases_of(function, settings, (PUBLIC,))):
            arrays[f"{function}/{i}/.about"] = np.array(case.about)
            arrays[f"{function}/{i}/.criteria"] = np.array(case.criteria, dtype=str)
            arrays.update({f"{function}/{i}/in/{k}": np.asarray(v) for k, v in case.inputs.items()})
            expected = expect(function, case.inputs)
            arrays.update({f"{function}/{i}/out/{k}": np.asarray(v) for k, v in expected.items()})
    np.savez_compressed(path, **arrays)


def load_public(path: Path) -> dict[str, tuple[list[Case], list[Arrays]]]:
    """function -> (its public cases, their expected outputs), as ``save_public`` wrote them."""
    found: dict[str, dict[int, dict[str, dict[str, np.ndarray]]]] = {}
    with np.load(path, allow_pickle=False) as arrays:
        for key in arrays.files:
            function, index, section = key.split("/", 2)
            case = found.setdefault(function, {}).setdefault(int(index), {"in": {}, "out": {}, ".": {}})
            part, _, name = section.partition("/") if section[0] != "." else (".", "", section)
            case[part][name] = arrays[key]
    return {
        function: (
            [
                Case(PUBLIC, str(c["."][".about"]), tuple(str(x) for x in c["."][".criteria"].reshape(-1)), c["in"])
                for _, c in sorted(cases.items())
            ],
            [c["out"] for _, c in sorted(cases.items())],
        )
        for function, cases in found.items()
    }


def self_check(root: Path, *, timeout: float | None = None, jobs: int | None = None) -> Grades:
    """Grade the handout ``root`` on the public cases: what ``python grade.py`` runs."""
    root = Path(root).resolve()
    settings = config_file.load(root / config_file.HANDOUT_FILE)
    timeout = settings.timeout if timeout is None else config_file.number(timeout, "timeout", positive=True)
    public = load_public(root / PUBLIC_FILE)

    def score(function: str) -> Score:
        cases, expected = public[function]
        assigned = settings.functions[function]
        files = [{"path": str(root / assigned.file), "display": assigned.file, "functions": [assigned.qualname]}]
        result = judge(function, cases, expected, run_student(root, function, cases, files, timeout), assigned)
        result.file = assigned.file
        return result

    scores = parallel(list(settings.functions), timed(score), jobs)
    return Grades(settings.title, str(root), settings.version, "public", scores)
