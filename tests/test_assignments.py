"""Assignments end to end: create a workspace, grade it in worker processes, mutations, containment, lessons."""

from __future__ import annotations

import functools
import inspect
import itertools
import json
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from helpers import seeds
from hypothesis import given, settings

import autoencoder_np as ae
from autoencoder_np.assignments import checks, workspace
from autoencoder_np.assignments.catalogue import PARTS
from autoencoder_np.assignments.grading import Grades, grade
from autoencoder_np.assignments.markers import find_regions, package_regions
from autoencoder_np.cli import main
from autoencoder_np.diagnosis import HINT_CODES

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = [f for part in PARTS.values() for f in part.points]


def _run(*argv: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False
    )


def mutate(directory: Path, function: str, body: str) -> None:
    """Replace the solution of ``function`` in a --solutions workspace by ``body`` (what a student wrote)."""
    for file in (directory / "autoencoder_np").rglob("*.py"):
        text = file.read_text()
        for region in find_regions(text, file.name):
            if region.id == function:
                lines = text.splitlines()
                code = [region.indent + line if line else "" for line in body.strip("\n").splitlines()]
                lines[region.begin : region.end - 1] = code  # keep the BEGIN and END comments
                file.write_text("\n".join(lines) + "\n")
                return
    raise AssertionError(f"no region {function}")


def only(directory: Path, *functions: str) -> Path:
    """A config that grades just ``functions`` (default points): fewer worker processes per test."""
    parts: dict[str, dict[str, int]] = {}
    for part in PARTS.values():
        for function, points in part.points.items():
            if function in functions:
                parts.setdefault(part.name, {})[function] = points
    path = directory.parent / f"{directory.name}-only.json"
    path.write_text(json.dumps({"title": "some functions", "parts": parts}))
    return path


def test_a_fresh_workspace_made_and_graded_by_the_readme_commands_scores_0_everywhere(tmp_path: Path) -> None:
    """The README's three commands (the first, the install, is this test's environment), then the other parts."""
    section = (ROOT / "README.md").read_text().split("## Assignments")[1]
    commands = re.search(r"```bash\n(.*?)```", section, re.S)[1].strip().splitlines()  # type: ignore[index]
    assert len(commands) == 3
    assert commands[0].startswith("python3 -m venv .venv && .venv/bin/pip install -e .")
    create, grade_hw = (shlex.split(line.replace(".venv/bin/python", sys.executable)) for line in commands[1:])
    made = _run(*create, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "student workspace for dense, activations, adam (11 points) written to hw1" in made.stdout
    graded = _run(*grade_hw, cwd=tmp_path)
    assert graded.returncode == 1, graded.stderr  # not full marks
    table = graded.stdout
    assert table.startswith("Backprop by hand: ")
    assert "total 0 / 11\n" in table
    scores = json.loads((tmp_path / "hw1_scores.json").read_text())
    assert scores["schema"] == "autoencoder_np.assignment/1"
    assert (scores["total"], scores["max_total"], scores["full_marks"]) == (0, 11, False)
    # The parts the README leaves out, in a second workspace: every function of the catalogue is covered.
    workspace.create(tmp_path / "hw2", ["losses", "autoencoder", "masked-loss"])
    rest = grade(tmp_path / "hw2", seed=5).to_dict()
    every = scores["scores"] + rest["scores"]
    assert sorted(s["function"] for s in every) == sorted(FUNCTIONS)  # all 16 functions of the catalogue
    for s in every:
        assert (s["status"], s["points"]) == ("not implemented", 0), s
        assert s["detail"].startswith(f"{s['function']}: "), s  # the hint of the stripped region
    for s in scores["scores"]:
        assert re.search(rf"\n\S+ +{re.escape(s['function'])} +0 / \d  not implemented\n", table), s
    ruff = [sys.executable, "-m", "ruff"] if shutil.which("ruff") is None else ["ruff"]
    for directory, command in itertools.product(("hw1", "hw2"), (["check", "."], ["format", "--check", "."])):
        result = _run(*ruff, *command, cwd=tmp_path / directory)
        assert result.returncode == 0, result.stdout + result.stderr
    assert not list(tmp_path.rglob("__pycache__")), "grading leaves no bytecode in the workspace"


def test_the_solutions_copy_grades_full_marks_on_fresh_seeds(tmp_path: Path) -> None:
    assert main(["assignment", "create", str(tmp_path / "sol"), "--solutions", "--title", "T"]) == 0
    first = grade(tmp_path / "sol")
    assert first.full_marks, str(first)
    assert (first.total, first.max_total) == (24, 24)
    assert "total 24 / 24: full marks" in str(first)
    (tmp_path / "dense.json").write_text('{"title": "Dense only", "parts": {"dense": {"dense.backward": 5}}}')
    again = grade(tmp_path / "sol", config=tmp_path / "dense.json", jobs=1)
    assert [(s.function, s.points, s.status) for s in again.scores] == [("dense.backward", 5, "correct")]
    assert again.seed != first.seed  # every run draws fresh numbers (and prints its seed)


def test_a_student_self_checks_with_grade_py(tmp_path: Path) -> None:
    workspace.create(tmp_path / "hw", ["adam"], solutions=True)
    mutate(tmp_path / "hw", "adam.step", "return p - lr * g, m, v")
    result = _run(sys.executable, "grade.py", "--seed", "3", "--json", "s.json", cwd=tmp_path / "hw")
    assert result.returncode == 1, result.stderr
    assert re.search(r"adam +adam\.step +0 / 3  wrong +Adam\(lr=", result.stdout)
    assert json.loads((tmp_path / "hw" / "s.json").read_text())["seed"] == 3
    bad = _run(sys.executable, "grade.py", "--timeout", "-1", cwd=tmp_path / "hw")
    assert (bad.returncode, bad.stderr) == (2, "grade.py: error: timeout must be > 0, got -1.0\n")


MUTATIONS = {
    "missing bias sum": (
        "dense",
        "dense.backward",
        """
x, W = cache["x"], cache["W"]
grad_x = grad_y @ W.T
grad_W = x.T @ grad_y
grad_b = grad_y[0]
return grad_x, grad_W, grad_b
""",
        "bias_sum",
    ),
    "missing transpose": (
        "dense",
        "dense.backward",
        """
x, W = cache["x"], cache["W"]
grad_x = grad_y @ W
grad_W = x.T @ grad_y
grad_b = grad_y.sum(axis=0)
return grad_x, grad_W, grad_b
""",
        "transpose",
    ),
    "sign flip": ("losses", "mse.backward", "return 2.0 * (target - pred)", "sign"),
    "missing 1/N": (
        "masked-loss",
        "loss.masked_mean_backward",
        "return dell if mask is None else dell * mask",
        "batch_mean",
    ),
    "model walk without the input_grad stop": (
        "autoencoder",
        "model.backward",
        """
grad = grad_y
for layer in reversed(layers):
    grad = layer.backward(grad)
return grad
""",
        "input_grad",
    ),
    "Adam without bias correction": (
        "adam",
        "adam.step",
        """
if weight_decay and not decoupled:
    g = g + weight_decay * p
m = beta1 * m + (1 - beta1) * g
v = beta2 * v + (1 - beta2) * g**2
if decoupled:
    p = p * (1 - lr * weight_decay)
p = p - lr * m / (np.sqrt(v) + eps)
return p, m, v
""",
        "bias_correction",
    ),
}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_mutation_costs_exactly_its_function_with_the_matching_hint(tmp_path: Path, mutation: str) -> None:
    part, function, body, code = MUTATIONS[mutation]
    workspace.create(tmp_path / "hw", [part], solutions=True)
    mutate(tmp_path / "hw", function, body)
    # The mutated function and its siblings (dense.forward beside dense.backward, mse.forward beside …).
    siblings = [f for f in PARTS[part].points if f.split(".")[0] == function.split(".")[0]]
    grades = grade(tmp_path / "hw", config=only(tmp_path / "hw", *siblings), seed=sum(map(ord, mutation)))
    wrong = grades[function]
    assert (wrong.status, wrong.points) == ("wrong", 0), str(grades)
    assert wrong.hint_codes[0] == code, str(grades)
    assert set(wrong.hint_codes) <= set(checks.HINT_CODES) | set(HINT_CODES)
    assert grades.total == grades.max_total - PARTS[part].points[function]
    assert all(s.status == "correct" for s in grades.scores if s.function != function), str(grades)
    row = next(line for line in str(grades).splitlines() if f" {function} " in line)
    assert row.endswith(f"[{code}]"), row  # the score line shows the diagnosis


@functools.cache
def _as_function(function: str, body: str) -> tuple[str, object]:
    """(name, the mutant as a function) of a textbook function, for patching the installed package in-process."""
    name = package_regions(workspace.PACKAGE)[function].qualname
    signature = inspect.signature(getattr(ae.textbook, name))
    namespace: dict[str, object] = {"np": np}
    exec(f"def {name}{signature}:\n" + textwrap.indent(body.strip("\n"), "    "), namespace)
    return name, namespace[name]


@settings(max_examples=15)  # 5 mutants each: 75 graded runs
@given(seed=seeds)
def test_every_mutation_is_named_on_any_seed(seed: int) -> None:
    """The same mutants in-process, on many seeds: the diagnosis does not depend on the numbers drawn."""
    for _, function, body, code in MUTATIONS.values():
        name, mutant = _as_function(function, body)
        with (  # the classes run the textbook kernels, as in a handout, and the mutant is the textbook's
            mock.patch.object(ae.Layer, "kernels", "textbook"),
            mock.patch.object(ae.Loss, "kernels", "textbook"),
            mock.patch.object(ae.textbook, name, mutant),
        ):
            outcome = checks.run(function, seed)
        assert outcome["status"] == "wrong"
        assert outcome["hints"][0]["code"] == code, outcome


def test_a_syntax_error_a_crash_and_an_endless_loop_cost_only_their_functions(tmp_path: Path) -> None:
    workspace.create(tmp_path / "hw", ["dense", "activations", "losses"], solutions=True)
    mutate(tmp_path / "hw", "dense.forward", "while True:\n    pass")
    mutate(tmp_path / "hw", "dense.backward", "import os\n\nos._exit(3)")
    mutate(tmp_path / "hw", "mse.forward", "return (pred - target ** 2")
    graded = ["dense.forward", "dense.backward", "relu.backward", "tanh.backward", "mse.forward", "bce.backward"]
    grades = grade(tmp_path / "hw", config=only(tmp_path / "hw", *graded), seed=1, timeout=5)
    assert (grades["dense.forward"].status, grades["dense.forward"].detail) == (
        "wrong",
        "stopped after 5 s (an endless loop?)",
    )
    assert (grades["dense.backward"].status, grades["dense.backward"].detail) == (
        "wrong",
        "the check crashed (exit status 3): no message",
    )
    for function in ("mse.forward", "bce.backward"):  # textbook/losses.py does not import: the losses, only
        assert grades[function].status == "wrong"
        assert "SyntaxError: '(' was never closed (losses.py, line" in grades[function].detail
    assert grades["relu.backward"].status == grades["tanh.backward"].status == "correct"
    assert (grades.total, grades.max_total) == (2, 9)


def test_create_refuses_a_non_empty_directory_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "hw"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="is not empty"):
        workspace.create(target, ["dense"])
    workspace.create(target, ["dense"], solutions=True, force=True)
    (target / "autoencoder_np" / "stale.py").write_text("x = 1\n")
    workspace.create(target, ["adam"], force=True, title="Adam by hand")
    assert (target / "notes.txt").read_text() == "mine"  # --force leaves other files alone
    assert not (target / "autoencoder_np" / "stale.py").exists()  # and replaces what create wrote
    textbook = target / "autoencoder_np" / "textbook"
    assert 'raise NotImplementedError("adam.step: ' in (textbook / "optimizers.py").read_text()
    assert (
        'raise NotImplementedError("adam.step: ' in (target / "autoencoder_np" / "fast" / "optimizers.py").read_text()
    )
    assert 'raise NotImplementedError("dense.' not in (textbook / "dense.py").read_text()
    assert 'DEFAULT = "textbook"' in (target / "autoencoder_np" / "kernels.py").read_text()
    assert json.loads((target / "assignment.json").read_text()) == {
        "title": "Adam by hand",
        "timeout": 30.0,
        "parts": {"adam": {"adam.step": 3}},
    }
    readme = (target / "README.md").read_text()
    assert "| adam | `adam.step` | `adam_step` in `autoencoder_np/textbook/optimizers.py` | 3 |" in readme
    teacher = (target / "TEACHER.md").read_text()
    assert f"python -m autoencoder_np assignment create {target} --parts adam --title 'Adam by hand'" in teacher


LESSON_TANH = """import autoencoder_np as ae
import numpy as np

print(ae.__file__)
print(ae.Tanh().forward(np.zeros((1, 2))).sum())
"""
LESSON_DENSE = (
    "import autoencoder_np as ae\nimport numpy as np\n\nprint(ae.Dense(2, 3, rng=0).forward(np.ones((1, 2))))\n"
)


def test_lessons_are_copied_and_run_where_their_parts_are_implemented(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(workspace.PACKAGE, source / "autoencoder_np", ignore=shutil.ignore_patterns("__pycache__"))
    (source / "lessons").mkdir()
    (source / "lessons" / "01_tanh.py").write_text(LESSON_TANH)
    (source / "lessons" / "02_dense.py").write_text(LESSON_DENSE)
    (source / "lessons" / "README.md").write_text("# Lessons\n")
    for kind, solutions in (("student", False), ("teacher", True)):
        workspace.create(tmp_path / kind, ["dense"], solutions=solutions, source=source / "autoencoder_np")
        assert sorted(p.name for p in (tmp_path / kind / "lessons").iterdir()) == [
            "01_tanh.py",
            "02_dense.py",
            "README.md",
        ]
        assert "- `python -m lessons.02_dense`" in (tmp_path / kind / "README.md").read_text()
    tanh = _run(sys.executable, "-m", "lessons.01_tanh", cwd=tmp_path / "student")
    assert tanh.returncode == 0, tanh.stderr  # needs no assigned part: runs now
    assert tanh.stdout.startswith(str(tmp_path / "student" / "autoencoder_np"))  # the workspace's package
    dense = _run(sys.executable, "-m", "lessons.02_dense", cwd=tmp_path / "student")
    assert dense.returncode == 1
    assert "NotImplementedError: dense.forward: one matrix product" in dense.stderr
    assert _run(sys.executable, "-m", "lessons.02_dense", cwd=tmp_path / "teacher").returncode == 0


def test_the_docs_explain_every_hint_code_of_the_grader() -> None:
    docs = (ROOT / "docs" / "assignments.md").read_text()
    for code in checks.HINT_CODES:
        assert f"| `{code}` " in docs, code


def test_the_workspace_lint_settings_are_the_projects() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    generated = tomllib.loads(workspace.RUFF_TOML)
    assert generated["line-length"] == project["line-length"]
    assert generated["target-version"] == project["target-version"]
    assert generated["lint"] == project["lint"]


def test_grades_render_and_serialize(tmp_path: Path) -> None:
    workspace.create(tmp_path / "hw", ["autoencoder"])
    grades = grade(tmp_path / "hw", seed=7)
    assert isinstance(grades, Grades)
    data = grades.to_dict()
    assert data["scores"] == [
        {
            "part": "autoencoder",
            "function": "model.backward",
            "points": 0.0,
            "max_points": 2,
            "status": "not implemented",
            "detail": data["scores"][0]["detail"],
            "hints": [],
            "seconds": data["scores"][0]["seconds"],
        }
    ]
    assert data["scores"][0]["detail"].startswith("model.backward: walk the layers from last to first")
    assert (
        str(grades).splitlines()[0] == f"autoencoder_np: autoencoder: {tmp_path / 'hw'} (seed 7; repeat with --seed 7)"
    )
