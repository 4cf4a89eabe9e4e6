"""Figures with matplotlib's object-oriented API: no pyplot, no global backend, no display needed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from .gradcheck_report import EpsSweep


def save_loss_curve(
    history: Mapping[str, Sequence[float]],
    path: str | Path,
    *,
    title: str = "",
    references: Mapping[str, float] | None = None,
) -> Path:
    """Plot every per-epoch series of ``history`` (loss, val_loss, …) on a log scale; save it as ``path``.

    ``references`` adds labelled horizontal lines, e.g. ``{"predict 0.5: 1/12": 1 / 12}``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.add_subplot()
    for name, values in history.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    for label, value in (references or {}).items():
        ax.axhline(value, linestyle="--", color="gray", linewidth=1, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.savefig(path, dpi=120)
    return path


def save_eps_sweep(sweep: EpsSweep, path: str | Path, *, title: str = "") -> Path:
    """Plot an eps sweep (``gradcheck.eps_sweep``): relative error against the step, log-log; save as ``path``.

    Dotted lines mark ε^(1/3) for float64 and float32, where truncation (∝ h², falling to the left) meets
    rounding (∝ ε/h, rising to the left) for central differences.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
    fig.savefig(path, dpi=120)
    return path
