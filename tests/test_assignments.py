"""Assignments end to end: the handout and the teacher folder, grading in student processes, the self-check,
what a student cannot change, the README's commands, lessons. (Classes and Gradescope: test_assignments_class.)"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autoencoder_np.assignments import checks, workspace
from autoencoder_np.assignments.catalogue import PARTS
from autoencoder_np.assignments.config import load
from autoencoder_np.assignments.grading import grade
from autoencoder_np.assignments.markers import find_regions, package_regions
from autoencoder_np.assignments.results import Grades
from autoencoder_np.assignments.selfcheck import PUBLIC_FILE, load_public, self_check

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False
    )


def grade_command(submission: Path, teacher: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``python -m autoencoder_np assignment grade SUBMISSION --teacher TEACHER [options]``, as a teacher runs it."""
    command = ["-m", "autoencoder_np", "assignment", "grade", str(submission), "--teacher", str(teacher)]
    return run(sys.executable, *command, *options, cwd=ROOT)


def mutate(package: Path, function: str, body: str) -> Path:
    """Replace the solution of ``function`` in the files under ``package`` by ``body``; returns the file."""
    for file in sorted(package.rglob("*.py")):
        text = file.read_text()
        for region in find_regions(text, file.name):
            if region.id == function:
                lines = text.splitlines()
                code = [region.indent + line if line else "" for line in body.strip("\n").splitlines()]
                lines[region.begin : region.end - 1] = code  # keep the BEGIN and END comments
                file.write_text("\n".join(lines) + "\n")
                return file
    raise AssertionError(f"no region {function}")


def submission(teacher: Path, target: Path, edits: dict[str, str] | None = None) -> Path:
    """A student's package folder: the solutions' files of the assigned functions, with ``edits`` made."""
    solutions = teacher / "solutions" / "autoencoder_np"
    config = load(teacher / "grading.json")
    regions = package_regions(solutions)
    for path in {regions[f].path for f in config.functions}:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(teacher / "solutions" / path, target / path)
    for function, body in (edits or {}).items():
        mutate(target / "autoencoder_np", function, body)
    return target


BIAS_WITHOUT_SUM = """
grad_x = grad_y @ W.T
grad_W = x.T @ grad_y
grad_b = grad_y[0]
return grad_x, grad_W, grad_b
"""


def home(teacher: Path, function: str) -> str:
    """The file that holds ``function``, relative to a handout (from the teacher's config)."""
    return load(teacher / "grading.json").functions[function].file


@pytest.fixture(scope="module")
def dense_hw(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(handout, teacher folder) of the part dense: dense.forward (1 point), dense.backward (3 points)."""
    base = tmp_path_factory.mktemp("dense")
    _, teacher = workspace.create(base / "hw", ["dense"], title="Dense by hand")
    return base / "hw", teacher


def test_the_readmes_commands_make_a_handout_and_a_teacher_folder_and_grade(tmp_path: Path) -> None:
    """The README's commands, as a teacher pastes them (the first, the install, is this test's environment)."""
    section = (ROOT / "README.md").read_text().split("## Assignments")[1].split("\n## ")[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    commands = [line for block in blocks for line in block.strip().splitlines() if not line.startswith("#")]
    assert commands[0].startswith("python3 -m venv .venv && .venv/bin/pip install -e .")
    argvs = [shlex.split(line.replace(".venv/bin/python", sys.executable)) for line in commands[1:]]
    assert [argv[3:5] for argv in argvs] == [
        ["assignment", "create"], ["assignment", "grade"], ["assignment", "grade-all"], ["assignment", "export"]
    ]  # fmt: skip
    made = run(*argvs[0], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "student handout for dense, adam (7 points): hw1\n" in made.stdout
    assert "teacher folder: hw1-teacher\n" in made.stdout
    assert sorted(p.name for p in (tmp_path / "hw1").iterdir()) == sorted(
        ["autoencoder_np", "lessons", "grade.py", "README.md", "assignment.json", "public_checks.npz", "ruff.toml"]
    )
    assert sorted(p.name for p in (tmp_path / "hw1-teacher").iterdir()) == [
        "README.md",
        "grading.json",
        "solutions",
        "starter",
    ]
    # The student hands back the untouched handout: every function "not implemented", and exit status 0.
    student = argvs[1][5]
    shutil.copytree(tmp_path / "hw1", tmp_path / student)
    graded = run(*argvs[1], cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert graded.stdout.startswith("Backprop by hand: alice (autoencoder_np ")
    assert "total 0 / 7\n" in graded.stdout
    scores = json.loads((tmp_path / argvs[1][argvs[1].index("--json") + 1]).read_text())
    assert (scores["schema"], scores["total"], scores["max_total"]) == ("autoencoder_np.assignment/2", 0, 7)
    assert {s["status"] for s in scores["scores"]} == {"not implemented"}
    for s in scores["scores"]:
        assert s["detail"].startswith(f"{s['function']}: "), s  # the hint of the stripped region
    whole = run(*argvs[2], cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr
    assert (tmp_path / "gradebook.csv").read_text().splitlines()[1].startswith("alice,0,0,0,0,7,0.0,graded,")
    exported = run(*argvs[3], cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "autograder.zip").is_file()
    ruff = [sys.executable, "-m", "ruff"] if shutil.which("ruff") is None else ["ruff"]
    for command in (["check", "."], ["format", "--check", "."]):
        result = run(*ruff, *command, cwd=tmp_path / "hw1")
        assert result.returncode == 0, result.stdout + result.stderr
    assert not list(tmp_path.rglob("__pycache__")), "grading leaves no bytecode in the handout"


def test_the_students_readme_shows_a_gradient_proof_that_runs_on_their_copy(dense_hw: tuple[Path, Path]) -> None:
    """The README's ``ae.testing`` example imports the handout's package: unwritten there, correct in the solutions."""
    handout, teacher = dense_hw
    example = (handout / "README.md").read_text().split("```python\n")[1].split("```")[0]
    for folder in (handout, teacher / "solutions"):
        (folder / "check_dense.py").write_text(example)
    unwritten = run(sys.executable, "check_dense.py", cwd=handout)
    assert unwritten.returncode == 1
    assert "NotImplementedError: dense.forward" in unwritten.stderr
    solved = run(sys.executable, "check_dense.py", cwd=teacher / "solutions")
    assert solved.returncode == 0, solved.stderr
    assert "dense_backward: every gradient matches finite differences" in solved.stdout
    (handout / "check_dense.py").unlink()
    (teacher / "solutions" / "check_dense.py").unlink()


def test_the_handout_carries_no_working_copy_and_no_hidden_seed(dense_hw: tuple[Path, Path]) -> None:
    handout, teacher = dense_hw
    assert not (handout / "autoencoder_np" / "assignments" / "reference.py").exists()
    solutions = teacher / "solutions" / "autoencoder_np"
    for function in ("dense.forward", "dense.backward"):
        region = package_regions(solutions)[function]
        body = (teacher / "solutions" / region.path).read_text().splitlines()[region.begin : region.end - 1]
        code = "\n".join(line for line in body if not line.strip().startswith("#"))
        for file in handout.rglob("*.py"):
            assert code not in file.read_text(), (function, file)
    for function, twin in package_regions(solutions, "FAST").items():  # the fast twins of what is asked go too
        text = (handout / twin.path).read_text()
        assert (f"{function}: not in this handout" in text) == function.startswith("dense."), function
    secret = load(teacher / "grading.json")
    assert secret.hidden_seeds
    assert not load(handout / "assignment.json").hidden_seeds
    for file in handout.rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert all(str(seed).encode() not in data for seed in secret.hidden_seeds), file
    assert (teacher / "starter" / "autoencoder_np").is_dir()
    assert not (handout / "grading.json").exists()


def test_the_solutions_grade_full_marks_every_function(tmp_path: Path) -> None:
    _, teacher = workspace.create(tmp_path / "hw", list(PARTS))
    grades = grade(teacher / "solutions", teacher)
    assert grades.full_marks, str(grades)
    assert (grades.total, grades.max_total) == (24, 24)
    assert str(grades).endswith("total 24 / 24: full marks")


def test_a_student_self_checks_with_the_public_checks_only(dense_hw: tuple[Path, Path], tmp_path: Path) -> None:
    handout, teacher = dense_hw
    shutil.copytree(handout, tmp_path / "hw")
    dense = home(teacher, "dense.backward")
    shutil.copyfile(
        submission(teacher, tmp_path / "sub", {"dense.backward": BIAS_WITHOUT_SUM}) / dense, tmp_path / "hw" / dense
    )
    result = run(sys.executable, "grade.py", "--json", "s.json", cwd=tmp_path / "hw")
    assert result.returncode == 0, result.stderr  # a low score is not an error
    assert re.search(
        r"dense +dense\.backward +2 / 3  partly correct +dL/db 0 / 1: b: the analytic gradient equals row",
        result.stdout,
    )
    assert result.stdout.splitlines()[0].endswith("; public checks)")
    data = json.loads((tmp_path / "hw" / "s.json").read_text())
    assert data["checks"] == "public"
    assert {c["failed_on"] for s in data["scores"] for c in s["criteria"]} <= {"", "public"}
    broken_file = tmp_path / "hw" / dense
    broken_file.write_text(broken_file.read_text() + "\ndef broken(:\n")
    broken = run(sys.executable, "grade.py", cwd=tmp_path / "hw")  # the self-check survives the student's file
    assert broken.returncode == 0, broken.stderr
    assert f"{dense} does not import: SyntaxError: invalid syntax" in broken.stdout
    bad = run(sys.executable, "grade.py", "--timeout", "-1", cwd=tmp_path / "hw")
    assert (bad.returncode, bad.stderr) == (2, "grade.py: error: timeout must be > 0, got -1.0\n")


def test_editing_the_handouts_config_or_adding_files_changes_no_score(
    dense_hw: tuple[Path, Path], tmp_path: Path
) -> None:
    """The teacher grades the submitted file alone, then the same inside a handout the student tampered with."""
    handout, teacher = dense_hw
    honest = submission(teacher, tmp_path / "honest", {"dense.backward": BIAS_WITHOUT_SUM})
    tampered = tmp_path / "tampered"
    shutil.copytree(handout, tampered)
    dense = home(teacher, "dense.backward")
    shutil.copyfile(honest / dense, tampered / dense)
    config = json.loads((tampered / "assignment.json").read_text())
    config["functions"] = {f: {"points": 100} for f in config["functions"]}
    config["seeds"] = {"public": 1, "hidden": []}
    (tampered / "assignment.json").write_text(json.dumps(config))
    (tampered / PUBLIC_FILE).write_bytes(b"not the checks")
    always = "CHECKS = []\nHINT_CODES = {}\nMODULES = {}\n"
    for added, text in {
        "grading.json": json.dumps({**config, "functions": {"dense.backward": {"points": 1000}}}),
        "sitecustomize.py": "raise SystemExit(0)\n",
        "usercustomize.py": "raise SystemExit(0)\n",
        "conftest.py": "raise SystemExit(0)\n",
        "autoencoder_np/assignments/checks/__init__.py": always,
        "autoencoder_np/assignments/checks/dense.py": "CHECKS = []\n",
        "autoencoder_np/assignments/grading.py": "raise SystemExit(0)\n",
        "autoencoder_np/__init__.py": "raise SystemExit(0)\n",
        "autoencoder_np/layers_helper.py": "x = 1\n",
    }.items():
        (tampered / added).write_text(text)
    first, second = grade(honest, teacher), grade(tampered, teacher)
    assert [(s.function, s.points, s.status) for s in first.scores] == [
        ("dense.forward", 1.0, "correct"),
        ("dense.backward", 2.0, "partly correct"),
    ]
    assert [(s.function, s.points, s.status) for s in second.scores] == [
        (s.function, s.points, s.status) for s in first.scores
    ]
    assert second["dense.backward"].file == dense


def test_code_that_patches_the_checks_or_writes_results_gains_nothing(
    dense_hw: tuple[Path, Path], tmp_path: Path
) -> None:
    """In its own process the student's code replaces every verdict, fakes the worker's report, writes
    results.json files and leaves a process behind to overwrite the grade's JSON: the score stays its own."""
    _, teacher = dense_hw
    marker = tmp_path / "late-writer-ran"
    cheat = f"""
import atexit, json, os, subprocess, sys
import autoencoder_np.assignments.checks as checks
from autoencoder_np.assignments.checks import judging, protocol
for check in checks.CHECKS.values():
    object.__setattr__(check, "verdict", lambda case, expected, outputs: dict.fromkeys(case.criteria))
judging.compare_gradients = lambda *a, **k: {{}}
protocol.save_outputs = lambda path, outputs: None
def fake():
    spec = json.loads(open(sys.argv[1]).read()) if len(sys.argv) > 1 and sys.argv[1].endswith(".json") else {{}}
    if "report" in spec:
        open(spec["report"], "w").write(json.dumps({{"status": "ran", "message": "", "errors": [], "none": []}}))
    for place in (os.getcwd(), os.path.dirname(os.getcwd())):
        open(os.path.join(place, "results.json"), "w").write(json.dumps({{"score": 1000}}))
atexit.register(fake)
try:
    parent = open(f"/proc/{{os.getppid()}}/cmdline", "rb").read().split(b"\\0")
    target = parent[parent.index(b"--json") + 1].decode()
except (OSError, ValueError):
    target = {str(tmp_path / "none.json")!r}
subprocess.Popen([sys.executable, "-c", "import json, time; time.sleep(1.5); "
    f"open({{target!r}}, 'w').write(json.dumps({{{{'total': 1000}}}})); open({str(marker)!r}, 'w').write('ran')"],
    start_new_session=False)
"""
    package = submission(teacher, tmp_path / "cheat", {"dense.backward": BIAS_WITHOUT_SUM})
    graded = package / home(teacher, "dense.backward")
    graded.write_text(graded.read_text() + cheat)
    result = grade_command(package, teacher, "--json", str(tmp_path / "scores.json"))
    assert result.returncode == 0, result.stderr
    time.sleep(2.5)  # longer than the left-behind writer would wait
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["total"] <= 3, scores  # the honest bias bug earns 3 (forward 1, backward 2); no more
    assert scores["scores"][1]["points"] <= 2
    assert not marker.exists(), "the process the student's code left behind was stopped with it"


def test_hidden_checks_catch_a_submission_that_hard_codes_the_public_answers(
    dense_hw: tuple[Path, Path], tmp_path: Path
) -> None:
    handout, teacher = dense_hw
    cases, expected = load_public(handout / PUBLIC_FILE)["dense.backward"]
    table = {
        case.inputs["x"].tobytes().hex(): {k: wanted[k].tolist() for k in ("W", "b", "x")}
        for case, wanted in zip(cases, expected, strict=True)
    }
    body = f"""
import numpy as np

answers = {table!r}
known = answers.get(np.asarray(x, dtype=np.float64).tobytes().hex())
if known is None:
    return np.zeros_like(x), np.zeros_like(W), np.zeros(W.shape[1])
return np.array(known["x"]), np.array(known["W"]), np.array(known["b"])
"""
    hw = tmp_path / "hw"
    shutil.copytree(handout, hw)
    dense = home(teacher, "dense.backward")
    shutil.copyfile(submission(teacher, tmp_path / "sub", {"dense.backward": body}) / dense, hw / dense)
    assert self_check(hw)["dense.backward"].status == "correct"  # the public checks are fooled
    graded = grade(hw, teacher)["dense.backward"]
    assert (graded.status, graded.points) == ("wrong", 0.0)
    assert {c.failed_on for c in graded.criteria} == {"hidden"}


def test_partial_credit_for_a_bias_only_bug_is_the_share_stated(dense_hw: tuple[Path, Path], tmp_path: Path) -> None:
    _, original = dense_hw
    teacher = tmp_path / "teacher"
    shutil.copytree(original, teacher)
    config = json.loads((teacher / "grading.json").read_text())
    config["functions"]["dense.backward"]["shares"] = {"dL/dW": 1, "dL/db": 2, "dL/dx": 1}
    (teacher / "grading.json").write_text(json.dumps(config))
    package = submission(teacher, tmp_path / "sub", {"dense.backward": BIAS_WITHOUT_SUM})
    result = grade_command(package, teacher, "--feedback", str(tmp_path / "fb.txt"))
    assert result.returncode == 0, result.stderr
    feedback = (tmp_path / "fb.txt").read_text()
    assert f"dense.backward ({home(teacher, 'dense.backward')}): 1.5 / 3, partly correct\n" in feedback
    assert "  ✓ dL/dW: 0.75 / 0.75\n  ✗ dL/db: 0 / 1.5\n" in feedback
    assert "the sum over the batch axis is missing? [bias_sum]" in feedback


def test_an_error_in_a_students_function_points_at_the_students_line(
    dense_hw: tuple[Path, Path], tmp_path: Path
) -> None:
    _, teacher = dense_hw
    body = "grad_x = grad_y @ W.T[:1]\nreturn grad_x, x.T @ grad_y, grad_y.sum(axis=0)\n"  # shapes that never fit
    package = submission(teacher, tmp_path / "sub", {"dense.backward": body})
    dense = home(teacher, "dense.backward")
    line = next(i for i, text in enumerate((package / dense).read_text().splitlines(), 1) if "W.T[:1]" in text)
    score = grade(package, teacher)["dense.backward"]
    assert score.status == "wrong"
    qualname = load(teacher / "grading.json").functions["dense.backward"].qualname
    assert score.criteria[2].detail.startswith("ValueError: matmul: ")
    assert score.criteria[2].detail.endswith(f"(at {dense}:{line}, in {qualname})")


def test_a_single_file_upload_grades_its_functions_and_the_rest_is_not_submitted(tmp_path: Path) -> None:
    _, teacher = workspace.create(tmp_path / "hw", ["dense", "activations"])
    (tmp_path / "upload").mkdir()
    activations = Path(home(teacher, "relu.backward"))
    shutil.copyfile(teacher / "solutions" / activations, tmp_path / "upload" / activations.name)
    grades = grade(tmp_path / "upload", teacher, jobs=2)
    assert [(s.function, s.status, s.file) for s in grades.scores] == [
        ("dense.forward", "not submitted", ""),
        ("dense.backward", "not submitted", ""),
        *[(f"{name}.backward", "correct", activations.name) for name in ("relu", "leaky_relu", "sigmoid", "tanh")],
    ]
    assert grades["dense.forward"].detail == f"the submission has no {Path(home(teacher, 'dense.forward')).name}"


def test_create_refuses_non_empty_folders_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "hw"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="is not empty"):
        workspace.create(target, ["dense"])
    workspace.create(target, ["dense"], force=True)
    (target / "autoencoder_np" / "stale.py").write_text("x = 1\n")
    _, teacher = workspace.create(target, ["adam"], force=True, title="Adam by hand")
    assert (target / "notes.txt").read_text() == "mine"  # --force leaves other files alone
    assert not (target / "autoencoder_np" / "stale.py").exists()  # and replaces what create wrote
    assert 'raise NotImplementedError("adam.step: ' in (target / home(teacher, "adam.step")).read_text()
    assert not [f for f in (target / "autoencoder_np").rglob("*.py") if 'NotImplementedError("dense.' in f.read_text()]
    assert teacher == tmp_path / "hw-teacher"
    assert list(load(teacher / "grading.json").functions) == ["adam.step"]
    region = package_regions(workspace.PACKAGE)["adam.step"]
    readme = (target / "README.md").read_text()
    shares = "no decay 1, L2 decay 1, decoupled decay 1"
    assert f"| adam | `adam.step` | `{region.qualname}` in `{region.path}` | 3 | {shares} |" in readme
    notes = (teacher / "README.md").read_text()
    assert f"assignment grade-all SUBMISSIONS --teacher {teacher} --out gradebook.csv" in notes


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
    _, teacher = workspace.create(tmp_path / "student", ["dense"], source=source / "autoencoder_np")
    for folder in (tmp_path / "student", teacher / "solutions"):
        assert sorted(p.name for p in (folder / "lessons").iterdir()) == ["01_tanh.py", "02_dense.py", "README.md"]
    assert "- `python -m lessons.02_dense`" in (tmp_path / "student" / "README.md").read_text()
    tanh = run(sys.executable, "-m", "lessons.01_tanh", cwd=tmp_path / "student")
    assert tanh.returncode == 0, tanh.stderr  # needs no assigned part: runs now
    assert tanh.stdout.startswith(str(tmp_path / "student" / "autoencoder_np"))  # the handout's package
    dense = run(sys.executable, "-m", "lessons.02_dense", cwd=tmp_path / "student")
    assert dense.returncode == 1
    assert "NotImplementedError: dense.forward: one matrix product" in dense.stderr
    assert run(sys.executable, "-m", "lessons.02_dense", cwd=teacher / "solutions").returncode == 0


def test_the_docs_explain_every_hint_code_of_the_grader() -> None:
    docs = (ROOT / "docs" / "assignments.md").read_text()
    for code in checks.HINT_CODES:
        assert f"| `{code}` " in docs, code


def test_the_handout_lint_settings_are_the_projects() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    generated = tomllib.loads(workspace.RUFF_TOML)
    assert generated["line-length"] == project["line-length"]
    assert generated["target-version"] == project["target-version"]
    assert generated["lint"] == project["lint"]


def test_grades_round_trip_through_json(dense_hw: tuple[Path, Path], tmp_path: Path) -> None:
    handout, teacher = dense_hw
    grades = grade(handout, teacher)
    again = Grades.from_dict(json.loads(json.dumps(grades.to_dict())))
    assert again == grades
    assert str(again) == str(grades)
    assert [c.name for c in again["dense.backward"].criteria] == ["dL/dW", "dL/db", "dL/dx"]
    assert np.isclose(sum(c.max_points for c in again["dense.backward"].criteria), 3)
    assert again["dense.forward"].why()[0].startswith("dense.forward: ")
