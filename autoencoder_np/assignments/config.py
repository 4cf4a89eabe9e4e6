"""``assignment.json``: the title, the parts and points, and the time limit per check.

Written by ``create`` into the workspace; the teacher may edit the points (0 leaves a function out of the
total) and the time limit. JSON, so Python 3.10 reads it without tomllib::

    {
      "title": "Backprop by hand",
      "timeout": 30,
      "parts": {"dense": {"dense.forward": 1, "dense.backward": 3}, "adam": {"adam.step": 3}}
    }
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import PARTS

FILENAME = "assignment.json"
DEFAULT_TIMEOUT = 30.0  # seconds per function: a correct check takes well under one


@dataclass
class Config:
    """``parts[part][function]`` = points; ``timeout``: seconds each function's check may take."""

    title: str
    parts: dict[str, dict[str, float]]
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def default(cls, parts: list[str], title: str) -> Config:
        """The catalogue's default points for ``parts``."""
        return cls(title, {name: dict(PARTS[name].points) for name in parts})

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "timeout": self.timeout, "parts": self.parts}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def number(value: Any, where: str, *, positive: bool) -> float:
    """``value`` as a float if it is a finite number ≥ 0 (> 0 when ``positive``); else ValueError naming where."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where} must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{where} must be {'> 0' if positive else '≥ 0'}, got {value!r}")
    return float(value)


def load(path: Path) -> Config:
    """Read and validate ``path``; ValueError naming the file and the key when something is off."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} not found: grade a directory made by `assignment create`, or pass --config"
        ) from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or not isinstance(data.get("parts"), dict) or not data["parts"]:
        raise ValueError(f"{path}: expected an object with a non-empty 'parts' object")
    parts: dict[str, dict[str, float]] = {}
    for name, points in data["parts"].items():
        if name not in PARTS:
            raise ValueError(f"{path}: unknown part {name!r}; the parts are {', '.join(PARTS)}")
        if not isinstance(points, dict):
            raise ValueError(f"{path}: parts.{name} must map functions to points, got {points!r}")
        stray = [f for f in points if f not in PARTS[name].points]
        if stray:
            raise ValueError(
                f"{path}: parts.{name} has no function {stray[0]!r}; it has {', '.join(PARTS[name].points)}"
            )
        parts[name] = {f: number(p, f"{path}: parts.{name}.{f}", positive=False) for f, p in points.items()}
    timeout = number(data.get("timeout", DEFAULT_TIMEOUT), f"{path}: timeout", positive=True)
    return Config(str(data.get("title", "")), parts, timeout)
