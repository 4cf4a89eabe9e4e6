"""Figures with matplotlib's object-oriented API: no pyplot, no global backend, no display needed.

The ``*_figure`` functions return a :class:`matplotlib.figure.Figure`; save it with ``fig.savefig(path)``
(or ``Lesson.save`` in a lesson). In a notebook, a figure left as a cell's last value is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .gradcheck.report import EpsSweep, GradCheckReport

#: Where the CS231n bands of relative error begin: good < 1e-7 ≤ fine with kinks < 1e-4 ≤ uncomfortable < 1e-2.
_BANDS = {1e-7: "good below", 1e-4: "fine with kinks below", 1e-2: "probably wrong above"}
#: Relative errors of exactly 0 are drawn here (a log axis has no 0).
_ZERO_FLOOR = 1e-17


def loss_curve_figure(
    history: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    references: Mapping[str, float] | None = None,
) -> Figure:
    """Every series of ``history`` (loss, val_loss, … or one per optimizer) against its index, log scale.

    ``references`` adds labelled horizontal lines, e.g. ``{"predict 0.5: 1/12": 1 / 12}``.
    """
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    for name, values in history.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    for (label, value), style in zip((references or {}).items(), ("--", ":", "-."), strict=False):
        ax.axhline(value, linestyle=style, color="gray", linewidth=1, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def save_loss_curve(
    history: Mapping[str, Sequence[float]],
    path: str | Path,
    *,
    title: str = "",
    references: Mapping[str, float] | None = None,
) -> Path:
    """Plot ``history`` with :func:`loss_curve_figure` and save it as ``path`` (folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    loss_curve_figure(history, title=title, references=references).savefig(path, dpi=120)
    return path


def save_eps_sweep(sweep: EpsSweep, path: str | Path, *, title: str = "") -> Path:
    """Plot an eps sweep with :func:`eps_sweep_figure` and save it as ``path`` (folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    eps_sweep_figure(sweep, title=title).savefig(path, dpi=120)
    return path


def eps_sweep_figure(sweep: EpsSweep, *, title: str = "") -> Figure:
    """An eps sweep (``gradcheck.eps_sweep``): relative error against the step, log-log, one line per method.

    Dotted lines mark ε^(1/3) for float64 and float32, where truncation (∝ h², falling to the left) meets
    rounding (∝ ε/h, rising to the left) for central differences.
    """
    fig = Figure(figsize=(8.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for label, errors in sweep.errors.items():
        if np.isfinite(errors).any():
            ax.plot(sweep.eps, np.maximum(errors, 1e-17), marker="o", markersize=3, label=label)
    for dtype, style in ((np.float64, ":"), (np.float32, "-.")):
        optimum = float(np.finfo(dtype).eps) ** (1 / 3)
        ax.axvline(optimum, color="gray", linestyle=style, linewidth=1, label=f"ε^(1/3) in {np.dtype(dtype).name}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("relative step eps (h = eps · max(1, |x|))")
    ax.set_ylabel("relative error of dL/dx")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title or f"truncation vs rounding: {sweep.subject}", fontsize="medium")
    return fig


def gradcheck_figure(reports: Mapping[str, GradCheckReport]) -> Figure:
    """One column per gradient-check report (``ae.gradcheck.GradCheckReport``), titled by its key.

    Top: every analytic entry against its numeric twin; a correct backward puts them on the diagonal.
    Bottom: each entry's relative error |a − n| / max(|a|, |n|) by gradient, on a log scale, with the
    CS231n bands; exact agreement is drawn at 1e-17, kinks (not judged) as crosses.
    """
    fig = Figure(figsize=(5.2 * len(reports), 7.5), layout="constrained")
    axes = fig.subplots(2, len(reports), squeeze=False)
    for column, (label, report) in enumerate(reports.items()):
        top, bottom = axes[0, column], axes[1, column]
        values = []
        for position, row in enumerate(report.rows):
            a, n = row.analytic.ravel(), row.numeric.ravel()
            values.append(np.concatenate([a, n]))
            points = top.plot(n, a, "o", markersize=4, alpha=0.7, label=row.name)[0]
            diff, scale = np.abs(a - n), np.maximum(np.abs(a), np.abs(n))
            rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
            rel = np.maximum(rel, _ZERO_FLOOR)
            kinks = row.kinks.ravel()
            jitter = position + np.linspace(-0.25, 0.25, rel.size)
            bottom.plot(jitter[~kinks], rel[~kinks], "o", markersize=3, alpha=0.7, color=points.get_color())
            bottom.plot(jitter[kinks], rel[kinks], "x", markersize=6, color="black")
        span = np.concatenate(values)
        low, high = float(span.min()), float(span.max())
        top.plot([low, high], [low, high], color="gray", linewidth=1, zorder=0)
        top.set_xlabel("numeric (central differences)")
        top.set_ylabel("analytic (backward)")
        verdict = "PASS" if report.passed else "FAIL"
        worst = report.max_rel_error
        detail = "every difference within rounding noise" if worst == 0 else f"worst relative error {worst:.1e}"
        top.set_title(f"{label}\n{verdict}: {detail}")
        top.legend(fontsize="small")
        top.grid(True, alpha=0.3)
        for edge, text in _BANDS.items():
            bottom.axhline(edge, color="gray", linestyle="--", linewidth=1)
            bottom.text(len(report.rows) - 0.5, edge, text, fontsize="x-small", ha="right", va="bottom", color="gray")
        bottom.set_yscale("log")
        bottom.set_ylim(_ZERO_FLOOR / 3, 3)
        bottom.set_xticks(range(len(report.rows)), [row.name for row in report.rows], rotation=30, ha="right")
        bottom.set_ylabel("relative error per entry (1e-17: exact)")
        bottom.grid(True, axis="y", alpha=0.3)
    return fig
