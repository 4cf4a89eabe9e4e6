"""Print the floors of pyproject.toml's run-time dependencies as exact pins: ``numpy==1.24 matplotlib==3.6``.

.ci/dist installs them to test the oldest versions the metadata allows. Every run-time dependency must
declare its floor as ``name>=version`` (no other form), so that the floor is what gets tested.
"""

import re
import sys
from pathlib import Path

import tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def floors() -> list[str]:
    pins = []
    for requirement in tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)", requirement.replace(" ", ""))
        if match is None:
            sys.exit(f"pyproject.toml: {requirement!r} must read name>=version so that its floor can be tested")
        pins.append(f"{match[1]}=={match[2]}")
    return pins


if __name__ == "__main__":
    print(" ".join(floors()))
