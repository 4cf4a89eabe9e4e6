"""The texts ``assignment create`` writes: the students' README and ``grade.py``, the teacher's README."""

from __future__ import annotations

import shlex
from pathlib import Path

from .catalogue import PARTS, part_of
from .config import Config
from .results import fmt

GRADE_PY = '''\
"""Check your work: ``python grade.py`` runs the public checks (``--json PATH`` also writes the scores).

The teacher's grade runs these and hidden ones (other shapes, other seeds, a non-square W, float32); a
share of a function's points is earned when both pass. See README.md.

The packages' ``__init__.py`` files are not run, so a file that does not import stops only the checks that
need it (the gradient checker's ``__init__`` imports the layers; its diagnosis needs none of them).
"""

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent

if __name__ == "__main__":
    for name in ("autoencoder_np", "autoencoder_np.gradcheck"):
        package = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.submodule_search_locations = [str(ROOT.joinpath(*name.split(".")))]
        sys.modules[name] = importlib.util.module_from_spec(package)
    sys.exit(importlib.import_module("autoencoder_np.assignments.cli").grade_here(ROOT, sys.argv[1:]))
'''


#: The student README's example of ``ae.testing`` on a textbook pair (a test runs it in a handout).
PROVE_DENSE = """\
import numpy as np

import autoencoder_np as ae
from autoencoder_np.textbook.dense import dense_backward, dense_forward

rng = np.random.default_rng(0)
x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
ae.testing.assert_function_gradients(dense_forward, dense_backward, x, W, b)
print("dense_backward: every gradient matches finite differences")
"""


def _shares(config: Config, function: str) -> str:
    split = config.functions[function].split()
    return ", ".join(f"{name} {fmt(points)}" for name, points in split.items()) if len(split) > 1 else ""


def student(config: Config, lessons: list[str]) -> str:
    """The students' instructions: what to implement, how to check yourself, what to hand in, how grading works."""
    rows = [
        f"| {part_of(f)} | `{f}` | `{p.qualname}` in `{p.file}` | {fmt(p.points)} | {_shares(config, f)} |"
        for f, p in config.functions.items()
    ]
    files = sorted({p.file for p in config.functions.values()})
    lesson_lines = [f"- `python -m lessons.{Path(name).stem}`" for name in lessons] or ["(This copy has none.)"]
    return f"""# {config.title}

You implement {len(config.functions)} functions of `autoencoder_np`, a NumPy library of autoencoders whose
every gradient is written by hand, worth {fmt(config.max_total)} points. Each of them raises
`NotImplementedError` with a hint until you write it; everything else in the package already works.

## What to implement

| part | function | where | points | shares |
|---|---|---|---|---|
{chr(10).join(rows)}

Open the file, find `raise NotImplementedError("<function>: <hint>")`, and replace that line by your code
(end with `return` where the function produces a value). The docstring above it gives the shapes and the
equation. Keep the lines before it: they set up what you need (`x`, `W`, the cache, the clipped `p`); they
carry `# noqa` only because the starter code does not use them yet.

## Check yourself

```bash
python grade.py                    # the public checks, with the grader's diagnosis of a wrong gradient
python grade.py --json scores.json # the same, also as JSON
```

To prove a backward pass on inputs you choose, call the checker the library's own tests use. Save this as
`check_dense.py` here and run `python check_dense.py` (the same works for your other functions):

```python
{PROVE_DENSE}```

A wrong gradient raises `AssertionError` with the same table and diagnosis as `grade.py`. In a pytest file
with hypothesis installed, `ae.testing` also draws the inputs for you: see step 10 of
`python -m lessons.07_gradient_checking`.

You need Python ≥ 3.10 and NumPy; the lessons also need matplotlib. Run everything from this directory, so
that Python imports this copy of `autoencoder_np` (not one you may have installed).

The lessons walk through the same code (`--step` pauses after each step, `--fast` is quicker). Start them
with `python -m lessons.<name>` as below, from this directory: `python lessons/<name>.py` would not find
this copy of the package. A lesson that calls a function you have not written yet stops at it with
`NotImplementedError`, naming the function:

{chr(10).join(lesson_lines)}

## What to hand in

The files you edit: {", ".join(f"`{f}`" for f in files)} (or this whole folder, or the `autoencoder_np`
folder: the grader finds them). Only those files are graded, laid over a clean copy of the rest: keep all
your code in them, and know that editing anything else (the checks, `assignment.json`) changes nothing.

## How grading works

- The teacher grades with the same checks as `grade.py` and with hidden ones: other shapes, other seeds,
  a non-square W, a float32 layer. Code that only reproduces the public answers fails the hidden ones.
- A function's points are split into shares (the table's last column): dL/dW, dL/db and dL/dx of the
  Dense backward each earn their share, for instance. A share is earned when every check of it passes.
- Each function runs in a Python process of its own, with a time limit of {fmt(config.timeout)} s: an
  endless loop or a crash costs that function only. Your code computes; the grade is decided in another
  process that never runs your code.
- Backward passes: compared with finite differences of the forward pass. For a wrong gradient the feedback
  says what the error looks like: a sign, a missing transpose, a missing 1/N, a bias gradient without its
  sum over the batch, …
- Forward passes and the Adam step: compared with the docstring's equations, on random inputs and on
  extreme ones (|z| = 800) where a careless formula overflows.
- Your function is graded together with the grader's own version of everything else, so a mistake in one
  function never costs the points of another.
- Status: `correct`, `partly correct`, `wrong` (with the reason), `not implemented`, `not submitted`.
"""


def teacher(config: Config, handout: Path, folder: Path) -> str:
    """The teacher's notes: what is where, and the commands for one student, a class, and Gradescope."""
    q = shlex.quote
    parts = ",".join(config.parts)
    return f"""# Teacher folder: {config.title}

Keep this folder; never hand it out. Made by autoencoder_np {config.version} with

```bash
python -m autoencoder_np assignment create {q(str(handout))} --parts {parts} --title {q(config.title)} \\
    --teacher {q(str(folder))}
```

Parts: {", ".join(f"{name} ({PARTS[name].title})" for name in config.parts)}; {fmt(config.max_total)} points.
The handout for the students is `{handout}`.

## Files

- `grading.json`: the points of each function and the share of each criterion, the public seed and the
  hidden seeds, the time limit per function. Edit the points and shares freely; `grade` reads this file.
- `starter/`: the package as handed out. A submission's files are laid over a fresh copy of it.
- `solutions/`: the package with every solution, and the lessons. It grades full marks.

## Grading

```bash
# one student (a folder, a .zip, or a single file such as dense.py); exit status 0 whatever the score
python -m autoencoder_np assignment grade SUBMISSION --teacher {q(str(folder))} --json scores.json

# a class: SUBMISSIONS holds one folder or .zip per student
python -m autoencoder_np assignment grade-all SUBMISSIONS --teacher {q(str(folder))} --out gradebook.csv

# Gradescope: upload autograder.zip as the assignment's autograder
python -m autoencoder_np assignment export gradescope {q(str(folder))} --out autograder.zip

# check the set-up: the solutions grade full marks
python -m autoencoder_np assignment grade {q(str(folder / "solutions"))} --teacher {q(str(folder))}
```

Grade with the same autoencoder_np version that made this folder ({config.version}).

## What grading cannot protect against

- Student code runs with your rights: it can read any file you can, including this folder and the installed
  package (which holds every solution). Grade in a container or as a user without access to them.
- The solutions are the library itself: a student who copies them from the public source gets full marks.
- On Gradescope the hidden seeds and the package sit in the autograder image, which the student's code
  runs in.
"""
