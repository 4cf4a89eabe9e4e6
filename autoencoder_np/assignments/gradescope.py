"""Gradescope: the autograder zip, and ``results.json`` in Gradescope's schema.

``assignment export gradescope TEACHER --out autograder.zip`` writes, at the zip's root (as Gradescope's
autograder specification asks):

- ``setup.sh``: run once when Gradescope builds the image: a venv in /autograder/venv, then the wheel of
  this package carried in the zip (autoencoder_np is not on PyPI), its dependencies (numpy, matplotlib)
  from PyPI;
- ``run_autograder``: run for each submission: grades /autograder/submission with the teacher folder and
  writes /autograder/results/results.json;
- ``teacher/``: the teacher folder's grading.json (with the hidden seeds) and starter/;
- ``wheels/``: the wheel. It is built from the package files this process runs, so it works the same from a
  checkout and from an installed wheel; ``--wheel`` takes one built elsewhere (``pip wheel --no-deps .``).

``results.json`` (:func:`results`): ``score``; one test per function, named ``<function> (<part>)``, its
points as ``score`` / ``max_score`` and in ``output`` each criterion, the diagnosis and hints of a failed
one; a function that fails hidden checks gets a second test, ``<function>: hidden checks``, worth 0 points,
with their details and the ``visibility`` asked for (``after_due_date`` by default), as otter-grader shows
hidden tests. The visible test says that hidden checks failed (its score shows it anyway).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import stat
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from .grading import TeacherFolder
from .results import JSON_SCHEMA, Grades, Score, fmt

PACKAGE = Path(__file__).resolve().parents[1]
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DEPENDENCIES = ("numpy>=1.23", "matplotlib>=3.5")  # when no installed metadata says otherwise
ENTRY_POINTS = "[console_scripts]\nautoencoder-np = autoencoder_np.cli:main\n"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (apt-get update has run).
set -euo pipefail
apt-get install -y python3 python3-venv python3-pip
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
# The grader, carried in this zip (it is not on PyPI); numpy and matplotlib come from PyPI.
/autograder/venv/bin/python -m pip install /autograder/source/wheels/*.whl
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT and AUTOGRADER_PYTHON let you try it elsewhere.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
exec "$PYTHON" -m autoencoder_np assignment grade "$ROOT/submission" --teacher "$ROOT/source/teacher" \\
    --gradescope "$ROOT/results/results.json" --hidden-visibility {visibility}
"""


# results.json -----------------------------------------------------------------------------------------------


def _visible_output(score: Score) -> str:
    lines = [
        f"{fmt(score.points)} / {fmt(score.max_points)}: {score.status}" + (f" ({score.file})" if score.file else "")
    ]
    if score.detail:
        lines.append(score.detail)
    for c in score.criteria:
        lines.append(f"{'✗' if c.failed_on else '✓'} {c.name}: {fmt(c.points)} / {fmt(c.max_points)}")
        if c.failed_on == "public" and not score.detail:
            lines += [f"    {text}" for text in c.why]
        elif c.failed_on == "hidden":
            lines.append(f"    passes the public checks, fails a hidden one ({c.case}); the details show later")
    return "\n".join(lines)


def results(grades: Grades, hidden_visibility: str = "after_due_date", seconds: float = 0.0) -> dict[str, Any]:
    """``grades`` in Gradescope's results.json schema (see the module docstring)."""
    tests: list[dict[str, Any]] = []
    for s in grades.scores:
        tests.append(
            {
                "name": f"{s.function} ({s.part})",
                "score": round(s.points, 4),
                "max_score": s.max_points,
                "status": "passed" if s.status == "correct" else "failed",
                "output": _visible_output(s),
                "visibility": "visible",
            }
        )
        hidden = [c for c in s.criteria if c.failed_on == "hidden"]
        if hidden:
            text = "\n".join(f"✗ {c.name}:\n" + "\n".join(f"    {t}" for t in c.why) for c in hidden)
            tests.append(
                {"name": f"{s.function}: hidden checks", "score": 0.0, "max_score": 0.0, "status": "failed",
                 "output": text, "visibility": hidden_visibility}
            )  # fmt: skip
    return {
        "score": round(grades.total, 4),
        "execution_time": round(seconds),
        "output": f"{grades.head}\n{grades.foot}",
        "stdout_visibility": "hidden",
        "extra_data": {"autoencoder_np": grades.version, "schema": JSON_SCHEMA},
        "tests": tests,
    }


# The wheel --------------------------------------------------------------------------------------------------


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _metadata(version: str) -> tuple[str, str]:
    """(METADATA, entry_points.txt): from the installed distribution's, or the essentials when pip never
    installed this copy."""
    try:
        installed = metadata.distribution("autoencoder_np")
        requires = [r for r in installed.requires or [] if "extra ==" not in r]
        summary = installed.metadata["Summary"] or ""
        license_ = installed.metadata["License"] or "MIT"
        entry_points = installed.read_text("entry_points.txt") or ENTRY_POINTS
    except metadata.PackageNotFoundError:
        requires, summary, license_, entry_points = list(DEPENDENCIES), "", "MIT", ENTRY_POINTS
    lines = ["Metadata-Version: 2.1", "Name: autoencoder_np", f"Version: {version}", f"Summary: {summary}"]
    lines += [f"License: {license_}", "Requires-Python: >=3.10", *(f"Requires-Dist: {r}" for r in requires)]
    return "\n".join(lines) + "\n", entry_points


def build_wheel(target: Path) -> Path:
    """A pure-Python wheel of the package this module belongs to, in ``target``; returns its path.

    Built from the files themselves plus the .dist-info a wheel needs (METADATA, WHEEL, entry_points.txt,
    RECORD), so it needs neither a checkout nor pip: the same from a source tree and from an installed wheel.
    """
    from .. import __version__

    name = f"autoencoder_np-{__version__.replace('-', '_')}"
    info = f"{name}.dist-info"
    files: list[tuple[str, bytes]] = [
        (f"autoencoder_np/{f.relative_to(PACKAGE).as_posix()}", f.read_bytes())
        for f in sorted(PACKAGE.rglob("*"))
        if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc"
    ]
    described, entry_points = _metadata(__version__)
    files += [
        (f"{info}/METADATA", described.encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: autoencoder_np\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{info}/entry_points.txt", entry_points.encode()),
        (f"{info}/top_level.txt", b"autoencoder_np\n"),
    ]
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    writer.writerows([(path, _record_hash(data), len(data)) for path, data in files])
    writer.writerow((f"{info}/RECORD", "", ""))
    target.mkdir(parents=True, exist_ok=True)
    wheel = target / f"{name}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as out:
        for path, data in [*files, (f"{info}/RECORD", record.getvalue().encode())]:
            out.writestr(path, data)
    return wheel


# The zip ----------------------------------------------------------------------------------------------------


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def export(teacher: Path, out: Path, *, wheel: Path | None = None, hidden_visibility: str = "after_due_date") -> Path:
    """Write the Gradescope autograder zip for the teacher folder ``teacher`` to ``out``."""
    if hidden_visibility not in VISIBILITIES:
        raise ValueError(f"hidden visibility must be one of {', '.join(VISIBILITIES)}, got {hidden_visibility!r}")
    folder = TeacherFolder(Path(teacher))
    folder.load()
    if wheel is not None and not (wheel.is_file() and wheel.suffix == ".whl"):
        raise FileNotFoundError(f"--wheel {wheel}: not a .whl file")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(archive, "run_autograder", RUN_AUTOGRADER.format(visibility=hidden_visibility).encode(), executable=True)
        _add(archive, "teacher/grading.json", folder.config.read_bytes())
        for file in sorted(folder.starter.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                _add(archive, f"teacher/{file.relative_to(folder.root).as_posix()}", file.read_bytes())
        if wheel is None:
            with tempfile.TemporaryDirectory() as scratch:
                built = build_wheel(Path(scratch))
                _add(archive, f"wheels/{built.name}", built.read_bytes())
        else:
            _add(archive, f"wheels/{wheel.name}", wheel.read_bytes())
    return out
