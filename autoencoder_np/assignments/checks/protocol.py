"""What a check is, split between the two processes that run it.

A function's check has four parts, each run where it is safe:

- ``cases(rng, kind)``: the inputs of every case, drawn from a seed (in the grader's process);
- ``compute(inputs)``: calls the student's code on one case and returns plain arrays (in the student's
  process, the only one that imports the student's files: ``worker.py``);
- ``expect(inputs)``: what the outputs should be (``reference.py``, in the grader's process; never in a
  student handout, whose self-check reads the public expectations from a file instead);
- ``verdict(case, expected, outputs)``: for each criterion the case exercises, None (passed) or a
  :class:`Failure` (in the grader's process, which never imported the student's code).

So whatever the student's code does in its own process (monkeypatch the checks, write files), it can only
hand back numbers, and the numbers are judged elsewhere. Each criterion is a share of the function's points
(``dense.backward``: dL/dW, dL/db, dL/dx): it is earned when every case that exercises it passes.

This module and the part modules import only NumPy at import time: the student's process imports them,
and must not import library modules that would import the student's files as a side effect.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

Arrays = dict[str, np.ndarray]
#: A case's outputs as the judge receives them: an array, or None where the student's code returned None.
Outputs = dict[str, "np.ndarray | None"]
PUBLIC, HIDDEN = "public", "hidden"
STUDENT = "autoencoder_np"  # the student's package, in the student's process


@dataclass(frozen=True)
class Hint:
    """A likely mistake: ``code`` (a gradient checker or grader hint code) and a sentence with the numbers."""

    code: str
    text: str


@dataclass
class Failure:
    """Why a criterion failed on one case: a sentence, and the hints."""

    detail: str
    hints: list[Hint] = field(default_factory=list)


Verdicts = dict[str, "Failure | None"]


@dataclass(frozen=True)
class Case:
    """One set of inputs: ``kind`` is PUBLIC or HIDDEN, ``about`` says what is special about it."""

    kind: str
    about: str
    criteria: tuple[str, ...]  # the criteria this case exercises
    inputs: Arrays


@dataclass(frozen=True)
class Check:
    """The check of one function (see the module docstring)."""

    function: str
    criteria: tuple[str, ...]
    cases: Callable[[np.random.Generator, str], list[Case]]
    compute: Callable[[Arrays], dict[str, Any]]
    verdict: Callable[[Case, Arrays, Outputs], Verdicts]


class StudentImportError(Exception):
    """A module of the student's package does not import; ``module`` is its dotted name."""

    def __init__(self, module: str) -> None:
        super().__init__(module)
        self.module = module


def distinct_sizes(rng: np.random.Generator, count: int, kind: str) -> list[int]:
    """``count`` different sizes: a batch never equals a width, so the diagnosis can tell N from 2.

    Public cases draw from 3 … 7, hidden ones from 8 … 11: no hidden shape is a public one.
    """
    low, high = (3, 7) if kind == PUBLIC else (8, 11)
    return [int(k) for k in low + rng.choice(high - low + 1, size=count, replace=False)]


def snapshot(value: Any) -> Any:
    """A copy of what the student's code returned (the code may change its arrays later), or None."""
    return None if value is None else np.array(value, copy=True)


def attempt(call: Callable[[], Any]) -> Any:
    """``call()``, or the exception it raised, as one output of a case: the outputs computed before it are
    still graded (the worker hands the exception's description back; ``judging.raised`` reads it).
    NotImplementedError and SyntaxError (a file that does not parse) are not caught: they end the check."""
    try:
        return call()
    except (NotImplementedError, SyntaxError):
        raise
    except Exception as err:  # the student's code may raise anything
        return err


def student(module: str) -> ModuleType:
    """``autoencoder_np.<module>`` from the student's package (in the student's process)."""
    try:
        return importlib.import_module(f"{STUDENT}.{module}")
    except Exception as err:
        raise StudentImportError(module) from err


# Cases and outputs on disk: .npz (allow_pickle=False) with keys "<case>/<name>" -------------------------------


def save_cases(path: Path, cases: list[Case]) -> None:
    arrays: dict[str, np.ndarray] = {}
    for i, case in enumerate(cases):
        arrays[f"{i}/.kind"] = np.array(case.kind)
        arrays[f"{i}/.about"] = np.array(case.about)
        arrays[f"{i}/.criteria"] = np.array(case.criteria, dtype=str)
        arrays.update({f"{i}/{name}": np.asarray(value) for name, value in case.inputs.items()})
    np.savez(path, **arrays)


def _grouped(arrays: Any) -> dict[int, dict[str, np.ndarray]]:
    grouped: dict[int, dict[str, np.ndarray]] = {}
    for key in arrays.files:
        index, _, name = key.partition("/")
        grouped.setdefault(int(index), {})[name] = arrays[key]
    return grouped


def load_cases(path: Path) -> list[Case]:
    with np.load(path, allow_pickle=False) as arrays:
        grouped = _grouped(arrays)
    return [
        Case(
            str(found.pop(".kind")),
            str(found.pop(".about")),
            tuple(str(c) for c in found.pop(".criteria").reshape(-1)),
            found,
        )
        for _, found in sorted(grouped.items())
    ]


def save_outputs(path: Path, outputs: list[dict[str, np.ndarray]]) -> None:
    np.savez(path, **{f"{i}/{name}": value for i, case in enumerate(outputs) for name, value in case.items()})


def load_outputs(path: Path, count: int) -> list[dict[str, np.ndarray]]:
    with np.load(path, allow_pickle=False) as arrays:
        grouped = _grouped(arrays)
    return [grouped.get(i, {}) for i in range(count)]
