"""The course site: every lesson executed as a notebook in a real Jupyter kernel, and written as HTML.

``python -m autoencoder_np lessons build --out DIR`` reads each lesson script as a notebook (jupytext: the
percent cells become the notebook's cells, nothing is copied), runs it top to bottom in a fresh kernel
(nbclient) from the folder that holds ``lessons/`` (so the kernel imports the package beside the lessons,
as ``lessons run`` does), with the lesson's options (``--out DIR/NN_topic``, and ``--fast`` under
``--fast``) in the environment variable ``AUTOENCODER_NP_LESSON_OPTIONS``, and writes::

    DIR/NN_topic.ipynb    the executed notebook, with its outputs and figures
    DIR/NN_topic.html     the same as a static page (nbconvert's lab template)
    DIR/NN_topic/         the figures the lesson saved
    DIR/index.html        the lessons in order, with the times and exercises of lessons/README.md

Every page names the autoencoder_np version that made it. A lesson fails the build when a cell raises,
when fewer figures show inline than the lesson promises, or when a cell shows a stray object (an ``Out``
value, ``<Figure …>``, ``PosixPath(…)``) or writes to stderr. The build prints one line per lesson (steps,
explanations, inline figures, execution time) and returns 1 when any lesson failed. It needs the
``notebooks`` extra (jupytext, nbclient, nbconvert, ipykernel), never a run-time dependency.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import re
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .curriculum import CURRICULUM, LessonInfo, find
from .lesson import OPTIONS_VARIABLE, lessons_dir

#: What ``lessons build`` needs: the ``notebooks`` extra of pyproject.toml.
NOTEBOOK_TOOLS = ("jupytext", "nbclient", "nbconvert", "ipykernel")
_STRAY = re.compile(r"<(?:matplotlib\.figure\.)?Figure size|PosixPath\(")
_TABLE_ROW = re.compile(r"^\| (\d+) \| \[[^\]]+\]\([^)]+\) \| (.+) \| \d+ min \|$")
_EXERCISE = re.compile(r"^(\d+)\. \*\*[^*]+\*\* ")
_PART = re.compile(r" \(([b-z])\) ")  # "(a) … (b) …": one list item per part


@dataclass
class LessonRun:
    """One lesson executed as a notebook: what it showed, how long it took, and what went wrong."""

    info: LessonInfo
    steps: int = 0
    explanations: int = 0
    figures: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The build log's line for this lesson."""
        verdict = "ok" if not self.problems else "FAILED: " + "; ".join(self.problems)
        return (
            f"{self.info.number:>2} {self.info.name:<22} {self.steps:>2} steps, {self.explanations:>2} explanations, "
            f"{self.figures}/{len(self.info.figures)} figures inline, {self.seconds:5.1f} s  {verdict}"
        )


def build(numbers: Sequence[int], out: Path, *, fast: bool, timeout: float = 900.0) -> int:
    """Execute the lessons ``numbers`` (all when empty) as notebooks and write the site into ``out``.

    Returns the exit status: 0 when every lesson ran clean and showed its figures inline, else 1.
    """
    missing = [name for name in NOTEBOOK_TOOLS if importlib.util.find_spec(name) is None]
    if missing:
        raise ValueError(
            f"lessons build needs {', '.join(missing)} (the notebooks extra): pip install 'autoencoder_np[notebooks]'"
            " (in a checkout: pip install -e '.[notebooks]')"
        )
    infos = sorted({find(number) for number in numbers}, key=lambda info: info.number) if numbers else CURRICULUM
    folder = lessons_dir()
    out.mkdir(parents=True, exist_ok=True)
    sizes = "--fast sizes" if fast else "full sizes"
    print(f"executing {len(infos)} lessons as notebooks (nbclient, a fresh kernel each) at {sizes} into {out}/")
    start = time.perf_counter()
    runs = []
    for position, info in enumerate(infos):
        notebook, run = execute(folder / f"{info.name}.py", info, out, fast=fast, timeout=timeout)
        neighbours = (
            infos[position - 1] if position else None,
            infos[position + 1] if position + 1 < len(infos) else None,
        )
        write_page(notebook, run, out, neighbours, sizes)
        runs.append(run)
        print(run.line(), flush=True)
    seconds = time.perf_counter() - start
    write_index(runs, out, (folder / "README.md").read_text(encoding="utf-8"), sizes, seconds)
    failed = [run.info.number for run in runs if run.problems]
    figures = sum(run.figures for run in runs)
    print(
        f"{len(runs)} notebooks executed in {seconds:.0f} s, {figures} figures inline, "
        f"{len(failed)} failed{f' (lessons {failed})' if failed else ''}; site: {out / 'index.html'}"
    )
    return 1 if failed else 0


def execute(script: Path, info: LessonInfo, out: Path, *, fast: bool, timeout: float) -> tuple[Any, LessonRun]:
    """Run ``script`` as a notebook in a fresh kernel; returns the executed notebook and what it showed."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = jupytext.read(script)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    options = ["--out", str((out / info.name).resolve()), *(["--fast"] if fast else [])]
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not the kernel's start-up chatter in the build log
        shutdown_kernel="immediate",  # the notebook is done: a graceful shutdown only waits (seconds a lesson)
        resources={"metadata": {"path": str(script.parent.parent)}},
    )
    run = LessonRun(info)
    start = time.perf_counter()
    try:
        client.execute(env={**os.environ, OPTIONS_VARIABLE: shlex.join(options)})
    except CellExecutionError as err:
        run.problems.append(f"a cell raised {err.ename}: {err.evalue}")
    run.seconds = time.perf_counter() - start
    tally(notebook, run)
    return notebook, run


def tally(notebook: Any, run: LessonRun) -> None:
    """Count ``run``'s steps, explanations and inline figures in the executed ``notebook``; note its problems."""
    previous = None
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code" and "lesson.step()" in cell.source:
            run.steps += 1
            run.explanations += previous is not None and previous.cell_type == "markdown"
        previous = cell
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                run.figures += 1
            elif output.output_type == "execute_result":
                run.problems.append(f"cell {number} shows a stray object: {output.data.get('text/plain', '')[:60]}")
            elif output.output_type == "stream" and output.name == "stderr":
                run.problems.append(f"cell {number} wrote to stderr: {output.text.strip()[:80]}")
            elif output.output_type == "stream" and _STRAY.search(output.text):
                run.problems.append(f"cell {number} prints a stray object: {_STRAY.search(output.text)[0]}")
    if run.figures < len(run.info.figures):
        run.problems.append(f"{run.figures} of the {len(run.info.figures)} promised figures showed inline")


def write_page(
    notebook: Any, run: LessonRun, out: Path, neighbours: tuple[LessonInfo | None, LessonInfo | None], sizes: str
) -> None:
    """Write the executed notebook and its HTML page, with the version and links to the index and neighbours."""
    import nbformat

    before, after = neighbours
    links = ["[all lessons](index.html)"]
    links += [f"[← lesson {before.number}]({before.name}.html)"] if before else []
    links += [f"[lesson {after.number} →]({after.name}.html)"] if after else []
    links += [f"[the notebook]({run.info.name}.ipynb)"]
    stamp = f"autoencoder_np {__version__} · executed at {sizes} in {run.seconds:.1f} s"
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(f"{' · '.join(links)}  \n<small>{stamp}</small>"))
    notebook.cells.append(
        nbformat.v4.new_markdown_cell(
            f"{' · '.join(links)}  \n<small>{stamp}; built by `python -m autoencoder_np lessons build` from "
            f"`lessons/{run.info.name}.py`</small>"
        )
    )
    nbformat.write(notebook, out / f"{run.info.name}.ipynb")
    _write_html(notebook, out / f"{run.info.name}.html", f"Lesson {run.info.number} · {run.info.title}")


def write_index(runs: Sequence[LessonRun], out: Path, readme: str, sizes: str, seconds: float) -> None:
    """Write ``out/index.html``: the lessons in order, each with its time, what it teaches, its exercises."""
    import nbformat

    learn = {int(m[1]): m[2] for m in map(_TABLE_ROW.match, readme.splitlines()) if m}
    exercises = _exercises(readme)
    intro = readme.partition("\n## ")[0].partition("\n")[2].strip()
    date = datetime.date.today().isoformat()
    contents = "\n".join(
        f"| {run.info.number} | [{run.info.title}]({run.info.name}.html) | {run.info.minutes} min |" for run in runs
    )
    cells = [
        f"# autoencoder_np · the lessons\n\n{intro}\n\n<small>autoencoder_np {__version__} · built {date} by "
        f"`python -m autoencoder_np lessons build`: {len(runs)} lessons executed as notebooks at {sizes} in "
        f"{seconds:.0f} s</small>\n\n| # | lesson | time |\n|---|---|---|\n{contents}"
    ]
    for run in runs:
        info = run.info
        status = "" if not run.problems else f"\n\n**This lesson failed to build:** {'; '.join(run.problems)}"
        cells.append(
            f"## {info.number} · [{info.title}]({info.name}.html)\n\n"
            f"**{info.minutes} min** · {run.steps} steps · {run.figures} figure{'s' * (run.figures != 1)} · "
            f"executed in {run.seconds:.1f} s · "
            f"[notebook]({info.name}.ipynb){status}\n\n"
            f"**What you learn:** {learn.get(info.number, '')}\n\n"
            f"**Exercises.**\n\n{exercises.get(info.number, '(none yet)')}"
        )
    index = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text) for text in cells])
    _write_html(index, out / "index.html", f"autoencoder_np {__version__} · the lessons")


def _exercises(readme: str) -> dict[int, str]:
    """The exercises of lessons/README.md by lesson number, without the numbered item's bold title."""
    section = readme.partition("\n## Exercises\n")[2].partition("\n## ")[0]
    found: dict[int, str] = {}
    number = 0
    for line in section.splitlines():
        item = _EXERCISE.match(line)
        if item is not None:
            number = int(item[1])
            found[number] = line[item.end() :]
        elif number and line.strip():
            found[number] += " " + line.strip()
    return {number: "- " + _PART.sub(r"\n- (\1) ", text) for number, text in found.items()}


def _write_html(notebook: Any, path: Path, title: str) -> None:
    """``notebook`` as a static HTML page (nbconvert's lab template, no In/Out prompts)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    path.write_text(body, encoding="utf-8")
