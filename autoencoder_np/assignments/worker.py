"""The student's process: ``python -I worker.py SPEC.json`` runs one function's cases and writes numbers.

Started by ``grading.py`` for each function, with a time limit. SPEC.json holds ``root`` (a directory
holding the student's ``autoencoder_np/``: the teacher's clean copy with the submitted files laid over
it, or a student's own workspace for the self-check), ``module`` and ``function`` (the check),
``cases`` (an .npz of inputs), ``outputs`` (the .npz to write), ``report`` (the .json to write) and
``files`` (the submitted files: their path here, their name in the submission, the functions in them).

This process computes and nothing else: it calls the student's code on each case and writes what came back
as plain arrays (``outputs``), with what went wrong per case (``report``). The grader reads both with
``allow_pickle=False`` and judges them in its own process, which never imported the student's code. So a
student's code that monkeypatches anything here, or writes files, can only change the numbers it hands back.

The package's ``__init__.py`` does not run (the package is set up empty over its directory), so a file
that does not import costs only the functions whose checks import it. Before the package is set up this
file imports nothing outside the standard library and NumPy.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import importlib.util
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np


def empty_package(name: str, directory: Path) -> None:
    """Register ``name`` as a package over ``directory`` without running its ``__init__.py``."""
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(directory)]
    sys.modules[name] = importlib.util.module_from_spec(spec)


def function_lines(source: str, qualnames: list[str]) -> list[tuple[int, int]]:
    """(first line, last line) of each function of ``source`` named in ``qualnames`` ("Dense.backward")."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[tuple[int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if name in qualnames and not isinstance(child, ast.ClassDef):
                    found.append((child.lineno, child.end_lineno or child.lineno))
                visit(child, f"{name}.")

    visit(tree, "")
    return found


class Files:
    """The submitted files: where a traceback line is, in the names the student knows."""

    def __init__(self, files: list[dict[str, Any]]) -> None:
        self.display = {str(Path(f["path"]).resolve()): f["display"] for f in files}
        self.lines = {
            str(Path(f["path"]).resolve()): function_lines(
                Path(f["path"]).read_text(encoding="utf-8", errors="replace"), f["functions"]
            )
            for f in files
        }

    def name(self, filename: str) -> str:
        return self.display.get(str(Path(filename).resolve()), Path(filename).name)

    def describe(self, err: BaseException) -> str:
        """``Type: message (at file:line, in function)``: the line in the student's function, if any.

        The frame is the innermost one inside an assigned function of a submitted file; failing that, the
        innermost in a submitted file; failing that, none (the error came from elsewhere).
        """
        if isinstance(err, SyntaxError) and err.filename:
            return f"SyntaxError: {err.msg} (at {self.name(err.filename)}, line {err.lineno})"
        text = f"{type(err).__name__}: {err}"
        frames = traceback.extract_tb(err.__traceback__)
        submitted = [f for f in frames if str(Path(f.filename).resolve()) in self.display]
        inside = [
            f
            for f in submitted
            if any(first <= (f.lineno or 0) <= last for first, last in self.lines[str(Path(f.filename).resolve())])
        ]
        chosen = (inside or submitted or [None])[-1]
        if chosen is not None:
            text += f" (at {self.name(chosen.filename)}:{chosen.lineno}, in {chosen.name})"
        return text


def plain(name: str, value: Any, files: Files) -> np.ndarray | None:
    """What the student's code returned as an array of numbers (None stays None); TypeError otherwise.

    An exception in place of a value (a check that grades what came before it, ``checks.protocol.raised``)
    becomes its description, a string array.
    """
    if value is None:
        return None
    if isinstance(value, BaseException):
        return np.array(files.describe(value))
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} is {type(value).__name__} of dtype {array.dtype}, not an array of real numbers")
    return array


def compute(check: Any, cases: list[Any], files: Files, package: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the report, the outputs of each case): ``check.compute`` on every case, each failure described.

    ``package``: the student's ``autoencoder_np/`` (to name a file that does not import).
    """
    protocol = importlib.import_module("autoencoder_np.assignments.checks.protocol")
    report: dict[str, Any] = {"status": "ran", "message": "", "errors": [], "none": []}
    outputs: list[dict[str, Any]] = []
    for case in cases:
        error, arrays, nones = "", {}, []
        try:
            with np.errstate(all="ignore"):  # an overflow in the student's code shows in the values it returns
                returned = check.compute(case.inputs)
            for key, value in returned.items():
                arrays[key] = plain(key, value, files)
            nones = [key for key, value in arrays.items() if value is None]
        except NotImplementedError as err:
            report.update(status="not implemented", message=str(err) or "NotImplementedError")
            break
        except protocol.StudentImportError as err:
            path = files.name(str(package / (err.module.replace(".", "/") + ".py")))
            report.update(status="does not import", message=f"{path} does not import: {files.describe(err.__cause__)}")
            break
        except SyntaxError as err:  # a file imported on first use (the textbook kernels are) that does not parse
            path = files.name(err.filename or "a file")
            report.update(status="does not import", message=f"{path} does not import: {files.describe(err)}")
            break
        except Exception as err:  # the student's code may raise anything: it is this case's failure
            error = files.describe(err)
        outputs.append({key: value for key, value in arrays.items() if value is not None})
        report["errors"].append(error)
        report["none"].append(nones)
    return report, outputs


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    sys.dont_write_bytecode = True  # leave no __pycache__ in the student's files
    root = Path(spec["root"])
    sys.path.insert(0, str(root))
    empty_package("autoencoder_np", root / "autoencoder_np")
    protocol = importlib.import_module("autoencoder_np.assignments.checks.protocol")
    check = importlib.import_module("autoencoder_np.assignments.checks").CHECKS[spec["function"]]
    cases = protocol.load_cases(Path(spec["cases"]))
    report, outputs = compute(check, cases, Files(spec["files"]), root / "autoencoder_np")
    protocol.save_outputs(Path(spec["outputs"]), outputs)
    Path(spec["report"]).write_text(json.dumps(report), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
