"""``assignment create``: a student workspace made from the package itself.

The workspace holds:

- ``autoencoder_np/``: a copy of the package in which every function of the chosen parts raises
  ``NotImplementedError("<id>: <hint>")`` (with ``solutions=True``: the package unchanged);
- ``lessons/``: every lesson script (``lessons/*.py`` beside the package, or in it from a wheel) and its
  README. A lesson runs as soon as the functions it calls are implemented; before that it stops at the
  first missing one, whose error names it. In the solutions copy every lesson runs;
- ``grade.py`` (the self-check), ``README.md`` (for students), ``TEACHER.md``, ``assignment.json``
  (parts, points, time limit; see ``config.py``) and ``ruff.toml`` (the project's lint settings).
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from .. import course
from .catalogue import PARTS
from .config import FILENAME, Config
from .markers import Region, package_regions, strip

PACKAGE = Path(__file__).resolve().parents[1]  # the package this module belongs to
LESSON_FILES = ("*.py", "README.md")
GENERATED = ("grade.py", "README.md", "TEACHER.md", FILENAME, "ruff.toml")

#: The project's lint settings (pyproject.toml [tool.ruff]), so ``ruff check .`` in a workspace judges the
#: student's code as the project's CI would. A test keeps the two in step.
RUFF_TOML = """\
# The lint settings of autoencoder_np: `ruff check .` and `ruff format --check .` judge your code as the
# project does.
line-length = 120
target-version = "py310"

[lint]
select = ["E", "F", "W", "I", "B", "UP", "NPY", "RUF", "SIM", "PT"]
ignore = ["RUF001", "RUF002", "RUF003"]  # the docs use math symbols (×, →, ᵀ) on purpose
"""

GRADE_PY = '''\
"""Grade this workspace: ``python grade.py`` (``--json PATH`` also writes the scores; see README.md).

The checks come from the copy of the package in this directory. Its ``__init__.py`` is not run, so a file
that does not import stops only the checks that need it.
"""

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent

if __name__ == "__main__":
    package = importlib.machinery.ModuleSpec("autoencoder_np", None, is_package=True)
    package.submodule_search_locations = [str(ROOT / "autoencoder_np")]
    sys.modules["autoencoder_np"] = importlib.util.module_from_spec(package)
    sys.exit(importlib.import_module("autoencoder_np.assignments.cli").grade_here(ROOT, sys.argv[1:]))
'''


def _copy_package(source: Path, target: Path, strip_ids: frozenset[str]) -> None:
    """Copy the package, stripping the regions ``strip_ids`` from its Python files."""
    for file in sorted(source.rglob("*")):
        relative = file.relative_to(source)
        if "__pycache__" in relative.parts or file.is_dir() or file.suffix == ".pyc":
            continue
        if relative.parts[0] == course.COURSE_DIR:  # the lessons a wheel installs: the workspace has lessons/
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if file.suffix == ".py":  # also without strip_ids: a workspace runs the textbook kernels
            text = file.read_text(encoding="utf-8")
            destination.write_text(strip(text, strip_ids, relative.as_posix()), encoding="utf-8")
        else:
            shutil.copyfile(file, destination)


def _copy_lessons(source: Path, target: Path) -> list[str]:
    """Copy the lesson scripts and their README; returns the scripts' names."""
    if not source.is_dir():
        return []
    files = sorted({f for pattern in LESSON_FILES for f in source.glob(pattern) if f.is_file()})
    if files:
        target.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copyfile(file, target / file.name)
    return [f.name for f in files if f.suffix == ".py"]


def create(
    directory: Path,
    parts: list[str],
    *,
    title: str = "",
    solutions: bool = False,
    force: bool = False,
    source: Path = PACKAGE,
) -> Config:
    """Write the workspace for ``parts`` into ``directory`` (see the module docstring); returns its config.

    ``directory`` must be empty or absent; ``force`` replaces what an earlier ``create`` wrote there and
    leaves other files alone. ``source``: the package to copy (its parent may hold ``lessons/``).
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{directory} is a file, not a directory")
    if directory.exists() and any(directory.iterdir()) and not force:
        raise FileExistsError(f"{directory} is not empty: choose a new directory, or pass --force to overwrite")
    unknown = [name for name in parts if name not in PARTS]
    if unknown or not parts:
        raise ValueError(f"unknown part(s) {unknown or '(none)'}; the parts are {', '.join(PARTS)}")
    regions = package_regions(source)
    functions = [f for name in parts for f in PARTS[name].points]
    missing = [f for f in functions if f not in regions]
    if missing:
        raise ValueError(f"{source} has no solution region for {', '.join(missing)}")
    config = Config.default(parts, title or f"autoencoder_np: {', '.join(parts)}")
    for owned in ("autoencoder_np", "lessons"):
        shutil.rmtree(directory / owned, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    _copy_package(source, directory / "autoencoder_np", frozenset() if solutions else frozenset(functions))
    lessons = _copy_lessons(course.lessons_folder(source), directory / "lessons")
    located = {f: regions[f] for f in functions}
    (directory / "grade.py").write_text(GRADE_PY, encoding="utf-8")
    (directory / "README.md").write_text(student_readme(config, located, lessons, solutions), encoding="utf-8")
    (directory / "TEACHER.md").write_text(teacher_readme(config, directory, solutions), encoding="utf-8")
    (directory / "ruff.toml").write_text(RUFF_TOML, encoding="utf-8")
    config.save(directory / FILENAME)
    return config


def _total(config: Config) -> str:
    return f"{sum(p for points in config.parts.values() for p in points.values()):g}"


def student_readme(config: Config, regions: dict[str, Region], lessons: list[str], solutions: bool) -> str:
    """The students' instructions: what to implement, how to check yourself, how grading works."""
    rows = [
        f"| {name} | `{function}` | `{regions[function].qualname}` in `{regions[function].path}` | {points:g} |"
        for name, functions in config.parts.items()
        for function, points in functions.items()
    ]
    lesson_lines = [f"- `python -m lessons.{Path(name).stem}`" for name in lessons] or ["(This copy has none.)"]
    state = (
        "This is the teacher's copy: every function below is already implemented, so it grades full marks."
        if solutions
        else "Each of them raises `NotImplementedError` with a hint until you write it; everything else in\n"
        "the package already works."
    )
    count = sum(len(functions) for functions in config.parts.values())
    return f"""# {config.title}

You implement {count} functions of `autoencoder_np`, a NumPy library of autoencoders whose every
gradient is written by hand, worth {_total(config)} points.
{state}

## What to implement

| part | function | where | points |
|---|---|---|---|
{chr(10).join(rows)}

Open the file, find `raise NotImplementedError("<function>: <hint>")`, and replace that line by your code
(end with `return` where the function produces a value). The docstring above it gives the shapes and the
equation. Keep the lines before it: they set up what you need (`x`, `W`, the cache, the clipped `p`); they
carry `# noqa` only because the starter code does not use them yet.

## Check yourself

```bash
python grade.py                    # the teacher's checks, on fresh random numbers every run
python grade.py --json scores.json # the same, also as JSON
python grade.py --seed 12345       # repeat one run exactly (the seed is printed)
```

You need Python ≥ 3.10 and NumPy; the lessons also need matplotlib. Run everything from this directory, so
that Python imports this copy of `autoencoder_np` (not one you may have installed).

The lessons walk through the same code (`--step` pauses after each step, `--fast` is quicker). Start them
with `python -m lessons.<name>` as below, from this directory: `python lessons/<name>.py` would not find
this copy of the package. A lesson that calls a function you have not written yet stops at it with
`NotImplementedError`, naming the function:

{chr(10).join(lesson_lines)}

## How grading works

- Each function is graded on its own, in a Python process of its own, with a time limit of
  {config.timeout:g} s: an endless loop or a crash costs that function only.
- Backward passes: the gradient checker compares your gradients with finite differences on random
  inputs. For a wrong gradient the score line says what the error looks like: a sign, a missing
  transpose, a missing 1/N, a bias gradient without its sum over the batch, …
- Forward passes and the Adam step: compared with the docstring's equations, on random inputs and on
  extreme ones (|z| = 800) where a careless formula overflows.
- Your function is graded together with the grader's own version of everything else, so a mistake in one
  function never costs the points of another.
- A function earns all its points or none. Its status is `correct`, `wrong` (with the reason) or
  `not implemented`. `grade.py` exits with status 0 only at full marks.
"""


def teacher_readme(config: Config, directory: Path, solutions: bool) -> str:
    """How the workspace was made, how to grade a submission, what to hand out."""
    parts = ",".join(config.parts)
    create = (
        f"python -m autoencoder_np assignment create {shlex.quote(str(directory))} --parts {parts} "
        f"--title {shlex.quote(config.title)}"
    )
    kind = "the solutions copy (every function implemented)" if solutions else "the student workspace"
    package = (
        "It is unchanged."
        if solutions
        else "The assigned functions raise `NotImplementedError` with their hint; the rest is intact."
    )
    return f"""# Teacher notes: {config.title}

This directory is {kind}, made by

```bash
{create}{" --solutions" if solutions else ""}
```

Parts: {", ".join(f"{name} ({PARTS[name].title})" for name in config.parts)}; {_total(config)} points in all.
`python -m autoencoder_np assignment list` shows every part.

## Files

- `autoencoder_np/`: the package. {package}
- `lessons/`: the lesson scripts; each runs once the functions it calls are implemented.
- `grade.py`: the students' self-check (the same checks as yours, from this copy of the package).
- `README.md`: the students' instructions. `TEACHER.md`: this file.
- `assignment.json`: the parts, the points of each function and the time limit per check. Edit the points
  freely (0 leaves a function out of the total).
- `ruff.toml`: the project's lint settings.

## Grading a submission

```bash
python -m autoencoder_np assignment grade SUBMISSION_DIR              # the score table; exit 0 at full marks
python -m autoencoder_np assignment grade SUBMISSION_DIR --json scores.json --config my_assignment.json
```

Grade with your installed `autoencoder_np`, from outside the submission (inside it, `python -m
autoencoder_np` would import the submission's copy), not with the submission's `grade.py`: the installed
grader runs its own checks and imports from the submission only the student's modules. Keep your own copy of
`assignment.json` and pass it with `--config`, since a student can edit the one in the workspace. Every run
draws fresh random numbers; `--seed N` repeats a run exactly.

The solutions: the same command as above with `--solutions` writes the workspace with the reference code
kept; it grades full marks.
"""
