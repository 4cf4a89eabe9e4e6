"""Figures with matplotlib's object-oriented API: no pyplot, no global backend, no display needed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure


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
