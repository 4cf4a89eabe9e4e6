"""Where the lessons are found (beside the package, a student's copy, the copy a wheel installs) and ``lessons
copy``: every file, never over a student's edits. The installed wheel itself: tests/test_distribution.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import autoencoder_np
from autoencoder_np import course
from autoencoder_np.cli import main
from autoencoder_np.lesson import CURRICULUM, lessons_dir


def _lessons(folder: Path, marker: str) -> Path:
    """A lessons folder: an index and one script, each holding ``marker``."""
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(f"# Lessons {marker}\n")
    (folder / "01_first.py").write_text(f"print({marker!r})\n")
    return folder


def test_the_lessons_of_this_install_are_found_from_any_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = lessons_dir()
    package = Path(autoencoder_np.__file__).resolve().parent
    assert folder in (package.parent / "lessons", package / course.INSTALLED)  # a checkout, or a wheel
    assert {f"{info.name}.py" for info in CURRICULUM} <= {path.name for path in folder.iterdir()}


def test_beside_the_package_wins_then_a_students_copy_then_the_installed_one(tmp_path: Path) -> None:
    package = tmp_path / "site" / "autoencoder_np"
    installed = _lessons(package / course.INSTALLED, "installed")
    here = tmp_path / "home"
    here.mkdir()
    assert course.lessons_folder(package, here=here) == installed
    assert course.lessons_folder(package) == installed
    mine = _lessons(here / "lessons", "mine")
    assert course.lessons_folder(package, here=here) == mine
    assert course.lessons_folder(package) == installed  # no here: no student's copy (assignment create)
    beside = _lessons(package.parent / "lessons", "checkout")
    assert course.lessons_folder(package, here=here) == beside


def test_a_folder_without_the_index_and_a_script_is_not_the_lessons(tmp_path: Path) -> None:
    package = tmp_path / "autoencoder_np"
    (package.parent / "lessons").mkdir(parents=True)
    (package.parent / "lessons" / "README.md").write_text("someone else's lessons/, no scripts\n")
    installed = _lessons(package / course.INSTALLED, "installed")
    assert course.lessons_folder(package) == installed
    with pytest.raises(FileNotFoundError, match=r"the lessons are not installed with this autoencoder_np \(looked in"):
        course.lessons_folder(tmp_path / "elsewhere" / "autoencoder_np", here=tmp_path / "nowhere")


def test_copy_takes_every_file_but_byte_code_and_never_overwrites(tmp_path: Path) -> None:
    source = _lessons(tmp_path / "source", "x")
    (source / "data").mkdir()
    (source / "data" / "table.csv").write_text("a,b\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "01_first.cpython-311.pyc").write_bytes(b"\0")
    files = course.copy_lessons(tmp_path / "copy", source)
    assert [path.as_posix() for path in files] == ["01_first.py", "README.md", "data/table.csv"]
    for relative in files:
        assert (tmp_path / "copy" / relative).read_bytes() == (source / relative).read_bytes()
    assert not (tmp_path / "copy" / "__pycache__").exists()
    (tmp_path / "copy" / "01_first.py").write_text("my edits\n")
    with pytest.raises(FileExistsError, match="is not empty: give a new or empty folder"):
        course.copy_lessons(tmp_path / "copy", source)
    assert (tmp_path / "copy" / "01_first.py").read_text() == "my edits\n"
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError, match="is a file"):
        course.copy_lessons(tmp_path / "file", source)


def test_lessons_copy_command_copies_the_course_and_says_how_to_run_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    source = lessons_dir()
    assert main(["lessons", "copy"]) == 0
    out = capsys.readouterr().out
    copied = sorted(path.relative_to(tmp_path / "lessons") for path in (tmp_path / "lessons").rglob("*"))
    assert copied == sorted(path.relative_to(source) for path in source.rglob("*") if "__pycache__" not in path.parts)
    assert {f"{info.name}.py" for info in CURRICULUM} | {"README.md"} <= {path.name for path in copied}
    assert f"copied {len(CURRICULUM)} lessons" in out
    assert "python lessons/01_founding_example.py [--step] [--fast]" in out
    assert "python -m autoencoder_np lessons run 1 (it runs your copy in ./lessons)" in out
    assert main(["lessons", "copy", "lessons"]) == 2  # a second copy would overwrite the first: refused
    err = capsys.readouterr().err
    assert err.startswith("autoencoder-np lessons: error: lessons is not empty")
    assert err.count("\n") == 1
