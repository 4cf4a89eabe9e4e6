"""The lesson kit every lesson script shares, and the ``lessons`` command (the catalogue: ``curriculum``).

A lesson is a plain script ``lessons/NN_topic.py`` in the "percent" cell format (``# %%`` cells), so it runs
as a script and opens as a notebook in Jupyter (jupytext) or VS Code. Its prose lives only in its
``# %% [markdown]`` cells. It begins with::

    lesson = Lesson("03_activations")

which reads the command line (inside a notebook: the environment variable ``AUTOENCODER_NP_LESSON_OPTIONS``,
e.g. ``--fast``)::

    --step       pause after each step until Enter; q or end of input quits cleanly (exit 0)
    --fast       less data and fewer epochs (CI runs every lesson this way)
    --quiet      headings and numbers only: no explanations
    --out DIR    where the figures go (default lesson_output/03_activations/)
    --data PATH  a MovieLens-format ratings file instead of the synthetic data (the recommender lessons)

Each step's code cell starts with ``lesson.step()``: in a terminal it prints the step's heading and its
explanation, the markdown cell above that code cell, wrapped to the terminal (``lesson_text``); in a notebook
the markdown cell shows itself. ``lesson.pick(full=..., fast=...)`` chooses a size; ``lesson.save(fig,
"name.png")`` writes a figure the catalogue promises (and shows it inline in a notebook);
``lesson.ratings(...)`` gives a recommender lesson its data (the ``--data`` file, else
``synthetic_ratings(...)``); ``lesson.print_curve(label, values, mark=epoch)`` prints a per-epoch curve
compactly; ``lesson.error(message)`` refuses bad input with one line and exit status 2; the
lesson ends with ``lesson.check(claim, passed, detail)`` (or ``lesson.check_gradients(claim, report)``) lines
and ``lesson.finish()``, which exits 1 when a check failed, so a broken library breaks the lesson in CI.
A lesson also sets NumPy's print options (4 digits, no scientific notation for small arrays) for its script.

``python -m autoencoder_np lessons`` lists the catalogue; ``lessons run 3 [--step] [--fast] [--out DIR]``
runs one; ``lessons build --out DIR`` executes them all as notebooks and writes a course site (``lesson_site``);
the command lives in ``lessons_command``.

Which package a lesson imports: ``python lessons/03_activations.py`` puts ``lessons/`` first on the import
path, so ``import autoencoder_np`` finds the *installed* package (in the repository, the editable install of
the package beside the lessons). In an assignment workspace the package beside the lessons is the student's
copy, which only ``python -m lessons.03_activations`` run from the workspace finds first. So ``lessons run``
starts a lesson that way, from the folder that holds ``lessons/``; the "Next:" line repeats the form the
running lesson was started with (``lessons run N`` itself when the lessons are not below the current
directory, as for a course installed from a wheel); and a lesson started by path whose package is not the
copy beside it says so in its first lines.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import numpy as np

from . import course
from .curriculum import CURRICULUM, find
from .lesson_text import Explanation, explanation_above, heading_rule, read_cells, render, terminal_width

if TYPE_CHECKING:  # the CLI imports this module to build its parser: no matplotlib at import time
    from matplotlib.figure import Figure

    from .gradcheck_report import GradCheckReport
    from .recsys.data import Interactions

T = TypeVar("T")

#: Inside a notebook a lesson reads its options from this environment variable (e.g. "--fast").
OPTIONS_VARIABLE = "AUTOENCODER_NP_LESSON_OPTIONS"
#: Set by ``lessons run`` when the lessons it runs are not below the current directory (an installed course):
#: the "Next:" line then names ``lessons run``, the one command that works from where the student is.
ELSEWHERE_VARIABLE = "AUTOENCODER_NP_LESSONS_ELSEWHERE"


def lessons_dir() -> Path:
    """The ``lessons/`` folder: beside the package, else below the current directory, else installed in the package."""
    return course.lessons_folder(here=Path.cwd())


def add_options(parser: argparse.ArgumentParser, default_out: str, *, data: bool) -> None:
    """The options every lesson takes (the lesson scripts and ``lessons run`` share them); ``--data`` if ``data``."""
    parser.add_argument("--step", action="store_true", help="pause after each step until Enter (q quits)")
    parser.add_argument("--fast", action="store_true", help="less data and fewer epochs (what CI runs)")
    parser.add_argument("--quiet", action="store_true", help="headings and numbers only, no explanations")
    parser.add_argument("--out", type=Path, default=None, help=f"folder for the figures (default {default_out})")
    if data:
        parser.add_argument(
            "--data", type=Path, default=None, metavar="PATH",
            help="a ratings file (MovieLens u.data, ratings.dat, ratings.csv, RecBole .inter; u.item, movies.dat "
            "or movies.csv beside it adds titles and genres) instead of the synthetic data",
        )  # fmt: skip


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (a notebook in Jupyter or VS Code), whose command line is the kernel's.

    Not merely "ipykernel is imported": Jupyter's client libraries import it to find the kernel.
    """
    ipython = sys.modules.get("IPython")
    return ipython is not None and type(ipython.get_ipython()).__name__ == "ZMQInteractiveShell"


def _started_as_module(name: str) -> bool:
    """True when the running program is ``python -m lessons.<name>``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is not None and spec.name == f"lessons.{name}"


def _caller() -> tuple[Path, int]:
    """The file and line of the code that called the method that calls this (a lesson script's cell)."""
    frame = sys._getframe(2)
    return Path(frame.f_code.co_filename), frame.f_lineno


def _foreign_package(name: str) -> tuple[Path, Path] | None:
    """(the imported package, the copy beside the lessons) when the script ``<name>.py`` runs with another package.

    None when the running program is not that script, or no package sits beside its ``lessons/`` folder, or
    the imported package is that copy.
    """
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if script is None or Path(script).name != f"{name}.py":
        return None
    beside = Path(script).resolve().parent.parent / "autoencoder_np"
    imported = Path(__file__).resolve().parent
    if not (beside / "__init__.py").is_file() or beside == imported:
        return None
    return imported, beside


class Lesson:
    """The running lesson: its options, step headings and explanations, figures and self-checks.

    Args:
        name: the script's name, e.g. ``"03_activations"`` (must be in :data:`CURRICULUM`).
        argv: the command-line arguments; default ``sys.argv[1:]``, or inside a notebook the options in
            the environment variable ``AUTOENCODER_NP_LESSON_OPTIONS``.

    The default output folder, ``lesson_output/<name>/``, is relative to the current directory. The prose
    comes from the script that constructs the lesson (``<name>.py``, read once); constructed elsewhere (a
    notebook, a test), the lesson prints headings without explanations.
    """

    def __init__(self, name: str, argv: Sequence[str] | None = None) -> None:
        self.info = find(name)
        self.notebook = _in_notebook()
        foreign = _foreign_package(self.info.name)
        #: Commands for the next lesson take the ``python -m lessons.…`` form when this one was started so, or
        #: when the path form imports another package than the copy beside the lessons.
        self.module_form = _started_as_module(self.info.name) or foreign is not None
        default_out = f"lesson_output/{self.info.name}"
        parser = argparse.ArgumentParser(
            prog=self.info.command(module=self.module_form),
            description=f"Lesson {self.info.number}: {self.info.title}",
        )
        add_options(parser, default_out, data=self.info.data)
        if argv is None:
            argv = shlex.split(os.environ.get(OPTIONS_VARIABLE, "")) if self.notebook else sys.argv[1:]
        args = parser.parse_args(argv)
        self.prog = parser.prog
        self.step_mode: bool = args.step and not self.notebook
        self.fast: bool = args.fast
        self.quiet: bool = args.quiet
        self.out: Path = args.out if args.out is not None else Path(default_out)
        self.data_path: Path | None = getattr(args, "data", None)
        self.steps = 0
        self.checks: list[tuple[str, bool]] = []
        self.width = terminal_width()
        self._start = time.perf_counter()
        script, line = _caller()
        self._cells = read_cells(script) if script.name == f"{self.info.name}.py" and script.is_file() else []
        np.set_printoptions(precision=4, suppress=True, linewidth=self.width)
        mode = "fast (--fast: less data, fewer epochs)" if self.fast else "full (--fast runs a quick version)"
        title = f"Lesson {self.info.number} · {self.info.title}"
        print(title if self.notebook else textwrap.fill(title, self.width))
        stepping = "; --step: Enter after each step, q quits" if self.step_mode else ""
        shown = " and show below the cells that draw them" if self.notebook else ""
        print(f"mode: {mode}; figures go to {self.out}/{shown}{stepping}")
        if foreign is not None:
            imported, beside = foreign
            print(
                f"note: this lesson imported autoencoder_np from {imported}, not the copy beside it ({beside}). "
                f"To run that copy: cd {beside.parent} && {self.info.command(module=True)}"
            )
        if self.data_path is not None and not self.data_path.is_file():
            self.error(f"--data {self.data_path}: {'not a file' if self.data_path.exists() else 'no such file'}")
        intro = self._explanation(line)
        if intro.body and not (self.quiet or self.notebook):
            print("\n" + render(intro.body, self.width), flush=True)

    def pick(self, *, full: T, fast: T) -> T:
        """``fast`` under ``--fast``, else ``full``: ``epochs = lesson.pick(full=300, fast=60)``."""
        return fast if self.fast else full

    def ratings(self, **synthetic: Any) -> Interactions:
        """The recommender lessons' data: the ``--data`` file, else ``synthetic_ratings(**synthetic)``; prints which.

        The file is read by ``recsys.load`` (titles and genres from an item file beside it, when there is one);
        a file it cannot read ends the lesson through :meth:`error`.
        """
        from .recsys import load
        from .recsys.synthetic import synthetic_ratings

        if self.data_path is None:
            data = synthetic_ratings(**synthetic)
            print(f"data: {data!r}\n(pass --data PATH to use a MovieLens-format ratings file instead)")
            return data
        try:
            data = load(self.data_path)
        except (OSError, ValueError) as err:
            self.error(f"--data: {err}")
        features = "with" if data.item_features is not None else "without"
        print(f"data: {data!r}, {features} item features")
        return data

    def print_curve(self, label: str, values: Sequence[float], *, mark: int, shown: int = 8) -> None:
        """Print a per-epoch curve as "epoch: value" pairs: about ``shown`` epochs evenly spread, always
        the first, the last and epoch ``mark`` (1-based, starred), wrapped to the terminal's width."""
        epochs = sorted({*range(1, len(values) + 1, max(1, len(values) // shown)), len(values), mark})
        pairs = [f"{epoch}{'★' if epoch == mark else ''}: {values[epoch - 1]:.4f}" for epoch in epochs]
        print(f"{label}, {len(values)} epochs:")
        print(textwrap.fill(" · ".join(pairs), self.width, initial_indent="  ", subsequent_indent="  "))

    def error(self, message: str) -> NoReturn:
        """Bad input (an unreadable ``--data`` file): one line on stderr and exit status 2, as the CLI does.

        Inside a notebook it raises ValueError instead of exiting the kernel.
        """
        if self.notebook:
            raise ValueError(message)
        print(f"{self.prog}: error: {message}", file=sys.stderr, flush=True)
        raise SystemExit(2)

    def step(self) -> None:
        """Start the next step: pause first under ``--step`` (after the previous step), then print its heading.

        The heading and the explanation are the markdown cell above the calling code cell (``## Step 3 ·
        Title``, then prose); ``--quiet`` leaves the prose out, and a notebook shows the cell itself.
        """
        if self.steps and self.step_mode:
            self.pause()
        self.steps += 1
        if self.notebook:
            return
        explanation = self._explanation(_caller()[1])
        if explanation.number not in (None, self.steps):
            raise ValueError(
                f"lesson {self.info.name}: the markdown above step {self.steps} is headed 'Step "
                f"{explanation.number}'; number the '## Step N · …' headings in order"
            )
        print("\n" + heading_rule(f"Step {self.steps} · {explanation.title}".rstrip(" ·"), self.width), flush=True)
        if explanation.body and not self.quiet:
            print(render(explanation.body, self.width) + "\n", flush=True)

    def _explanation(self, line: int) -> Explanation:
        """The markdown cell above the code cell holding ``line`` of the script (empty when there is none)."""
        return explanation_above(self._cells, line) or Explanation(None, "", "")

    def pause(self) -> None:
        """Wait for Enter; q, or the end of input, stops the lesson cleanly (exit status 0)."""
        try:
            answer = input(f"[step {self.steps} done] Enter: next step · q: quit > ")
        except EOFError:
            print()
            self._stop("end of input")
        if answer.strip().lower() in {"q", "quit", "exit"}:
            self._stop("q")

    def _stop(self, why: str) -> NoReturn:
        print(f"Stopped after step {self.steps} ({why}). Run again without --step to go straight through.", flush=True)
        raise SystemExit(0)

    def save(self, fig: Figure, filename: str) -> None:
        """Write ``fig`` as ``out/filename`` (a figure the catalogue promises), print where it went, and in a
        notebook show it below the cell."""
        if filename not in self.info.figures:
            raise ValueError(
                f"lesson {self.info.name}: figure {filename!r} is not among the figures the catalogue promises "
                f"{self.info.figures}; add it to CURRICULUM in autoencoder_np/curriculum.py"
            )
        path = self.out / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        print(f"figure: {path}", flush=True)
        if self.notebook:
            from IPython.display import Image, display

            display(Image(filename=str(path)))

    def check(self, claim: str, passed: bool, detail: str = "") -> None:
        """Record and print one self-check."""
        passed = bool(passed)
        self.checks.append((claim, passed))
        print(f"  [{'ok' if passed else 'FAILED'}] {claim}" + (f": {detail}" if detail else ""), flush=True)

    def check_gradients(self, claim: str, report: GradCheckReport) -> None:
        """Record a gradient-check report as one self-check, with a short verdict as its detail."""
        worst = report.max_rel_error
        detail = "every difference within rounding noise" if worst == 0 else f"max relative error {worst:.1e}"
        kinks = f", {report.n_kinks} kink(s) skipped" if report.n_kinks else ""
        self.check(claim, report.passed, detail + kinks)

    def finish(self) -> None:
        """Check that every promised figure exists, print the verdict, and exit 1 if any check failed.

        Inside a notebook a failure raises AssertionError instead of exiting the kernel.
        """
        missing = [name for name in self.info.figures if not (self.out / name).is_file()]
        self.check(
            "every promised figure was written",
            not missing,
            f"missing {missing}" if missing else ", ".join(self.info.figures) or "(none promised)",
        )
        failed = [claim for claim, passed in self.checks if not passed]
        seconds = time.perf_counter() - self._start
        if failed:
            message = (
                f"{len(failed)} of {len(self.checks)} self-checks FAILED ({'; '.join(failed)}). "
                "The library (or your change to it) does not behave as this lesson teaches."
            )
            print(f"\n{message}", flush=True)
            if self.notebook:
                raise AssertionError(message)
            raise SystemExit(1)
        later = [info for info in CURRICULUM if info.number > self.info.number]
        if not later:
            after = " That was the last lesson."
        elif self.notebook:
            after = f" Next: lesson {later[0].number}, {later[0].name}."
        elif os.environ.get(ELSEWHERE_VARIABLE):
            after = f" Next: python -m autoencoder_np lessons run {later[0].number}"
        else:
            after = f" Next: {later[0].command(module=self.module_form)}"
        print(f"\nAll {len(self.checks)} self-checks passed in {seconds:.1f} s.{after}", flush=True)
        if not self.notebook:
            raise SystemExit(0)
