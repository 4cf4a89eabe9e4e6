"""One function's checks in a process of its own: ``python worker.py SPEC.json`` (started by ``grading.py``).

SPEC.json holds ``student`` (the workspace directory), ``grader`` (the package directory whose checks
run), ``function``, ``seed`` and ``result`` (where to write the outcome as JSON).

Neither package's ``__init__.py`` runs: each is set up as an empty package over its directory, and only
the modules a check needs are imported. So a file that does not import costs only the functions whose
checks need it. The student's package is ``autoencoder_np`` with the workspace first on ``sys.path`` (the
installed one is never used); the grader's is ``_grader``, so the two never mix. This file imports
nothing outside the standard library.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path


def empty_package(name: str, directory: Path) -> None:
    """Register ``name`` as a package over ``directory`` without running its ``__init__.py``."""
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    sys.modules[name] = importlib.util.module_from_spec(spec)


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    sys.dont_write_bytecode = True  # leave no __pycache__ in the student's workspace
    sys.path[0] = spec["student"]  # instead of this script's directory
    empty_package("autoencoder_np", Path(spec["student"]) / "autoencoder_np")
    empty_package("_grader", Path(spec["grader"]))
    try:
        checks = importlib.import_module("_grader.assignments.checks")
    except Exception as err:  # in a workspace the grader is the student's copy: it may not import either
        outcome = {"status": "wrong", "detail": f"the grader does not import: {type(err).__name__}: {err}", "hints": []}
    else:
        outcome = checks.run(spec["function"], spec["seed"])
    Path(spec["result"]).write_text(json.dumps(outcome), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
