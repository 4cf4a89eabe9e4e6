"""A graded submission: each function's score, criterion by criterion, as a table, feedback and JSON.

Status of a function: ``correct`` (every criterion passes), ``partly correct``, ``wrong``, ``not
implemented`` (it still raises NotImplementedError) or ``not submitted`` (its file is not in the
submission). Points are earned criterion by criterion (see ``config.Points``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

JSON_SCHEMA = "autoencoder_np.assignment/2"


def fmt(points: float) -> str:
    """Points as people write them: 3, 0.5, 2.67."""
    return f"{round(points, 2):g}"


@dataclass
class Criterion:
    """One share of a function's points. ``failed_on``: "public", "hidden" or "" (passed)."""

    name: str
    points: float
    max_points: float
    failed_on: str = ""
    case: str = ""  # the case it failed on
    detail: str = ""
    hints: list[dict[str, str]] = field(default_factory=list)

    @property
    def why(self) -> list[str]:
        """The hints (code in brackets), then the detail and the case."""
        where = f"{self.failed_on} check: {self.case}" if self.case else f"{self.failed_on} checks"
        return [f"{h['text']} [{h['code']}]" for h in self.hints] + [f"{self.detail} ({where})"]


@dataclass
class Score:
    """One function: points earned of ``max_points``, its status, and each criterion."""

    part: str
    function: str
    points: float
    max_points: float
    status: str
    detail: str = ""  # why, when the function as a whole failed (not submitted, timeout, no import)
    criteria: list[Criterion] = field(default_factory=list)
    file: str = ""  # the submission's file graded
    seconds: float = 0.0

    @property
    def failed(self) -> list[Criterion]:
        return [c for c in self.criteria if c.failed_on]

    def why(self) -> list[str]:
        """The lines that explain a score below full: the function's detail, or each failed criterion's."""
        if self.detail:
            return [self.detail]
        lines = []
        for c in self.failed:
            first, *rest = c.why
            lines += [f"{c.name} {fmt(c.points)} / {fmt(c.max_points)}: {first}", *rest]
        return lines


@dataclass
class Grades:
    """Every function's score for one submission."""

    title: str
    submission: str
    version: str  # the autoencoder_np that graded it
    checks: str  # "public and hidden" (the teacher's grade) or "public" (the self-check)
    scores: list[Score]

    @property
    def total(self) -> float:
        return sum(s.points for s in self.scores)

    @property
    def max_total(self) -> float:
        return sum(s.max_points for s in self.scores)

    @property
    def full_marks(self) -> bool:
        return all(s.status == "correct" for s in self.scores if s.max_points > 0)

    def __getitem__(self, function: str) -> Score:
        for score in self.scores:
            if score.function == function:
                return score
        raise KeyError(function)

    @property
    def head(self) -> str:
        return f"{self.title}: {self.submission} (autoencoder_np {self.version}; {self.checks} checks)"

    @property
    def foot(self) -> str:
        return f"total {fmt(self.total)} / {fmt(self.max_total)}" + (": full marks" if self.full_marks else "")

    def __str__(self) -> str:
        """The score table: one line a function, and the reasons under a score below full."""
        widths = (
            max(len("part"), *(len(s.part) for s in self.scores)),
            max(len("function"), *(len(s.function) for s in self.scores)),
        )
        margin = " " * (widths[0] + widths[1] + 30)  # under "why"
        lines = [self.head, "", f"{'part':<{widths[0]}}  {'function':<{widths[1]}}   points  {'status':<15}  why"]
        for s in self.scores:
            why = s.why() if s.status != "correct" else []
            points = f"{fmt(s.points)} / {fmt(s.max_points)}"
            lines.append(
                f"{s.part:<{widths[0]}}  {s.function:<{widths[1]}}  {points:>7}  {s.status:<15}  {(why or [''])[0]}"
            )
            lines += [f"{margin}{text}" for text in why[1:]]
        lines += ["", self.foot]
        return "\n".join(line.rstrip() for line in lines)

    def feedback(self) -> str:
        """For the student: every function, every criterion with its points, and what to fix."""
        lines = [self.head, ""]
        for s in self.scores:
            where = f" ({s.file})" if s.file else ""
            lines.append(f"{s.function}{where}: {fmt(s.points)} / {fmt(s.max_points)}, {s.status}")
            if s.detail:
                lines.append(f"    {s.detail}")
            for c in s.criteria:
                mark = "✗" if c.failed_on else "✓"
                lines.append(f"  {mark} {c.name}: {fmt(c.points)} / {fmt(c.max_points)}")
                lines += [f"      {text}" for text in (c.why if c.failed_on and not s.detail else [])]
        return "\n".join([*lines, "", self.foot, ""])

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": JSON_SCHEMA,
            "autoencoder_np": self.version,
            "title": self.title,
            "submission": self.submission,
            "checks": self.checks,
            "total": self.total,
            "max_total": self.max_total,
            "full_marks": self.full_marks,
            "scores": [asdict(s) for s in self.scores],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grades:
        scores = [
            Score(**{**s, "criteria": [Criterion(**c) for c in s["criteria"]]})  # type: ignore[arg-type]
            for s in data["scores"]
        ]
        return cls(data["title"], data["submission"], data["autoencoder_np"], data["checks"], scores)
