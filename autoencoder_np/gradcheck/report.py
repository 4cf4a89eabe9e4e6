"""The reports of the gradient checker: one row per gradient, a verdict band, hints, JSON.

Error bands (CS231n): > 1e-2 probably wrong; 1e-2 … 1e-4 uncomfortable; 1e-4 … 1e-7 fine with kinks;
< 1e-7 good. ``to_dict()`` gives JSON-able values (NaN and inf become None); the schema is in
docs/gradcheck.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .diagnosis import Hint


def band(rel_error: float) -> str:
    """The CS231n verdict for a relative error."""
    if not rel_error <= 1e-2:  # also NaN
        return "probably wrong"
    if rel_error > 1e-4:
        return "uncomfortable"
    if rel_error > 1e-7:
        return "fine with kinks"
    return "good"


def json_float(value: float) -> float | None:
    """JSON has no NaN or inf: they become null."""
    return float(value) if np.isfinite(value) else None


def _hint_dicts(hints: list[Hint]) -> list[dict[str, str]]:
    return [{"code": h.code, "text": h.text} for h in hints]


class Diagnosed:
    """``hints`` and ``hint_codes`` from ``diagnosis``, a list of :class:`~autoencoder_np.gradcheck.diagnosis.Hint`."""

    diagnosis: list[Hint]

    @property
    def hints(self) -> list[str]:
        """The diagnosis sentences."""
        return [h.text for h in self.diagnosis]

    @property
    def hint_codes(self) -> list[str]:
        """The diagnosis codes (see ``diagnosis.HINT_CODES``)."""
        return [h.code for h in self.diagnosis]


@dataclass
class GradCheckRow(Diagnosed):
    """The comparison of one gradient (a parameter's or the input's).

    ``analytic``, ``numeric``, ``kinks``: arrays of the quantity's shape (numeric is NaN at entries not
    computed, when a large tensor was sampled). ``n_checked``: entries compared; ``directions``: relative
    errors of the random directional checks (large tensors only); ``diagnosis``: hints when it failed.
    """

    name: str
    shape: tuple[int, ...]
    max_rel_error: float
    median_rel_error: float
    worst_index: tuple[int, ...]
    analytic_value: float
    numeric_value: float
    n_kinks: int
    passed: bool
    analytic: np.ndarray = field(repr=False)
    numeric: np.ndarray = field(repr=False)
    kinks: np.ndarray = field(repr=False)
    n_checked: int = 0
    directions: tuple[float, ...] = ()
    diagnosis: list[Hint] = field(default_factory=list)

    @property
    def band(self) -> str:
        return band(self.max_rel_error)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def sampled(self) -> bool:
        return self.n_checked < self.size

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-able values (NaN and inf become None)."""
        return {
            "name": self.name,
            "shape": list(self.shape),
            "size": self.size,
            "n_checked": self.n_checked,
            "directions": [json_float(d) for d in self.directions],
            "max_rel_error": json_float(self.max_rel_error),
            "median_rel_error": json_float(self.median_rel_error),
            "band": self.band,
            "worst_index": list(self.worst_index),
            "analytic": json_float(self.analytic_value),
            "numeric": json_float(self.numeric_value),
            "n_kinks": self.n_kinks,
            "passed": self.passed,
            "hints": _hint_dicts(self.diagnosis),
        }


@dataclass
class GradCheckReport(Diagnosed):
    """One row per checked gradient; ``passed`` when every row passed. ``notes``: what the reader should
    know about how the check ran (upcast, complex-safety, sampling)."""

    subject: str
    rows: list[GradCheckRow]
    rtol: float
    atol: float
    eps: float
    upcast: str | None = None
    method: str = "central"
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def max_rel_error(self) -> float:
        """The largest row error; NaN when any row's is NaN (a gradient backward never wrote), wherever it is."""
        errors = [row.max_rel_error for row in self.rows]
        return float("nan") if any(np.isnan(errors)) else max(errors, default=0.0)

    @property
    def n_kinks(self) -> int:
        return sum(row.n_kinks for row in self.rows)

    @property
    def diagnosis(self) -> list[Hint]:
        """Every row's hints, in row order."""
        return [h for row in self.rows for h in row.diagnosis]

    def __getitem__(self, name: str) -> GradCheckRow:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no row named {name!r}; rows: {[row.name for row in self.rows]}")

    def summary(self) -> str:
        """One line: the verdict, the worst relative error and its band, kinks skipped."""
        verdict = "PASS" if self.passed else "FAIL"
        worst = max(self.rows, key=lambda r: r.max_rel_error if np.isfinite(r.max_rel_error) else np.inf)
        kinks = f", {self.n_kinks} kink(s) skipped" if self.n_kinks else ""
        if self.max_rel_error == 0.0:
            error = "every difference within the rounding noise of the finite differences (good)"
        else:
            error = f"max relative error {self.max_rel_error:.2e} ({band(self.max_rel_error)}, in {worst.name})"
        return f"gradient check {verdict}: {self.subject}: {error}{kinks}"

    def __str__(self) -> str:
        head = f"{'gradient':<22}{'shape':<14}{'max rel err':>12}{'median':>11}  {'worst index':<14}"
        head += f"{'analytic':>13}{'numeric':>13}{'kinks':>7}  verdict"
        lines = [self.summary(), head]
        for r in self.rows:
            lines.append(
                f"{r.name:<22}{r.shape!s:<14}{r.max_rel_error:>12.2e}{r.median_rel_error:>11.1e}  "
                f"{r.worst_index!s:<14}{r.analytic_value:>13.5e}{r.numeric_value:>13.5e}{r.n_kinks:>7}  "
                f"{'ok' if r.passed else 'FAIL'} ({r.band})"
            )
        lines += [f"hint: {h.text} [{h.code}]" for h in self.diagnosis]
        lines += [f"note: {note}" for note in self.all_notes]
        return "\n".join(lines)

    @property
    def all_notes(self) -> list[str]:
        """The upcast note, the method's notes, and one line per sampled tensor."""
        sampled = [
            f"{r.name}: {r.size} entries: {r.n_checked} sampled entries and {len(r.directions)} random "
            "directions (uᵀ∇L) checked"
            for r in self.rows
            if r.sampled
        ]
        return ([self.upcast] if self.upcast else []) + self.notes + sampled

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-able values (the schema is in docs/gradcheck.md)."""
        return {
            "subject": self.subject,
            "passed": self.passed,
            "max_rel_error": json_float(self.max_rel_error),
            "band": band(self.max_rel_error),
            "n_kinks": self.n_kinks,
            "method": self.method,
            "eps": self.eps,
            "rtol": self.rtol,
            "atol": self.atol,
            "notes": self.all_notes,
            "hints": _hint_dicts(self.diagnosis),
            "rows": [row.to_dict() for row in self.rows],
        }


@dataclass
class LayerwiseReport(Diagnosed):
    """A model checked one leaf layer at a time, each with its own random upstream gradient.

    ``layers``: (path, report) in forward order; ``first_failure``: the path of the first failing layer.
    """

    subject: str
    layers: list[tuple[str, GradCheckReport]]
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(report.passed for _, report in self.layers)

    @property
    def first_failure(self) -> str | None:
        return next((path for path, report in self.layers if not report.passed), None)

    @property
    def diagnosis(self) -> list[Hint]:
        return [Hint(h.code, f"{path}: {h.text}") for path, report in self.layers for h in report.diagnosis]

    def __getitem__(self, path: str) -> GradCheckReport:
        for name, report in self.layers:
            if name == path:
                return report
        raise KeyError(f"no layer at {path!r}; layers: {[name for name, _ in self.layers]}")

    def summary(self) -> str:
        failing = [path for path, report in self.layers if not report.passed]
        if not failing:
            return f"layer-by-layer check PASS: {self.subject}: all {len(self.layers)} layers pass"
        first = self[failing[0]]
        return (
            f"layer-by-layer check FAIL: {self.subject}: first failing layer {failing[0]} ({first.subject}); "
            f"{len(failing)} of {len(self.layers)} layers fail"
        )

    def __str__(self) -> str:
        lines = [self.summary(), f"{'layer':<16}{'subject':<30}{'max rel err':>12}{'kinks':>7}  verdict"]
        for path, r in self.layers:
            verdict = "ok" if r.passed else "FAIL"
            lines.append(
                f"{path:<16}{r.subject:<30}{r.max_rel_error:>12.2e}{r.n_kinks:>7}  {verdict} ({band(r.max_rel_error)})"
            )
        if self.first_failure is not None:
            lines += ["", f"first failing layer {self.first_failure}:", str(self[self.first_failure])]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "passed": self.passed,
            "first_failure": self.first_failure,
            "notes": self.notes,
            "layers": [{"path": path, **report.to_dict()} for path, report in self.layers],
        }


@dataclass
class EpsSweep:
    """The relative error max_i |n_i − a_i| / max(|n_i|, |a_i|) of a numeric dL/dx against backward's (the
    table's formula, without its noise floor), for every step eps.

    ``errors[label]``: one error per eps, for "central float64", "central float32", "richardson float64"
    and "complex step" (NaN where the layer refuses complex numbers, with a note).
    """

    subject: str
    eps: np.ndarray
    errors: dict[str, np.ndarray]
    notes: list[str] = field(default_factory=list)

    def best(self, label: str) -> tuple[float, float]:
        """(eps, error) at the smallest error of one method."""
        errors = np.where(np.isnan(self.errors[label]), np.inf, self.errors[label])
        k = int(np.argmin(errors))
        return float(self.eps[k]), float(self.errors[label][k])

    def __str__(self) -> str:
        labels = list(self.errors)
        lines = [
            f"eps sweep: relative error of dL/dx for {self.subject}",
            f"{'eps':>9}" + "".join(f"{s:>20}" for s in labels),
        ]
        for k, eps in enumerate(self.eps):
            lines.append(f"{eps:>9.0e}" + "".join(f"{self.errors[s][k]:>20.2e}" for s in labels))
        lines += [f"best {s}: {self.best(s)[1]:.1e} at eps {self.best(s)[0]:.0e}" for s in labels]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "eps": [float(e) for e in self.eps],
            "errors": {s: [json_float(v) for v in values] for s, values in self.errors.items()},
            "notes": self.notes,
        }
