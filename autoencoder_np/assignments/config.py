"""The grading config: which functions, their points, the share of each criterion, the seeds, the time limit.

``assignment create`` writes two copies. The teacher's, ``grading.json`` in the teacher folder, holds the
hidden seeds and is the one ``grade`` reads. The handout's, ``assignment.json``, holds the public seed only
and drives the students' self-check; editing it changes nothing the teacher's grade does. JSON, so Python
3.10 reads it without tomllib::

    {
      "schema": "autoencoder_np.grading/1",
      "title": "Backprop by hand",
      "version": "0.1.0",
      "timeout": 30,
      "seeds": {"public": 1234, "hidden": [5678, 9012]},
      "functions": {
        "dense.backward": {"points": 3, "shares": {"dL/dW": 1, "dL/db": 1, "dL/dx": 1},
                           "where": ["autoencoder_np/textbook/dense.py", "dense_backward"]},
        "adam.step": {"points": 3, "shares": {"no decay": 1, "L2 decay": 1, "decoupled decay": 1},
                      "where": ["autoencoder_np/textbook/optimizers.py", "adam_step"]}
      }
    }

A function's points split between its criteria in proportion to the shares (0 points leaves it out of the
total; a share of 0 makes a criterion count for nothing). ``where``: the file and function holding it, from
the solution markers (``markers.package_regions``) when ``create`` ran: the files a submission must hold.
``version``: the autoencoder_np that wrote it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import PARTS, part_of
from .checks import CHECKS

SCHEMA = "autoencoder_np.grading/1"
TEACHER_FILE = "grading.json"
HANDOUT_FILE = "assignment.json"
DEFAULT_TIMEOUT = 30.0  # seconds per function: a correct one takes well under one


@dataclass
class Assigned:
    """An assigned function: its points, the relative share of each criterion, and where it lives."""

    points: float
    shares: dict[str, float]
    file: str = ""  # e.g. "autoencoder_np/textbook/dense.py", relative to the handout
    qualname: str = ""  # e.g. "dense_backward"

    def split(self) -> dict[str, float]:
        """The points of each criterion: points × share / Σ shares."""
        total = sum(self.shares.values())
        return {name: self.points * share / total if total else 0.0 for name, share in self.shares.items()}


@dataclass
class Config:
    """See the module docstring; ``hidden_seeds`` is empty in a handout's copy."""

    title: str
    functions: dict[str, Assigned]
    public_seed: int
    hidden_seeds: list[int] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT
    version: str = ""

    @classmethod
    def default(cls, parts: list[str], title: str, seeds: list[int], version: str, regions: dict[str, Any]) -> Config:
        """The catalogue's points for ``parts``, equal shares; ``seeds``: the public one, then the hidden ones.

        ``regions``: ``markers.package_regions`` of the package the handout is made from.
        """
        functions = {
            function: Assigned(
                float(points),
                dict.fromkeys(CHECKS[function].criteria, 1.0),
                regions[function].path,
                regions[function].qualname,
            )
            for name in parts
            for function, points in PARTS[name].points.items()
        }
        return cls(title, functions, seeds[0], list(seeds[1:]), DEFAULT_TIMEOUT, version)

    @property
    def parts(self) -> list[str]:
        return list(dict.fromkeys(part_of(f) for f in self.functions))

    @property
    def max_total(self) -> float:
        return sum(p.points for p in self.functions.values())

    def for_students(self) -> Config:
        """The handout's copy: the same points, no hidden seeds."""
        return Config(self.title, self.functions, self.public_seed, [], self.timeout, self.version)

    def to_dict(self) -> dict[str, Any]:
        seeds: dict[str, Any] = {"public": self.public_seed}
        if self.hidden_seeds:
            seeds["hidden"] = self.hidden_seeds
        return {
            "schema": SCHEMA,
            "title": self.title,
            "version": self.version,
            "timeout": self.timeout,
            "seeds": seeds,
            "functions": {
                f: {"points": p.points, "shares": p.shares, "where": [p.file, p.qualname]}
                for f, p in self.functions.items()
            },
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def number(value: Any, where: str, *, positive: bool) -> float:
    """``value`` as a float if it is a finite number ≥ 0 (> 0 when ``positive``); else ValueError naming where."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where} must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{where} must be {'> 0' if positive else '≥ 0'}, got {value!r}")
    return float(value)


def _seed(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise ValueError(f"{where} must be an integer in [0, 2**63), got {value!r}")
    return value


def _assigned(function: str, entry: Any, where: str) -> Assigned:
    if not isinstance(entry, dict) or "points" not in entry:
        raise ValueError(f'{where}: expected {{"points": …, "shares": {{…}}, "where": […]}}, got {entry!r}')
    criteria = CHECKS[function].criteria
    shares = entry.get("shares", dict.fromkeys(criteria, 1.0))
    if not isinstance(shares, dict) or set(shares) != set(criteria):
        raise ValueError(f"{where}.shares must give a share to each of {', '.join(criteria)}, got {shares!r}")
    place = entry.get("where")
    if not (isinstance(place, list) and len(place) == 2 and all(isinstance(p, str) and p for p in place)):
        raise ValueError(
            f'{where}.where must be [file, function], e.g. ["autoencoder_np/textbook/dense.py", "dense_forward"]'
        )
    if place[0].startswith("/") or ".." in place[0].split("/"):
        raise ValueError(f"{where}.where: {place[0]!r} is not a path inside the package")
    return Assigned(
        number(entry["points"], f"{where}.points", positive=False),
        {name: number(shares[name], f"{where}.shares.{name}", positive=False) for name in criteria},
        place[0],
        place[1],
    )


def load(path: Path) -> Config:
    """Read and validate ``path``; ValueError naming the file and the key when something is off."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("functions"), dict) or not data["functions"]:
        raise ValueError(f"{path}: expected an object with a non-empty 'functions' object")
    seeds = data.get("seeds")
    if not isinstance(seeds, dict) or "public" not in seeds or not isinstance(seeds.get("hidden", []), list):
        raise ValueError(f'{path}: expected \'seeds\': {{"public": N, "hidden": [N, …]}}, got {seeds!r}')
    functions: dict[str, Assigned] = {}
    for function, entry in data["functions"].items():
        if function not in CHECKS:
            raise ValueError(f"{path}: unknown function {function!r}; `assignment list` shows them")
        functions[function] = _assigned(function, entry, f"{path}: functions.{function}")
    return Config(
        str(data.get("title", "")),
        functions,
        _seed(seeds["public"], f"{path}: seeds.public"),
        [_seed(s, f"{path}: seeds.hidden") for s in seeds.get("hidden", [])],
        number(data.get("timeout", DEFAULT_TIMEOUT), f"{path}: timeout", positive=True),
        str(data.get("version", "")),
    )
