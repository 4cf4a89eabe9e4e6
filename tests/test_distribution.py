"""The distribution: the sdist holds every file the wheel is built from, the wheel carries every lesson, and
a wheel installed in a fresh venv outside the checkout runs the course (``lessons run``, ``lessons copy``,
``demo``, ``gradcheck``, ``assignment create``) in any folder.

Building the wheel takes a while, so one module-scoped fixture builds the sdist and the wheel from it
(``python -m build``) and another installs the wheel once. The module is marked ``distribution`` and skips
unless ``build`` is installed (``pip install build``) or ``AUTOENCODER_NP_DIST`` names a folder holding one
sdist and one wheel that ``python -m build`` made (what ``.ci/run`` does: it builds them once for every step).

The venv is made without pip and sees the NumPy and matplotlib of the environment running the tests through
a ``.pth`` line (a folder named there is searched, but its own ``.pth`` files are not run, so an editable
install there stays out of sight): the wheel itself is what is tested, in a second. ``.ci/run`` installs
the wheel with its dependencies from the package index as well, in fresh venvs of its own.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

import autoencoder_np
from autoencoder_np.lesson import CURRICULUM

pytestmark = pytest.mark.distribution

ROOT = Path(__file__).resolve().parents[1]
INSTALLED = "autoencoder_np/_course/lessons"
# One BLAS thread, no user site-packages, no PYTHONPATH: the venv sees only what the test gives it.
ENV = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PYTHONHOME"}}
ENV |= {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg"}


class Dist(NamedTuple):
    sdist: Path
    wheel: Path


class Venv(NamedTuple):
    python: Path
    site_packages: Path
    home: Path  # an empty folder outside the checkout, where the commands run


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {[path.name for path in found]}"
    return found[0]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The sdist and the wheel built from it: ``$AUTOENCODER_NP_DIST``, else ``python -m build`` of the checkout."""
    given = os.environ.get("AUTOENCODER_NP_DIST")
    if given:
        folder = Path(given)
    else:
        if not (ROOT / "setup.py").is_file():
            pytest.skip("not a checkout: there is nothing to build (set AUTOENCODER_NP_DIST to test built files)")
        pytest.importorskip("build", reason="building the wheel needs `pip install build`")
        folder = tmp_path_factory.mktemp("dist")
        built = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(folder), str(ROOT)],
            capture_output=True, text=True, timeout=600, check=False, env=ENV,
        )  # fmt: skip
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return Dist(_one(folder, "autoencoder_np-*.tar.gz"), _one(folder, "autoencoder_np-*-py3-none-any.whl"))


@pytest.fixture(scope="module")
def venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh venv outside the checkout with the wheel installed (its dependencies seen through a .pth line)."""
    root = tmp_path_factory.mktemp("wheel_venv")
    assert ROOT not in root.parents
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True, env=ENV, timeout=60,
    ).stdout.strip()  # fmt: skip
    site_packages = Path(purelib)
    (site_packages / "dependencies_under_test.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", str(dist.wheel)],
        capture_output=True, text=True, timeout=300, check=False, env=ENV,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    home = root / "home"
    home.mkdir()
    return Venv(python, site_packages, home)


def _run(venv: Venv, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python args`` in the venv, from ``cwd`` (default: its empty home folder), stdin closed."""
    return subprocess.run(
        [str(venv.python), *args], cwd=cwd or venv.home, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, check=False, env=ENV,
    )  # fmt: skip


def _tracked(*folders: str) -> list[str]:
    """The files git tracks under ``folders`` of the checkout; skips the test outside a git checkout."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    listed = subprocess.run(
        ["git", "ls-files", "--", *folders], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return listed.stdout.split()


def test_the_wheel_carries_every_lesson_and_every_file_of_the_package(dist: Dist) -> None:
    version = autoencoder_np.__version__
    assert dist.wheel.name == f"autoencoder_np-{version}-py3-none-any.whl"
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"autoencoder_np-{version}.dist-info/METADATA").decode()
    for info in CURRICULUM:
        assert f"{INSTALLED}/{info.name}.py" in names
    assert f"{INSTALLED}/README.md" in names
    assert f"Version: {version}\n" in metadata
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    tops = {name.split("/")[0] for name in names}
    assert tops == {"autoencoder_np", f"autoencoder_np-{version}.dist-info"}  # no top-level lessons/, tests/
    source = _tracked("autoencoder_np", "lessons")
    expected = {re.sub(r"^lessons/", f"{INSTALLED}/", path) for path in source}
    assert not sorted(expected - names), "tracked files missing from the wheel (setup.py, MANIFEST.in)"


def test_the_sdist_holds_everything_the_wheel_is_built_from(dist: Dist) -> None:
    prefix = dist.sdist.name.removesuffix(".tar.gz") + "/"
    with tarfile.open(dist.sdist) as sdist:
        names = {member.name.removeprefix(prefix) for member in sdist.getmembers() if member.isfile()}
    assert {"pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "CHANGELOG.md"} <= names
    missing = sorted(set(_tracked("autoencoder_np", "lessons", "tests", "docs")) - names)
    assert not missing, "tracked files missing from the sdist (MANIFEST.in)"
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_installed_package_is_the_wheel_outside_the_checkout(venv: Venv) -> None:
    found = _run(venv, "-c", "import autoencoder_np; print(autoencoder_np.__file__, autoencoder_np.__version__)")
    assert found.returncode == 0, found.stderr
    file, version = found.stdout.split()
    assert Path(file) == venv.site_packages / "autoencoder_np" / "__init__.py"
    assert version == autoencoder_np.__version__
    shown = _run(venv, "-m", "autoencoder_np", "--version")
    assert shown.stdout == f"autoencoder_np {autoencoder_np.__version__}\n"


def test_a_lesson_runs_from_the_wheel_in_any_folder(venv: Venv) -> None:
    result = _run(venv, "-m", "autoencoder_np", "lessons", "run", "1", "--fast")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert f"(in {venv.site_packages / 'autoencoder_np' / '_course'})" in result.stdout
    assert re.search(
        r"All \d+ self-checks passed in [\d.]+ s. Next: python -m autoencoder_np lessons run 2", result.stdout
    )
    figures = venv.home / "lesson_output" / "01_founding_example"
    assert sorted(path.name for path in figures.iterdir()) == sorted(CURRICULUM[0].figures)


def test_lessons_copy_gives_a_student_a_copy_that_runs(venv: Venv) -> None:
    copied = _run(venv, "-m", "autoencoder_np", "lessons", "copy", "course")
    assert copied.returncode == 0, copied.stderr
    installed = venv.site_packages / INSTALLED
    names = sorted(path.name for path in (venv.home / "course").iterdir())
    assert names == sorted(path.name for path in installed.iterdir() if path.name != "__pycache__")
    for name in names:
        assert (venv.home / "course" / name).read_bytes() == (installed / name).read_bytes()
    again = _run(venv, "-m", "autoencoder_np", "lessons", "copy", "course")
    assert again.returncode == 2
    assert again.stderr.startswith("autoencoder-np lessons: error: course is not empty")
    lesson = _run(venv, "course/02_dense_layer.py", "--fast", "--out", "figures")
    assert lesson.returncode == 0, lesson.stdout[-3000:] + lesson.stderr
    assert re.search(r"All \d+ self-checks passed", lesson.stdout)


def test_demo_and_gradcheck_run_from_the_wheel(venv: Venv) -> None:
    demo = _run(venv, "-m", "autoencoder_np", "demo", "--epochs", "20", "--every", "10", "--out", "demo")
    assert demo.returncode == 0, demo.stderr
    assert "gradient check PASS" in demo.stdout
    assert (venv.home / "demo" / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    gradcheck = _run(venv, "-m", "autoencoder_np", "gradcheck")
    assert gradcheck.returncode == 0, gradcheck.stdout[-3000:] + gradcheck.stderr
    assert "Dense" in gradcheck.stdout


def test_assignment_create_from_the_wheel_hands_out_the_lessons(venv: Venv) -> None:
    created = _run(venv, "-m", "autoencoder_np", "assignment", "create", "hw1", "--parts", "dense")
    assert created.returncode == 0, created.stderr
    workspace = venv.home / "hw1"
    lessons = {path.name for path in (workspace / "lessons").iterdir()}
    assert {f"{info.name}.py" for info in CURRICULUM} | {"README.md"} <= lessons
    assert not (workspace / "autoencoder_np" / "_course").exists()  # one copy of the lessons: lessons/
    starter = "".join(path.read_text() for path in (workspace / "autoencoder_np").rglob("*.py"))
    assert starter.count("raise NotImplementedError(") >= 2  # dense.forward, dense.backward
    assert "dense.forward: " in starter
    assert f"- `python -m lessons.{CURRICULUM[0].name}`" in (workspace / "README.md").read_text()
