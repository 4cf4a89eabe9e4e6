"""``assignment create``: a student handout and, apart from it, a teacher folder, made from the package itself.

The handout (give it to the students)::

    autoencoder_np/     the package; each assigned function raises NotImplementedError("<id>: <hint>"),
                        and the textbook kernels are the default (the student's functions are what trains).
                        No working copy of an assigned function: its region is stripped (and its fast twin
                        with it), and the grader's reference (assignments/reference.py) is left out.
    lessons/            every lesson script (lessons/ beside the package, or inside it from a wheel), and
                        its README
    grade.py            the self-check: the public checks only
    public_checks.npz   the public cases and what they should give (numbers, no code)
    assignment.json     title, points, shares, the public seed: what the self-check shows
    README.md           what to implement (file, function, points), how to check, how grading works
    ruff.toml           the project's lint settings

The teacher folder (keep it; never hand it out)::

    grading.json        points, shares, the public and the hidden seeds, the time limit: what `grade` reads
    starter/            the handout's package as handed out: the clean copy submissions are laid over
    solutions/          the package with every solution (textbook kernels by default), and the lessons
    README.md           the teacher's commands: one student, a class, Gradescope
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from .. import course
from . import readmes
from .catalogue import PARTS
from .config import HANDOUT_FILE, Config
from .grading import TeacherFolder
from .markers import package_regions, strip
from .selfcheck import PUBLIC_FILE, save_public

PACKAGE = Path(__file__).resolve().parents[1]  # the package this module belongs to
LESSON_FILES = ("*.py", "README.md")
TEACHER_ONLY = ("assignments/reference.py",)  # working copies of the assigned forwards and of Adam
HANDOUT_FILES = ("grade.py", "README.md", HANDOUT_FILE, PUBLIC_FILE, "ruff.toml")

#: The project's lint settings (pyproject.toml [tool.ruff]), so ``ruff check .`` in a handout judges the
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


def _copy_package(source: Path, target: Path, strip_ids: frozenset[str], *, handout: bool) -> None:
    """Copy the package through ``markers.strip``: the regions ``strip_ids`` (and their fast twins) go, and
    the copy runs the textbook kernels (also the solutions' copy, with no ids). A ``handout`` copy also leaves
    out TEACHER_ONLY."""
    for file in sorted(source.rglob("*")):
        relative = file.relative_to(source)
        if "__pycache__" in relative.parts or file.is_dir() or file.suffix == ".pyc":
            continue
        if handout and relative.as_posix() in TEACHER_ONLY:
            continue
        if relative.parts[0] == course.COURSE_DIR:  # the lessons a wheel installs: the workspace has lessons/
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if file.suffix == ".py":
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


def _refuse(directory: Path, force: bool) -> None:
    """Raise unless ``directory`` is absent, empty, or a directory ``force`` lets create write into."""
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{directory} is a file, not a directory")
    if directory.exists() and any(directory.iterdir()) and not force:
        raise FileExistsError(f"{directory} is not empty: choose a new directory, or pass --force to overwrite")


def _prepare(directory: Path, owned: tuple[str, ...]) -> None:
    """``directory`` made, without what an earlier create wrote there (``owned``)."""
    for name in owned:
        path = directory / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def default_teacher(handout: Path) -> Path:
    """Where the teacher folder goes unless told: beside the handout, ``<handout>-teacher``."""
    return handout.parent / f"{handout.name}-teacher"


def create(
    handout: Path,
    parts: list[str],
    *,
    title: str = "",
    teacher: Path | None = None,
    force: bool = False,
    source: Path = PACKAGE,
) -> tuple[Config, Path]:
    """Write the handout for ``parts`` into ``handout`` and the teacher folder (see the module docstring).

    Both must be empty or absent; ``force`` replaces what an earlier ``create`` wrote and leaves other files
    alone. ``source``: the package to copy (its parent may hold ``lessons/``). Returns the teacher's config
    and the teacher folder.
    """
    from .. import __version__

    handout = Path(handout)
    teacher = default_teacher(handout) if teacher is None else Path(teacher)
    inside = [
        (a, b)
        for a, b in ((teacher, handout), (handout, teacher))
        if b.resolve() in [a.resolve(), *a.resolve().parents]
    ]
    if inside:
        raise ValueError(
            f"the teacher folder {teacher} and the handout {handout} must be apart, not one inside the other"
        )
    unknown = [name for name in parts if name not in PARTS]
    if unknown or not parts:
        raise ValueError(f"unknown part(s) {unknown or '(none)'}; the parts are {', '.join(PARTS)}")
    for folder in (handout, teacher):
        _refuse(folder, force)
    regions = package_regions(source)
    functions = [f for name in parts for f in PARTS[name].points]
    missing = [f for f in functions if f not in regions]
    if missing:
        raise ValueError(f"{source} has no solution region for {', '.join(missing)}")
    _prepare(handout, ("autoencoder_np", "lessons", *HANDOUT_FILES))
    _prepare(teacher, ("starter", "solutions", "grading.json", "README.md"))
    seeds = [secrets.randbelow(2**32) for _ in range(3)]  # the public one, then two hidden ones
    config = Config.default(parts, title or f"autoencoder_np: {', '.join(parts)}", seeds, __version__, regions)
    folder = TeacherFolder(teacher)
    _copy_package(source, folder.solutions / "autoencoder_np", frozenset(), handout=False)
    _copy_lessons(course.lessons_folder(source), folder.solutions / "lessons")
    _copy_package(source, folder.starter / "autoencoder_np", frozenset(functions), handout=True)
    config.save(folder.config)
    (teacher / "README.md").write_text(readmes.teacher(config, handout, teacher), encoding="utf-8")
    shutil.copytree(folder.starter / "autoencoder_np", handout / "autoencoder_np")
    lessons = _copy_lessons(course.lessons_folder(source), handout / "lessons")
    save_public(handout / PUBLIC_FILE, config)
    config.for_students().save(handout / HANDOUT_FILE)
    (handout / "grade.py").write_text(readmes.GRADE_PY, encoding="utf-8")
    (handout / "README.md").write_text(readmes.student(config, lessons), encoding="utf-8")
    (handout / "ruff.toml").write_text(RUFF_TOML, encoding="utf-8")
    return config, teacher
