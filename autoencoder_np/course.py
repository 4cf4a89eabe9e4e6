"""The course as installed: where the lesson scripts are, and ``lessons copy DIR`` (a student's own copy).

The lessons have one source, the repository's ``lessons/`` folder. A wheel carries that folder inside the
package, as ``autoencoder_np/_course/lessons/`` (``setup.py`` maps it there), so ``pip install autoencoder_np``
brings the whole course. The folder a lesson command uses is the first of:

1. ``lessons/`` beside the package: a checkout (the editable install) or an assignment workspace, whose
   lessons must run with the package beside them;
2. ``lessons/`` in the current directory: a student's own copy (``lessons copy``), which ``lessons run``
   then runs from that directory;
3. the copy the wheel installed inside the package.

``lessons run`` starts a lesson as ``python -m lessons.NN_topic`` from the folder that holds ``lessons/``.
The installed copy sits alone in ``_course/`` for that reason: started there, a lesson finds the installed
package, and no module of the package shadows another top-level name.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: The folder inside the package that holds the course a wheel installs (a checkout has none).
COURSE_DIR = "_course"
#: Where a wheel installs the lessons, relative to the package.
INSTALLED = Path(COURSE_DIR) / "lessons"


def _holds_lessons(folder: Path) -> bool:
    """True when ``folder`` is a lessons folder (it has the index, ``README.md``, and a lesson script)."""
    return (folder / "README.md").is_file() and any(folder.glob("[0-9][0-9]_*.py"))


def lessons_folder(package: Path = PACKAGE, *, here: Path | None = None) -> Path:
    """The lessons folder for ``package``: beside it, else ``here/lessons`` (a student's copy), else installed in it.

    Args:
        package: the package directory (default: this one; an assignment passes the package it copies).
        here: the directory to look in for a student's copy; None skips it.

    Raises:
        FileNotFoundError: none of the three holds the lessons (a broken install).
    """
    candidates = [package.parent / "lessons"]
    candidates += [here / "lessons"] if here is not None else []
    candidates.append(package / INSTALLED)
    for candidate in candidates:
        if _holds_lessons(candidate):
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"the lessons are not installed with this autoencoder_np (looked in {looked}): "
        "reinstall it from a wheel or a checkout (pip install autoencoder_np)"
    )


def _course_files(source: Path) -> list[Path]:
    """Every file of the lessons folder, relative to it (no byte code, no ``__pycache__``)."""
    return sorted(
        file.relative_to(source)
        for file in source.rglob("*")
        if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc"
    )


def copy_lessons(target: Path, source: Path | None = None) -> list[Path]:
    """Copy the lessons folder into ``target`` (absent or empty: never overwrites); returns the files copied.

    Args:
        target: the new folder; a student's own copy, to read, run and edit.
        source: the lessons folder to copy (default :func:`lessons_folder` from the current directory).
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file: give a new folder for the lessons")
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty: give a new or empty folder (a copy never overwrites your edits)")
    source = lessons_folder(here=Path.cwd()) if source is None else source
    files = _course_files(source)
    for relative in files:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target / relative)
    return files


# The ``lessons copy`` command -----------------------------------------------------------------------------


def add_copy_parser(actions: argparse._SubParsersAction) -> None:
    """Register ``lessons copy [DIR]`` among the ``lessons`` command's actions."""
    copy = actions.add_parser(
        "copy",
        help="copy the lessons into DIR (default ./lessons), your own copy to run and edit",
        description="Copy the lesson scripts and their README into DIR, a new or empty folder.",
    )
    copy.add_argument("dir", nargs="?", type=Path, default=Path("lessons"), help="the new folder (default: lessons)")


def run_copy(args: argparse.Namespace) -> int:
    """``lessons copy DIR``: copy, then say how to run the copy."""
    source = lessons_folder(here=Path.cwd())
    files = copy_lessons(args.dir, source)
    scripts = sorted(f for f in files if f.suffix == ".py" and len(f.parts) == 1 and f.name[:2].isdigit())
    print(f"copied {len(scripts)} lessons ({len(files)} files) from {source} to {args.dir}/")
    if scripts:
        print(f"run one (it imports the installed autoencoder_np): python {args.dir / scripts[0]} [--step] [--fast]")
    if args.dir.resolve() == (Path.cwd() / "lessons").resolve():
        print("or, from this folder: python -m autoencoder_np lessons run 1 (it runs your copy in ./lessons)")
    return 0
