"""A submission as students make it: a whole workspace, the package folder, a few files, or a .zip of any.

Only the files that hold the assigned functions are taken (which files: the teacher's config, written from
``markers.package_regions`` when the handout was made). Each is found by the longest tail of its path the
submission has: ``autoencoder_np/textbook/dense.py``, else ``textbook/dense.py``, else ``dense.py``
anywhere (the shallowest wins). A function whose file is absent is "not submitted". Symbolic links, hidden
files and anything else are ignored: nothing a student adds changes what runs.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

IGNORED = {"__pycache__", "__MACOSX", ".git", ".venv", "node_modules"}
MAX_FILE_BYTES = 2_000_000  # a source file larger than this is not a student's homework
MAX_ZIP_BYTES = 200_000_000  # what a .zip may unpack to


@dataclass(frozen=True)
class Found:
    """A file the grader takes: ``source`` in the submission, shown to the student as ``display``."""

    source: Path
    display: str


def regular_files(root: Path) -> list[PurePosixPath]:
    """Every regular file under ``root`` (relative, POSIX), without following links or entering IGNORED."""
    found = []
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        subdirectories[:] = sorted(d for d in subdirectories if d not in IGNORED and not d.startswith("."))
        for name in sorted(files):
            path = Path(directory) / name
            if name.startswith(".") or not stat.S_ISREG(path.lstat().st_mode):
                continue
            found.append(PurePosixPath(path.relative_to(root).as_posix()))
    return found


def locate(root: Path, needed: list[str]) -> dict[str, Found | None]:
    """Each needed path ("autoencoder_np/textbook/dense.py") -> the submission's file for it, or None."""
    files = regular_files(root) if root.is_dir() else []
    located: dict[str, Found | None] = {}
    for path in needed:
        parts = PurePosixPath(path).parts
        located[path] = None
        for tail in range(len(parts), 0, -1):
            matches = [f for f in files if f.parts[-tail:] == parts[-tail:]]
            if matches:
                best = min(matches, key=lambda f: (len(f.parts), str(f)))
                if (root / best).stat().st_size <= MAX_FILE_BYTES:
                    located[path] = Found(root / best, best.as_posix())
                break
    return located


def unpack(archive: Path, target: Path) -> Path:
    """The .py files of a .zip, extracted safely into ``target`` (no absolute paths, no "..", no links)."""
    with zipfile.ZipFile(archive) as zipped:
        members = [
            m
            for m in zipped.infolist()
            if m.filename.endswith(".py")
            and not m.is_dir()
            and not stat.S_ISLNK(m.external_attr >> 16)
            and not PurePosixPath(m.filename).is_absolute()
            and ".." not in PurePosixPath(m.filename).parts
            and not IGNORED & set(PurePosixPath(m.filename).parts)
        ]
        if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
            raise ValueError(f"{archive}: its .py files unpack to more than {MAX_ZIP_BYTES // 1_000_000} MB")
        for member in members:
            destination = target / member.filename
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as source, destination.open("wb") as out:
                shutil.copyfileobj(source, out)
    return target


def as_directory(submission: Path, scratch: Path) -> Path:
    """A directory holding the submission: itself, a .zip unpacked, or a single file alone in a folder."""
    if submission.is_dir():
        return submission
    if not submission.is_file():
        raise FileNotFoundError(f"submission {submission} not found")
    if zipfile.is_zipfile(submission):
        try:
            return unpack(submission, scratch / "unpacked")
        except (zipfile.BadZipFile, EOFError) as err:
            raise ValueError(f"{submission} is not a readable .zip ({err})") from None
    single = scratch / "single"
    single.mkdir()
    shutil.copyfile(submission, single / submission.name)
    return single
