"""A class: grade-all over generated submissions into one gradebook, and the Gradescope autograder run as
Gradescope runs it (unzipped into an /autograder-like root, setup's network steps skipped)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_assignments import BIAS_WITHOUT_SUM, home, run, submission
from test_assignments_markers import ADAM_WITHOUT_BIAS_CORRECTION

from autoencoder_np import __version__
from autoencoder_np.assignments import workspace

PYTHON = sys.executable


@pytest.fixture(scope="module")
def dense_adam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The teacher folder of the parts dense (1 + 3 points) and adam (3 points)."""
    base = tmp_path_factory.mktemp("class")
    _, teacher = workspace.create(base / "hw", ["dense", "adam"], title="Backprop by hand")
    return teacher


def generate(teacher: Path, folder: Path) -> None:
    """Eight students: full marks, nothing, three planted bugs (one as a .zip), a file that does not parse,
    a crash and an endless loop, and a single-file upload."""
    submission(teacher, folder / "full")
    (folder / "empty").mkdir()
    submission(teacher, folder / "forward_without_bias", {"dense.forward": "return x @ W, cache"})
    zipped = submission(teacher, folder / "zipped", {"dense.backward": BIAS_WITHOUT_SUM})
    with zipfile.ZipFile(folder / "bias_without_sum.zip", "w") as archive:
        for file in sorted(zipped.rglob("*.py")):
            archive.write(file, file.relative_to(zipped).as_posix())
    shutil.rmtree(zipped)
    submission(teacher, folder / "adam_without_bias_correction", {"adam.step": ADAM_WITHOUT_BIAS_CORRECTION})
    submission(teacher, folder / "syntax_error", {"dense.forward": "return (x @ W"})
    submission(
        teacher,
        folder / "crash_and_endless_loop",
        {"dense.forward": "import os\n\nos._exit(3)", "adam.step": "while True:\n    pass"},
    )
    (folder / "single_file").mkdir()
    adam = Path(home(teacher, "adam.step"))
    shutil.copyfile(teacher / "solutions" / adam, folder / "single_file" / adam.name)


EXPECTED = """\
student,dense.forward,dense.backward,adam.step,total,max_total,percent,status,autoencoder_np
adam_without_bias_correction,1,3,0,4,7,57.1,graded,{v}
bias_without_sum,1,2,3,6,7,85.7,graded,{v}
crash_and_endless_loop,0,3,0,3,7,42.9,graded,{v}
empty,0,0,0,0,7,0.0,graded,{v}
forward_without_bias,0,3,3,6,7,85.7,graded,{v}
full,1,3,3,7,7,100.0,graded,{v}
single_file,0,0,3,3,7,42.9,graded,{v}
syntax_error,0,0,3,3,7,42.9,graded,{v}
"""


def test_grade_all_writes_the_expected_gradebook_and_feedback_and_exits_0(dense_adam: Path, tmp_path: Path) -> None:
    generate(dense_adam, tmp_path / "submissions")
    result = run(
        PYTHON, "-m", "autoencoder_np", "assignment", "grade-all", str(tmp_path / "submissions"),
        "--teacher", str(dense_adam), "--out", str(tmp_path / "gradebook.csv"),
        "--json", str(tmp_path / "gradebook.json"), "--timeout", "4", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("8 of 8 submissions graded in ")
    assert (tmp_path / "gradebook.csv").read_text() == EXPECTED.format(v=__version__)
    feedback = {p.name for p in (tmp_path / "feedback").iterdir()}
    assert feedback == {f"{row[0]}.{ext}" for row in csv.reader(io.StringIO(EXPECTED)) for ext in ("txt", "json")} - {
        "student.txt",
        "student.json",
    }
    dense, adam = home(dense_adam, "dense.forward"), home(dense_adam, "adam.step")
    loop = (tmp_path / "feedback" / "crash_and_endless_loop.txt").read_text()
    assert f"dense.forward ({dense}): 0 / 1, wrong\n    the check crashed (exit status 3)" in loop
    assert f"adam.step ({adam}): 0 / 3, wrong\n    stopped after 4 s (an endless loop?)" in loop
    syntax = (tmp_path / "feedback" / "syntax_error.txt").read_text()
    assert f"{dense} does not import: SyntaxError: '(' was never closed (at {dense}, line" in syntax
    bias = (tmp_path / "feedback" / "bias_without_sum.txt").read_text()
    assert "  ✗ dL/db: 0 / 1\n" in bias
    assert "[bias_sum]" in bias
    assert f"the submission has no {Path(dense).name}" in (tmp_path / "feedback" / "single_file.txt").read_text()
    for name, code in (("forward_without_bias", "[bias]"), ("adam_without_bias_correction", "[bias_correction]")):
        assert code in (tmp_path / "feedback" / f"{name}.txt").read_text(), name
    book = json.loads((tmp_path / "gradebook.json").read_text())
    assert (book["schema"], book["autoencoder_np"]) == ("autoencoder_np.gradebook/1", __version__)
    assert book["functions"] == {"dense.forward": 1, "dense.backward": 3, "adam.step": 3}
    assert {s["student"]: s["total"] for s in book["students"]}["bias_without_sum"] == 6


def test_grade_all_reports_a_submission_it_could_not_grade_and_exits_1(dense_adam: Path, tmp_path: Path) -> None:
    """A .zip that cannot be read is not graded (exit 1, said on stderr and in its row); the others are."""
    shutil.copytree(dense_adam / "solutions" / "autoencoder_np", tmp_path / "subs" / "alice" / "autoencoder_np")
    end_of_central_directory = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, 46, 0, 0)
    (tmp_path / "subs" / "bob.zip").write_bytes(end_of_central_directory)  # one entry, and nothing where it should be
    result = run(
        PYTHON, "-m", "autoencoder_np", "assignment", "grade-all", str(tmp_path / "subs"), "--teacher", str(dense_adam),
        "--out", str(tmp_path / "g.csv"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.startswith("1 of 2 submissions graded in ")
    assert result.stderr.startswith("bob: not graded: autoencoder-np assignment: error: ")
    assert "bob.zip is not a readable .zip" in result.stderr
    rows = (tmp_path / "g.csv").read_text().splitlines()
    assert rows[1] == f"alice,1,3,3,7,7,100.0,graded,{__version__}"
    assert rows[2].startswith("bob,,,,,7,,not graded: ")


# Gradescope ----------------------------------------------------------------------------------------------------

TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility"}
TOP |= {"stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags"}
TEST |= {"visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def validate_gradescope(results: dict) -> None:
    """results.json as Gradescope's autograder specification documents it."""
    assert set(results) <= TOP, set(results) - TOP
    assert "score" in results or all("score" in t for t in results["tests"])
    assert isinstance(results.get("score", 0), int | float)
    assert isinstance(results.get("execution_time", 0), int | float)
    assert results.get("visibility", "visible") in VISIBILITY
    assert results.get("stdout_visibility", "visible") in VISIBILITY
    assert isinstance(results.get("extra_data", {}), dict)
    for test in results["tests"]:
        assert set(test) <= TEST, set(test) - TEST
        assert isinstance(test["name"], str)
        assert isinstance(test["output"], str)
        assert isinstance(test["score"], int | float)
        assert isinstance(test["max_score"], int | float)
        assert 0 <= test["score"] <= test["max_score"] + 1e-9
        assert test.get("visibility", "visible") in VISIBILITY
        assert test.get("status", "passed") in ("passed", "failed")


def test_the_gradescope_autograder_runs_as_gradescope_runs_it(dense_adam: Path, tmp_path: Path) -> None:
    result = run(
        PYTHON, "-m", "autoencoder_np", "assignment", "export", "gradescope", str(dense_adam), "--out",
        str(tmp_path / "autograder.zip"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder", "teacher/grading.json"} <= set(names)  # at the zip's root
        assert not any(n.startswith("teacher/solutions") for n in names)
        for name in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(archive.getinfo(name).external_attr >> 16) == 0o755, name
        archive.extractall(root / "source")
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    setup = (root / "source" / "setup.sh").read_text()
    wheels = list((root / "source" / "wheels").glob("autoencoder_np-*-py3-none-any.whl"))
    assert len(wheels) == 1
    assert "pip install /autograder/source/wheels/*.whl" in setup
    # setup.sh's network steps (apt, PyPI) are skipped: numpy is here; the wheel installs offline.
    target = tmp_path / "site"
    installed = run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--target",
        str(target),
        str(wheels[0]),
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr
    assert (target / "autoencoder_np" / "assignments" / "reference.py").is_file()
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    # The student uploads their package folder: dense.backward without the bias sum, dense.forward in float64
    # whatever the layer's dtype (which only the hidden float32 check sees).
    forward = "return x.astype(np.float64) @ W.astype(np.float64) + b, cache"
    package = submission(
        dense_adam, tmp_path / "upload", {"dense.backward": BIAS_WITHOUT_SUM, "dense.forward": forward}
    )
    shutil.copytree(package, root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": PYTHON, "PYTHONPATH": str(target)}
    done = subprocess.run(
        ["bash", str(root / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    where = subprocess.run(
        [PYTHON, "-c", "import autoencoder_np; print(autoencoder_np.__file__)"], cwd=root, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(target))  # run_autograder graded with the wheel's package
    results = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(results)
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    tests = {t["name"]: t for t in results["tests"]}
    assert list(tests) == [
        "dense.forward (dense)",
        "dense.forward: hidden checks",
        "dense.backward (dense)",
        "adam.step (adam)",
    ]
    assert (tests["dense.backward (dense)"]["score"], tests["dense.backward (dense)"]["max_score"]) == (2, 3)
    assert "✗ dL/db: 0 / 1" in tests["dense.backward (dense)"]["output"]
    assert "[bias_sum]" in tests["dense.backward (dense)"]["output"]
    assert "fails a hidden one (a float32 layer" in tests["dense.forward (dense)"]["output"]
    hidden = tests["dense.forward: hidden checks"]
    assert (hidden["visibility"], hidden["max_score"]) == ("after_due_date", 0)
    assert "y has dtype float64, expected float32" in hidden["output"]
    assert results["score"] == 5
    assert results["extra_data"]["autoencoder_np"] == __version__
