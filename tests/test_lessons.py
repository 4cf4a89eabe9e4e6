"""The lessons: each runs in --fast mode, prints every step's explanation wrapped to 80 columns, passes its
self-checks and writes the figures it promises; --quiet prints the numbers only; --step stops cleanly; the
catalogue, the scripts and the index agree; the ``lessons`` command lists and runs them, also from an
assignment workspace (with the workspace's package); --data reads a ratings file, and bad input ends with one
line and exit status 2; lesson 1 gives the demo's numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from autoencoder_np.assignments import workspace
from autoencoder_np.cli import main
from autoencoder_np.curriculum import CURRICULUM, LessonInfo, find
from autoencoder_np.lesson import ELSEWHERE_VARIABLE, OPTIONS_VARIABLE, Lesson, lessons_dir
from autoencoder_np.lesson_text import Explanation, read_cells, split_heading
from autoencoder_np.recsys import synthetic_ratings

LESSONS = lessons_dir()
ROOT = LESSONS.parent
PNG = b"\x89PNG\r\n\x1a\n"
# The lessons are checks, not benchmarks: one BLAS thread keeps them steady on a shared machine, where two
# threads fighting another job's for two cores were measured 5–100× slower (docs: benchmarks.md).
ONE_THREAD = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


@pytest.fixture(autouse=True)
def _keep_print_options():
    """A Lesson sets NumPy's print options for its script; put them back for the other tests."""
    with np.printoptions():
        yield


def _python(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python args`` with stdin closed (or fed ``stdin``)."""
    return subprocess.run(
        [sys.executable, *args], input=stdin, stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True, text=True, timeout=300, check=False, cwd=cwd, env=ONE_THREAD,
    )  # fmt: skip


FastRun = Callable[[LessonInfo], tuple[subprocess.CompletedProcess[str], Path]]
#: What a lesson may leave in the folder it runs in: hypothesis's cache (lesson 7's property tests).
CACHES = {".hypothesis"}


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory: pytest.TempPathFactory) -> FastRun:
    """``fast_run(info)``: the lesson run once at --fast sizes (cached for the module) and its figure folder.

    It runs in a folder of its own, which must hold nothing afterwards but :data:`CACHES`.
    """
    runs: dict[str, tuple[subprocess.CompletedProcess[str], Path]] = {}

    def run(info: LessonInfo) -> tuple[subprocess.CompletedProcess[str], Path]:
        if info.name not in runs:
            out, cwd = tmp_path_factory.mktemp(info.name), tmp_path_factory.mktemp(f"{info.name}_cwd")
            result = _python(str(LESSONS / f"{info.name}.py"), "--fast", "--out", str(out), cwd=cwd)
            assert {path.name for path in cwd.iterdir()} <= CACHES, f"{info.name} wrote into its current folder"
            runs[info.name] = (result, out)
        return runs[info.name]

    return run


def _explanations(info: LessonInfo) -> list[Explanation]:
    """The markdown cell above each ``lesson.step()`` cell of the lesson, in order."""
    cells = read_cells(LESSONS / f"{info.name}.py")
    steps = [i for i, cell in enumerate(cells) if cell.kind == "code" and "lesson.step()" in cell.text]
    assert all(i > 0 and cells[i - 1].kind == "markdown" for i in steps), f"{info.name}: a step has no explanation"
    return [split_heading(cells[i - 1].text) for i in steps]


def _first_sentence(markdown: str) -> str:
    """The first sentence of the first paragraph (after any code block), without the markdown a terminal
    does not show."""
    paragraph: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and line.strip() and not re.match(r"```|    |- |\d+\. ", line):
            paragraph.append(line)
        elif paragraph:
            break
    return " ".join(" ".join(paragraph).replace("*", "").split()).split(". ")[0]


def _code_lines(markdown: str) -> list[str]:
    """The lines of the markdown's code blocks as a terminal shows them: indented by four spaces."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced or line.startswith("    "):
            lines.append(("    " * fenced + line).rstrip())
    return [line for line in lines if line]


def _columns(line: str) -> int:
    """How many terminal columns a line takes (a combining mark, as in x̂, takes none)."""
    return sum(not unicodedata.combining(char) for char in line)


@pytest.mark.parametrize("info", CURRICULUM, ids=[info.name for info in CURRICULUM])
def test_lesson_runs_fast_passes_its_checks_and_writes_its_figures(info, fast_run: FastRun) -> None:
    result, tmp_path = fast_run(info)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert result.stderr == ""  # no warnings, no tracebacks
    out = result.stdout
    assert " ".join(out.split()).startswith(f"Lesson {info.number} · {info.title}")
    assert "[FAILED]" not in out
    assert re.search(r"All \d+ self-checks passed", out)
    assert len(re.findall(r"^── Step \d+ · ", out, flags=re.MULTILINE)) >= 4
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(info.figures)
    for name in info.figures:
        assert (tmp_path / name).read_bytes()[:8] == PNG
        assert f"figure: {tmp_path / name}" in out


@pytest.mark.parametrize("info", CURRICULUM, ids=[info.name for info in CURRICULUM])
def test_a_terminal_run_prints_each_explanation_wrapped_to_80_columns(info, fast_run: FastRun) -> None:
    """Every step's markdown is printed under its heading: its first sentence, wrapped into lines of at most
    80 columns (the output is not a terminal), and its code blocks indented as written."""
    out = fast_run(info)[0].stdout
    lines = out.splitlines()
    explanations = _explanations(info)
    headings = re.findall(r"^── Step (\d+) · (.+?) ─+$", out, flags=re.MULTILINE)
    assert [int(number) for number, _ in headings] == list(range(1, len(explanations) + 1))
    for explanation, (_, title) in zip(explanations, headings, strict=True):
        assert title == explanation.title
        if not explanation.body:  # a bare "## Self-checks"
            continue
        sentence = _first_sentence(explanation.body)
        start = next((i for i, line in enumerate(lines) if line.startswith(" ".join(sentence.split()[:3]))), None)
        assert start is not None, f"{info.name}, step {explanation.title!r}: not printed: {sentence!r}"
        paragraph = lines[start : lines.index("", start)]
        assert sentence in " ".join(" ".join(paragraph).split())
        assert max(_columns(line) for line in paragraph) <= 80, paragraph
        for code in _code_lines(explanation.body):
            assert code in lines
            assert _columns(code) <= 80, code


def test_quiet_prints_the_numbers_without_the_explanations(tmp_path: Path) -> None:
    result = _python("-m", "autoencoder_np", "lessons", "run", "2", "--quiet", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "── Step 2 · Backward: the three equations, derived ─" in result.stdout
    assert "G = dL/dy =" in result.stdout  # the numbers
    for explanation in _explanations(find(2))[:-1]:  # the last is a bare "## Self-checks"
        assert " ".join(_first_sentence(explanation.body).split()[:6]) not in " ".join(result.stdout.split())


def test_the_markdown_numbers_its_steps_in_order() -> None:
    for info in CURRICULUM:
        numbers = [explanation.number for explanation in _explanations(info)]
        assert numbers[-1] is None  # ## Self-checks
        assert numbers[:-1] == list(range(1, len(numbers))), info.name


def test_lesson_1_gives_the_demo_s_numbers(fast_run: FastRun, tmp_path: Path, capsys) -> None:
    """The founding example's epochs 1 and 100 print the same loss in ``demo`` and in lesson 1."""
    assert main(["demo", "--out", str(tmp_path)]) == 0
    demo = capsys.readouterr().out
    lesson = fast_run(find(1))[0].stdout
    for epoch in ("  1/100", "100/100"):
        loss = re.search(rf"Epoch {re.escape(epoch)} - loss: (\d\.\d+)", demo)
        assert loss, demo
        assert f"Epoch {epoch} - loss: {loss[1]} - " in lesson


def test_lesson_7_runs_its_property_tests_where_hypothesis_is_installed(fast_run: FastRun) -> None:
    out = fast_run(find(7))[0].stdout
    assert re.search(r"test_mine: hypothesis drew \d+ inputs, shapes \(3, 4\) to \(6, 4\); every check passed", out)
    assert "[ok] hypothesis shrinks the sign slip to a small example: x of shape (3, 1)" in out


@pytest.mark.parametrize(("stdin", "last_step", "why"), [(None, 1, "end of input"), ("\n\nq\n", 3, "q")])
def test_step_mode_stops_cleanly(stdin: str | None, last_step: int, why: str, tmp_path: Path) -> None:
    result = _python(str(LESSONS / "02_dense_layer.py"), "--step", "--out", str(tmp_path), stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert f"── Step {last_step} · " in result.stdout
    assert f"── Step {last_step + 1} · " not in result.stdout
    assert f"Stopped after step {last_step} ({why})" in result.stdout
    assert "self-checks passed" not in result.stdout
    assert result.stderr == ""


def test_a_failed_check_exits_1_and_says_which(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lesson = Lesson("02_dense_layer", ["--out", str(tmp_path)])
    lesson.save(Figure(), "dense_gradcheck.png")
    lesson.check("the sky is green", False, "it is blue")
    with pytest.raises(SystemExit) as stop:
        lesson.finish()
    assert stop.value.code == 1
    out = capsys.readouterr().out
    assert "[FAILED] the sky is green: it is blue" in out
    assert "1 of 2 self-checks FAILED (the sky is green)" in out


def test_a_missing_figure_fails_the_lesson(tmp_path: Path) -> None:
    lesson = Lesson("02_dense_layer", ["--out", str(tmp_path)])
    lesson.check("something true", True)
    with pytest.raises(SystemExit) as stop:
        lesson.finish()
    assert stop.value.code == 1


def test_passing_lesson_exits_0_and_points_to_the_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lesson = Lesson("06_optimizers", ["--fast", "--out", str(tmp_path)])
    assert lesson.pick(full=300, fast=100) == 100
    for name in lesson.info.figures:
        lesson.save(Figure(), name)
    with pytest.raises(SystemExit) as stop:
        lesson.finish()
    assert stop.value.code == 0
    assert "Next: python lessons/07_gradient_checking.py" in capsys.readouterr().out


def test_the_kit_refuses_what_the_catalogue_does_not_promise(tmp_path: Path) -> None:
    lesson = Lesson("01_founding_example", ["--out", str(tmp_path)])
    assert lesson.pick(full=300, fast=100) == 300
    assert lesson.out == tmp_path
    with pytest.raises(ValueError, match=r"figure 'surprise.png' is not among the figures the catalogue promises"):
        lesson.save(Figure(), "surprise.png")
    with pytest.raises(ValueError, match=r"there is no lesson '99_nothing'"):
        Lesson("99_nothing", [])
    with pytest.raises(SystemExit):  # argparse: unknown option, exit status 2
        Lesson("01_founding_example", ["--fsat"])
    assert Lesson("03_activations", []).out == Path("lesson_output/03_activations")


def test_catalogue_scripts_and_index_agree() -> None:
    scripts = sorted(path.stem for path in LESSONS.glob("[0-9][0-9]_*.py"))
    assert scripts == [info.name for info in CURRICULUM]
    assert [info.number for info in CURRICULUM] == list(range(1, 14))
    index = (LESSONS / "README.md").read_text(encoding="utf-8")
    for info in CURRICULUM:
        row = next(line for line in index.splitlines() if line.startswith(f"| {info.number} |"))
        assert f"[{info.name}.py]({info.name}.py)" in row
        assert row.rstrip().endswith(f"| {info.minutes} min |")
        exercises = re.search(rf"^{info.number}\. \*\*", index, flags=re.MULTILINE)
        assert exercises, f"lesson {info.number} has no exercises in lessons/README.md"


@pytest.mark.parametrize("info", CURRICULUM, ids=[info.name for info in CURRICULUM])
def test_each_lesson_is_a_percent_format_notebook(info) -> None:
    text = (LESSONS / f"{info.name}.py").read_text(encoding="utf-8")
    assert text.startswith(f"# %% [markdown]\n# # Lesson {info.number} · ")
    assert text.count("# %% [markdown]") >= 5
    assert text.count("\n# %%\n") >= 5
    assert f'Lesson("{info.name}")' in text
    assert text.rstrip().endswith("lesson.finish()")


def test_lessons_command_lists_every_lesson(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lessons"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # long titles are wrapped to the terminal
    for info in CURRICULUM:
        assert info.title in out
        assert f"lessons/{info.name}.py" in out
    assert main(["lessons", "list"]) == 0


def test_the_list_from_elsewhere_names_only_commands_that_work_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Away from the folder that holds lessons/ (a course installed from a wheel), ``python lessons/…`` cannot run."""
    monkeypatch.chdir(tmp_path)
    assert main(["lessons"]) == 0
    footer = capsys.readouterr().out.split("Run one:")[1]
    assert "python lessons/01_founding_example.py" not in footer
    assert f"The lessons are in {lessons_dir()}" in " ".join(footer.split())
    assert "python -m autoencoder_np lessons copy" in footer


def test_a_lesson_run_from_elsewhere_points_to_the_next_with_lessons_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ELSEWHERE_VARIABLE, "1")
    lesson = Lesson("06_optimizers", ["--fast", "--out", str(tmp_path)])
    for name in lesson.info.figures:
        lesson.save(Figure(), name)
    with pytest.raises(SystemExit):
        lesson.finish()
    assert "Next: python -m autoencoder_np lessons run 7" in capsys.readouterr().out


def test_lessons_command_runs_one_step_by_step(tmp_path: Path) -> None:
    result = _python(
        "-m", "autoencoder_np", "lessons", "run", "2", "--step", "--out", str(tmp_path), stdin="\n" * 50
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = f"running python -m lessons.02_dense_layer --step --out {tmp_path} (in {ROOT})\nLesson 2 · "
    assert result.stdout.startswith(expected)
    assert result.stdout.count("Enter: next step") == result.stdout.count("── Step ") - 1  # a pause after each step
    assert "self-checks passed" in result.stdout
    assert (tmp_path / "dense_gradcheck.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["42"], "there is no lesson 42"),
        (["7", "--data", "u.data"], "lesson 7 reads no data: --data is for lessons"),
        (["11", "--data", "nope.csv"], "--data nope.csv: no such file"),
    ],
)
def test_lessons_command_refuses_what_does_not_exist(options: list[str], message: str) -> None:
    result = _python("-m", "autoencoder_np", "lessons", "run", *options)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("autoencoder-np lessons: error: ")
    assert message in lines[0]


def test_find_by_number_and_name() -> None:
    assert find(8) is find("08_autoencoder_vs_pca")
    with pytest.raises(ValueError, match="numbered 1, 2, 3"):
        find(0)


def _movielens_file(tmp_path: Path) -> Path:
    """A MovieLens-100K-format u.data (user, item, rating, timestamp; tabs) written from synthetic ratings."""
    data = synthetic_ratings(120, 40, seed=3)
    rows = zip(data.user, data.item, data.rating, strict=True)
    lines = [f"{u + 1}\t{i + 1}\t{int(r)}\t{k}" for k, (u, i, r) in enumerate(rows)]
    path = tmp_path / "u.data"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_recommender_lessons_read_a_ratings_file_with_data(tmp_path: Path) -> None:
    path = _movielens_file(tmp_path)
    data = Lesson("10_recsys_explicit", ["--data", str(path)]).ratings(n_users=999)  # the file wins
    assert (data.n_users, data.n_items, data.source) == (120, 40, str(path))
    assert Lesson("11_recsys_implicit", []).ratings(n_users=50, n_items=20).n_users == 50  # synthetic by default
    with pytest.raises(SystemExit):  # argparse: a lesson that reads no data has no --data
        Lesson("02_dense_layer", ["--data", str(path)])
    result = _python(
        "-m", "autoencoder_np", "lessons", "run", "13", "--fast", "--data", "u.data", "--out", "figures", cwd=tmp_path
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert f"users × 40 items, density 0.4260, source={str(path)!r}), without item features" in result.stdout
    assert (tmp_path / "figures" / "epoch_cost.png").read_bytes()[:8] == PNG  # relative to where it was called


@pytest.mark.parametrize(
    ("lesson", "content", "message"),
    [
        ("11_recsys_implicit", None, "--data {path}: no such file"),
        ("11_recsys_implicit", "user,item\n1,2\n", "--data: {path}, line 1: expected 3 or 4 fields"),
        ("12_cold_start", "u.data", "lesson 12 needs item genres"),
    ],
)
def test_a_lesson_refuses_bad_data_with_one_line_and_exit_2(
    lesson: str, content: str | None, message: str, tmp_path: Path
) -> None:
    if content == "u.data":
        path = _movielens_file(tmp_path)
    else:
        path = tmp_path / "ratings.csv"
        if content is not None:
            path.write_text(content)
    result = _python(str(LESSONS / f"{lesson}.py"), "--fast", "--data", str(path), "--out", str(tmp_path))
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"python lessons/{lesson}.py: error: ")
    assert message.format(path=path) in lines[0]


def test_inside_a_notebook_options_come_from_the_environment(monkeypatch, tmp_path: Path, capsys) -> None:
    """In a Jupyter kernel the command line is the kernel's: a lesson reads AUTOENCODER_NP_LESSON_OPTIONS,
    does not pause, leaves the prose to the notebook, raises instead of exiting, and names the next lesson."""
    monkeypatch.setattr("autoencoder_np.lesson._in_notebook", lambda: True)
    monkeypatch.setenv(OPTIONS_VARIABLE, f"--fast --step --out {tmp_path}")
    lesson = Lesson("06_optimizers")
    assert (lesson.fast, lesson.step_mode, lesson.out) == (True, False, tmp_path)
    lesson.step()
    assert "Step 1" not in capsys.readouterr().out  # the notebook shows the markdown heading itself
    for name in lesson.info.figures:
        (tmp_path / name).write_bytes(PNG)
    lesson.finish()  # no SystemExit
    assert "Next: lesson 7, 07_gradient_checking." in capsys.readouterr().out
    with pytest.raises(ValueError, match="no such file"):
        Lesson("11_recsys_implicit", ["--data", str(tmp_path / "nope.csv")])
    failing = Lesson("02_dense_layer", ["--out", str(tmp_path)])
    failing.check("the sky is green", False)
    with pytest.raises(AssertionError, match="the sky is green"):
        failing.finish()


def test_lessons_run_from_an_assignment_workspace_use_the_workspace_package(tmp_path: Path) -> None:
    """``lessons run`` and the "Next:" line start lessons so that the package beside the lessons is imported."""
    _, teacher_folder = workspace.create(tmp_path / "student", ["dense"])
    run_two = ("-m", "autoencoder_np", "lessons", "run", "2", "--fast", "--out", "figures")
    student = _python(*run_two, cwd=tmp_path / "student")
    assert student.returncode == 1  # the student's dense.forward is not written yet: the workspace's copy ran
    assert "NotImplementedError: dense.forward" in student.stderr
    teacher = _python(*run_two, cwd=teacher_folder / "solutions")
    assert teacher.returncode == 0, teacher.stderr
    assert "Next: python -m lessons.03_activations" in teacher.stdout
    assert (teacher_folder / "solutions" / "figures" / "dense_gradcheck.png").is_file()
    by_path = _python("lessons/02_dense_layer.py", "--fast", "--out", "figures", cwd=tmp_path / "student")
    assert by_path.returncode == 0, by_path.stderr  # the installed package, complete: the lesson passes, but says so
    note = next(line for line in by_path.stdout.splitlines() if line.startswith("note: "))
    assert note.startswith("note: this lesson imported autoencoder_np from ")
    assert f"To run that copy: cd {tmp_path / 'student'} && python -m lessons.02_dense_layer" in note
    assert "Next: python -m lessons.03_activations" in by_path.stdout
