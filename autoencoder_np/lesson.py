"""The lessons: their catalogue, the kit every lesson script shares, and the ``lessons`` command.

A lesson is a plain script ``lessons/NN_topic.py`` in the "percent" cell format (``# %%`` cells), so it runs
as a script and opens as a notebook in Jupyter (jupytext) or VS Code. It begins with::

    lesson = Lesson("03_activations")

which reads the command line (ignored inside a notebook, where the defaults hold)::

    --step       pause after each step until Enter; q or end of input quits cleanly (exit 0)
    --fast       less data and fewer epochs (CI runs every lesson this way)
    --out DIR    where the figures go (default lesson_output/03_activations/)
    --data PATH  a MovieLens-format ratings file instead of the synthetic data (the recommender lessons)

``lesson.step(title)`` prints a step's heading; ``lesson.pick(full=..., fast=...)`` chooses a size;
``lesson.save(fig, "name.png")`` writes a figure the catalogue promises; ``lesson.ratings(...)`` gives a
recommender lesson its data (the ``--data`` file, else ``synthetic_ratings(...)``); the lesson ends with
``lesson.check(claim, passed, detail)`` (or ``lesson.check_gradients(claim, report)``) lines and
``lesson.finish()``, which exits 1 when a check failed, so a broken library breaks the lesson in CI.
A lesson also sets NumPy's print options (4 digits, no scientific notation for small arrays) for its script.

``python -m autoencoder_np lessons`` lists the catalogue; ``lessons run 3 [--step] [--fast] [--out DIR]``
runs one.

Which package a lesson imports: ``python lessons/03_activations.py`` puts ``lessons/`` first on the import
path, so ``import autoencoder_np`` finds the *installed* package (in the repository, the editable install of
the package beside the lessons). In an assignment workspace the package beside the lessons is the student's
copy, which only ``python -m lessons.03_activations`` run from the workspace finds first. So ``lessons run``
starts a lesson that way, from the folder that holds ``lessons/``; the "Next:" line repeats the form the
running lesson was started with; and a lesson started by path whose package is not the copy beside it says
so in its first lines.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import numpy as np

from . import course

if TYPE_CHECKING:  # the CLI imports this module to build its parser: no matplotlib at import time
    from matplotlib.figure import Figure

    from .gradcheck_report import GradCheckReport
    from .recsys.data import Interactions

T = TypeVar("T")


@dataclass(frozen=True)
class LessonInfo:
    """One entry of the catalogue.

    ``minutes`` is the time a student needs to read, run and think it through (not the run time).
    ``figures`` are the files the lesson promises to write into its output folder. ``data``: the lesson
    takes ``--data PATH`` (a ratings file in place of the synthetic data).
    """

    number: int
    topic: str
    title: str
    minutes: int
    figures: tuple[str, ...] = ()
    data: bool = False

    @property
    def name(self) -> str:
        """``03_activations``: the script's file name without ``.py``, and its output folder's name."""
        return f"{self.number:02d}_{self.topic}"

    def command(self, *, module: bool) -> str:
        """The shell command that runs this lesson: ``python -m lessons.NN_topic`` or ``python lessons/NN_topic.py``."""
        return f"python -m lessons.{self.name}" if module else f"python lessons/{self.name}.py"


#: The curriculum in teaching order. Each lesson assumes only what the lessons before it taught.
CURRICULUM: tuple[LessonInfo, ...] = (
    LessonInfo(
        1, "founding_example", "The founding example as a Keras user writes it, then what fit does step by step",
        25, ("loss_curve.png", "reconstructions.png"),
    ),
    LessonInfo(
        2, "dense_layer", "A dense layer by hand: forward, backward derived on a 2×3 example, finite differences",
        30, ("dense_gradcheck.png",),
    ),
    LessonInfo(
        3, "activations", "Activations: ReLU, sigmoid, tanh, their derivatives, the kink and saturation",
        20, ("activations.png", "gradient_by_depth.png"),
    ),
    LessonInfo(
        4, "losses", "Losses: MSE, cross-entropy from probabilities and from logits, and float32",
        25, ("loss_vs_logit.png", "bce_float32.png"),
    ),
    LessonInfo(
        5, "backprop", "Backpropagation through the whole autoencoder, layer by layer, with the checker's table",
        30, ("model_gradcheck.png",),
    ),
    LessonInfo(
        6, "optimizers", "Optimizers: SGD, momentum and Adam (bias correction at t=1) on the same problems",
        30, ("bowl_paths.png", "adam_bias_correction.png", "optimizers.png"),
    ),
    LessonInfo(
        7, "gradient_checking", "Gradient checking itself: eps sweep, float32 vs float64, complex step, bands",
        30, ("eps_sweep.png", "error_bands.png"),
    ),
    LessonInfo(
        8, "autoencoder_vs_pca", "Autoencoder versus PCA: the linear AE spans the PCA subspace; nonlinear beats it",
        30, ("linear_ae_vs_pca.png", "nonlinear_manifold.png"),
    ),
    LessonInfo(
        9, "denoising_sparse", "Denoising and sparse autoencoders: corrupt the input, watch codes and outputs",
        30, ("denoising.png", "codes.png", "decoder_weights.png"),
    ),
    LessonInfo(
        10, "recsys_explicit", "Recommenders I: AutoRec on explicit ratings, a masked loss, two baselines; RMSE",
        35, ("ratings.png", "autorec_rmse.png"), data=True,
    ),
    LessonInfo(
        11, "recsys_implicit", "Recommenders II: implicit feedback, Mult-DAE vs popularity and EASE; Recall and NDCG",
        35, ("rankings.png", "item_codes.png"), data=True,
    ),
    LessonInfo(
        12, "cold_start", "Cold start: fold in a new user from three clicks; a new item from its features",
        25, ("new_users.png", "new_items.png"), data=True,
    ),
    LessonInfo(
        13, "scale", "Scale: epoch cost as users and items grow, float32 vs float64, why input stays dense",
        20, ("epoch_cost.png",), data=True,
    ),
)  # fmt: skip


def find(key: int | str) -> LessonInfo:
    """The catalogue entry for a lesson number (3) or name ("03_activations")."""
    for info in CURRICULUM:
        if key in (info.number, info.name):
            return info
    numbers = ", ".join(str(info.number) for info in CURRICULUM)
    raise ValueError(f"there is no lesson {key!r}; the lessons are numbered {numbers} (see: lessons)")


def lessons_dir() -> Path:
    """The ``lessons/`` folder: beside the package, else below the current directory, else installed in the package."""
    return course.lessons_folder(here=Path.cwd())


def add_options(parser: argparse.ArgumentParser, default_out: str, *, data: bool) -> None:
    """The options every lesson takes (the lesson scripts and ``lessons run`` share them); ``--data`` if ``data``."""
    parser.add_argument("--step", action="store_true", help="pause after each step until Enter (q quits)")
    parser.add_argument("--fast", action="store_true", help="less data and fewer epochs (what CI runs)")
    parser.add_argument("--out", type=Path, default=None, help=f"folder for the figures (default {default_out})")
    if data:
        parser.add_argument(
            "--data", type=Path, default=None, metavar="PATH",
            help="a ratings file (MovieLens u.data, ratings.dat, ratings.csv, RecBole .inter; u.item, movies.dat "
            "or movies.csv beside it adds titles and genres) instead of the synthetic data",
        )  # fmt: skip


def _in_notebook() -> bool:
    """True inside a Jupyter kernel, whose command line is the kernel's, not the lesson's."""
    return "ipykernel" in sys.modules


def _started_as_module(name: str) -> bool:
    """True when the running program is ``python -m lessons.<name>``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is not None and spec.name == f"lessons.{name}"


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
    """The running lesson: its options, step headings, figures and self-checks.

    Args:
        name: the script's name, e.g. ``"03_activations"`` (must be in :data:`CURRICULUM`).
        argv: the command-line arguments; default ``sys.argv[1:]``, or none inside a notebook.

    The default output folder, ``lesson_output/<name>/``, is relative to the current directory.
    """

    def __init__(self, name: str, argv: Sequence[str] | None = None) -> None:
        self.info = find(name)
        self.notebook = argv is None and _in_notebook()
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
            argv = [] if self.notebook else sys.argv[1:]
        args = parser.parse_args(argv)
        self.step_mode: bool = args.step
        self.fast: bool = args.fast
        self.out: Path = args.out if args.out is not None else Path(default_out)
        self.data_path: Path | None = getattr(args, "data", None)
        self.steps = 0
        self.checks: list[tuple[str, bool]] = []
        self._start = time.perf_counter()
        np.set_printoptions(precision=4, suppress=True, linewidth=110)
        mode = "fast (--fast: less data, fewer epochs)" if self.fast else "full (--fast runs a quick version)"
        print(f"Lesson {self.info.number} · {self.info.title}")
        stepping = "; --step: Enter after each step, q quits" if self.step_mode else ""
        print(f"mode: {mode}; figures go to {self.out}/{stepping}")
        if foreign is not None:
            imported, beside = foreign
            print(
                f"note: this lesson imported autoencoder_np from {imported}, not the copy beside it ({beside}). "
                f"To run that copy: cd {beside.parent} && {self.info.command(module=True)}"
            )

    def pick(self, *, full: T, fast: T) -> T:
        """``fast`` under ``--fast``, else ``full``: ``epochs = lesson.pick(full=300, fast=60)``."""
        return fast if self.fast else full

    def ratings(self, **synthetic: Any) -> Interactions:
        """The recommender lessons' data: the ``--data`` file, else ``synthetic_ratings(**synthetic)``; prints which.

        The file is read by ``recsys.load`` (titles and genres from an item file beside it, when there is one).
        """
        from .recsys.data import load
        from .recsys.synthetic import synthetic_ratings

        if self.data_path is None:
            data = synthetic_ratings(**synthetic)
            print(f"data: {data!r}\n(pass --data PATH to use a MovieLens-format ratings file instead)")
        else:
            data = load(self.data_path)
            features = "with" if data.item_features is not None else "without"
            print(f"data: {data!r}, {features} item features")
        return data

    def step(self, title: str) -> None:
        """Start the next step: pause first under ``--step`` (after the previous step), then print the heading."""
        if self.steps and self.step_mode:
            self.pause()
        self.steps += 1
        heading = f"── Step {self.steps} · {title} "
        print(f"\n{heading}{'─' * max(3, 100 - len(heading))}", flush=True)

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

    def save(self, fig: Figure, filename: str) -> Path:
        """Write ``fig`` as ``out/filename`` (a figure the catalogue promises) and print where it went."""
        if filename not in self.info.figures:
            raise ValueError(
                f"lesson {self.info.name}: figure {filename!r} is not among the figures the catalogue promises "
                f"{self.info.figures}; add it to CURRICULUM in autoencoder_np/lesson.py"
            )
        path = self.out / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        print(f"figure: {path}")
        return path

    def check(self, claim: str, passed: bool, detail: str = "") -> bool:
        """Record and print one self-check; returns ``passed``."""
        passed = bool(passed)
        self.checks.append((claim, passed))
        print(f"  [{'ok' if passed else 'FAILED'}] {claim}" + (f": {detail}" if detail else ""), flush=True)
        return passed

    def check_gradients(self, claim: str, report: GradCheckReport) -> bool:
        """Record a gradient-check report as one self-check, with a short verdict as its detail."""
        worst = report.max_rel_error
        detail = "every difference within rounding noise" if worst == 0 else f"max relative error {worst:.1e}"
        kinks = f", {report.n_kinks} kink(s) skipped" if report.n_kinks else ""
        return self.check(claim, report.passed, detail + kinks)

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
        after = f" Next: {later[0].command(module=self.module_form)}" if later else " That was the last lesson."
        print(f"\nAll {len(self.checks)} self-checks passed in {seconds:.1f} s.{after}", flush=True)
        if not self.notebook:
            raise SystemExit(0)


# The ``lessons`` command ----------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="action")
    actions.add_parser("list", help="list the lessons (the default)", description="list the lessons")
    run = actions.add_parser("run", help="run one lesson: lessons run 3 [--step] [--fast] [--out DIR] [--data PATH]")
    run.add_argument("number", type=int, help="the lesson's number")
    add_options(run, "lesson_output/NN_topic/", data=True)
    course.add_copy_parser(actions)


def run(args: argparse.Namespace) -> int:
    if args.action == "run":
        return _run_lesson(args)
    if args.action == "copy":
        return course.run_copy(args)
    width = max(len(info.name) for info in CURRICULUM) + len("lessons/.py")
    print(f"{'#':>2}  {'script':<{width}}  {'time':>6}  what you learn")
    for info in CURRICULUM:
        script = f"lessons/{info.name}.py"
        print(f"{info.number:>2}  {script:<{width}}  {info.minutes:>2} min  {info.title}")
    print("\nRun one: python -m autoencoder_np lessons run 1 [--step] [--fast] [--out DIR]")
    print("     or: python lessons/01_founding_example.py [--step] [--fast] [--out DIR]")
    print("     or, in an assignment workspace: python -m lessons.01_founding_example [--step] [--fast]")
    return 0


def _run_lesson(args: argparse.Namespace) -> int:
    """Run the lesson as ``python -m lessons.NN_topic`` from the folder holding ``lessons/``.

    That folder comes first on the lesson's import path, so a package beside the lessons (an assignment
    workspace's copy) is the one the lesson imports. Paths given on the command line stay relative to the
    current directory, and so does the default output folder.
    """
    info = find(args.number)
    if args.data is not None and not info.data:
        takers = ", ".join(str(i.number) for i in CURRICULUM if i.data)
        raise ValueError(f"lesson {info.number} reads no data: --data is for lessons {takers}")
    lessons = lessons_dir()
    script = lessons / f"{info.name}.py"
    if not script.is_file():
        raise FileNotFoundError(f"lesson {info.number}: {script} does not exist")
    out = args.out if args.out is not None else Path("lesson_output") / info.name
    options = ["--step"] * args.step + ["--fast"] * args.fast + ["--out", str(Path.cwd() / out)]
    options += ["--data", str(Path.cwd() / args.data)] if args.data is not None else []
    command = [sys.executable, "-m", f"lessons.{info.name}", *options]
    print(f"running {info.command(module=True)} {' '.join(options)} (in {lessons.parent})", flush=True)
    return subprocess.run(command, cwd=lessons.parent, check=False).returncode
