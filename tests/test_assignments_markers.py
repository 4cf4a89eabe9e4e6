"""Assignments without subprocesses: markers and the stripper, the catalogue, the config, the checks in-process."""

from __future__ import annotations

import functools
import inspect
import json
import textwrap
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from helpers import seeds
from hypothesis import given, settings

import autoencoder_np as ae
from autoencoder_np.assignments import checks, config, reference
from autoencoder_np.assignments.catalogue import PARTS, parse_parts
from autoencoder_np.assignments.grading import in_process
from autoencoder_np.assignments.markers import MarkerError, find_regions, package_regions, strip
from autoencoder_np.assignments.workspace import PACKAGE
from autoencoder_np.cli import main
from autoencoder_np.gradcheck import HINT_CODES

SOURCE = '''\
"""A docstring may quote the markers:
    # BEGIN SOLUTION not.a_region
"""

import math

import numpy as np


class Scale:
    def forward(self, x):
        y = self.cache["y"]
        factor = math.sqrt(2.0)
        # BEGIN SOLUTION scale.forward
        # HINT: multiply "x" by the factor;
        # HINT: then add y.
        return x * factor + np.asarray(y)
        # END SOLUTION

    def backward(self, grad_y):
        w, _ = self.cache["w"], 0
        first, *rest = self.cache["pair"]
        # BEGIN SOLUTION scale.backward
        return grad_y * w * first * len(rest)
        # END SOLUTION
'''


def test_regions_are_found_with_their_hint_and_function() -> None:
    forward, backward = find_regions(SOURCE, "scale.py")
    assert (forward.id, forward.qualname, forward.begin, forward.end) == ("scale.forward", "Scale.forward", 14, 18)
    assert forward.hint == 'multiply "x" by the factor; then add y.'
    assert (backward.id, backward.hint, backward.qualname) == ("scale.backward", "", "Scale.backward")
    assert backward.message == "scale.backward: not implemented yet"


def test_strip_raises_the_hint_and_marks_the_scaffolding_noqa() -> None:
    stripped = strip(SOURCE, {"scale.forward", "scale.backward"}, "scale.py")
    assert "BEGIN SOLUTION scale" not in stripped
    assert "return x * factor" not in stripped
    raised = """        raise NotImplementedError('scale.forward: multiply "x" by the factor; then add y.')\n"""
    assert raised in stripped  # single quotes, as ruff prefers for a string holding double quotes
    assert '        raise NotImplementedError("scale.backward: not implemented yet")\n' in stripped
    # The set-up lines stay; ruff would call them unused, so they carry the code it would report.
    assert '        y = self.cache["y"]  # noqa: F841\n' in stripped
    assert "        factor = math.sqrt(2.0)  # noqa: F841\n" in stripped
    assert '        w, _ = self.cache["w"], 0  # noqa: F841\n' in stripped
    assert '        first, *rest = self.cache["pair"]  # noqa: RUF059\n' in stripped
    assert "import numpy as np  # noqa: F401\n" in stripped
    assert "import math\n" in stripped  # still used outside the regions
    assert "# BEGIN SOLUTION not.a_region" in stripped  # a docstring is not a marker
    compile(stripped, "scale.py", "exec")


def test_strip_keeps_unchosen_regions_and_wraps_a_long_hint() -> None:
    source = SOURCE.replace("# HINT: then add y.", "# HINT: " + "then add y, " * 12 + "done.")
    stripped = strip(source, {"scale.forward"}, "scale.py")
    assert "return grad_y * w * first * len(rest)" in stripped
    lines = stripped.splitlines()
    start = lines.index("        raise NotImplementedError(")
    assert lines[start + 1].startswith('            \'scale.forward: multiply "x"')
    assert lines[start + 3] == "        )"
    assert max(map(len, lines)) <= 120
    assert stripped.count("then add y") == 12


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("# BEGIN SOLUTION a.b\nx = 1\n", "scale.py:1: BEGIN SOLUTION a.b has no END SOLUTION"),
        ("x = 1\n# END SOLUTION\n", "scale.py:2: END SOLUTION without a BEGIN SOLUTION"),
        (
            "# BEGIN SOLUTION a.b\n# BEGIN SOLUTION a.c\nx = 1\n# END SOLUTION\n",
            "scale.py:2: BEGIN SOLUTION inside region 'a.b' (line 1)",
        ),
        (
            "if True:\n    # BEGIN SOLUTION a.b\n    x = 1\n# END SOLUTION\n",
            "scale.py:4: END SOLUTION is not indented like its BEGIN (line 2)",
        ),
        ("# BEGIN SOLUTION a.b\n# HINT: h\n# END SOLUTION\n", "scale.py:1: region 'a.b' is empty"),
        ("# BEGIN SOLUTION a.b\nx = 1\n# HINT: late\n# END SOLUTION\n", "scale.py:3: a HINT line must follow"),
        ("# BEGIN SOLUTION Dense\nx = 1\n# END SOLUTION\n", "scale.py:1: region id 'Dense' is not like"),
        ("def f(:\n    pass\n", "scale.py:1: not valid Python"),
    ],
)
def test_unbalanced_markers_name_the_file_and_line(source: str, message: str) -> None:
    with pytest.raises(MarkerError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        find_regions(source, "scale.py")


def test_a_region_id_appears_once_in_a_package(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    for name in ("a.py", "b.py"):
        (package / name).write_text("# BEGIN SOLUTION x.y\nz = 1\n# END SOLUTION\n")
    with pytest.raises(MarkerError, match=r"pkg/b.py:1: region 'x.y' also at pkg/a.py:1"):
        package_regions(package)


def test_the_catalogue_the_checks_the_reference_and_the_source_agree() -> None:
    regions = package_regions(PACKAGE)
    catalogued = [f for part in PARTS.values() for f in part.points]
    assert len(catalogued) == len(set(catalogued)), "a function belongs to one part only"
    assert set(regions) == set(catalogued), "every solution region is in a part, every part's function exists"
    assert set(checks.CHECKS) == set(catalogued), "every function has its checks"
    assert set(reference.EXPECT) == set(catalogued), "and its expectations"
    assert {"dense", "activations", "losses", "adam", "autoencoder", "masked-loss"} <= set(PARTS)


def test_each_part_has_its_own_module_of_checks_none_over_400_lines() -> None:
    folder = PACKAGE / "assignments" / "checks"
    parts = {module.__name__.rpartition(".")[2]: module for module in checks.PART_MODULES}
    assert set(parts) == {"dense", "activations", "losses", "masked_loss", "autoencoder", "adam"}
    assert sorted(c.function for m in parts.values() for c in m.CHECKS) == sorted(checks.CHECKS)
    for module in [*folder.glob("*.py"), *(PACKAGE / "assignments").glob("*.py")]:
        assert len(module.read_text().splitlines()) <= 400, module


@given(seed=seeds)
def test_every_check_passes_on_the_reference_implementation(seed: int) -> None:
    """No false failure: the package's own functions earn every share, public and hidden, on any seed."""
    for function in checks.CHECKS:
        score = in_process(function, seed)
        assert (score.status, score.points) == ("correct", 1.0), (function, score.why())


ADAM_WITHOUT_BIAS_CORRECTION = """
if weight_decay and not decoupled:
    g = g + weight_decay * p
m = beta1 * m + (1 - beta1) * g
v = beta2 * v + (1 - beta2) * g**2
if decoupled:
    p = p * (1 - lr * weight_decay)
p = p - lr * m / (np.sqrt(v) + eps)
return p, m, v
"""

#: name -> (function, the mutant's body (of the textbook function), the criteria it fails, its first hint code)
MUTATIONS = {
    "missing bias sum": (
        "dense.backward",
        """
x, W = cache["x"], cache["W"]
grad_x = grad_y @ W.T
grad_W = x.T @ grad_y
grad_b = grad_y[0]
return grad_x, grad_W, grad_b
""",
        {"dL/db"},
        "bias_sum",
    ),
    "missing transpose": (
        "dense.backward",
        """
x, W = cache["x"], cache["W"]
grad_x = grad_y @ W
grad_W = x.T @ grad_y
grad_b = grad_y.sum(axis=0)
return grad_x, grad_W, grad_b
""",
        {"dL/dW", "dL/db", "dL/dx"},  # it raises where W is not square: no gradient comes back there
        "transpose",
    ),
    "sign flip": ("mse.backward", "return 2.0 * (target - pred)", {"value"}, "sign"),
    "missing 1/N": (
        "loss.masked_mean_backward",
        "return dell if mask is None else dell * mask",
        {"unmasked", "masked"},
        "batch_mean",
    ),
    "model walk without the input_grad stop": (
        "model.backward",
        """
grad = grad_y
for layer in reversed(layers):
    grad = layer.backward(grad)
return grad
""",
        {"input_grad stop"},
        "input_grad",
    ),
    "Adam without bias correction": (
        "adam.step",
        ADAM_WITHOUT_BIAS_CORRECTION,
        {"no decay", "L2 decay", "decoupled decay"},
        "bias_correction",
    ),
}


@functools.cache
def _as_function(function: str, body: str) -> tuple[str, object]:
    """(name, the mutant as a function) of a textbook function, for patching the installed package in-process."""
    name = package_regions(PACKAGE)[function].qualname
    signature = inspect.signature(getattr(ae.textbook, name))
    namespace: dict[str, object] = {"np": np}
    exec(f"def {name}{signature}:\n" + textwrap.indent(body.strip("\n"), "    "), namespace)
    return name, namespace[name]


@settings(max_examples=10)  # 6 mutants each: 60 graded runs
@given(seed=seeds)
def test_every_mutation_loses_its_shares_with_its_hint_on_any_seed(seed: int) -> None:
    """Each planted mistake costs exactly the criteria it breaks, named by its hint code, whatever the numbers."""
    for name, (function, body, failing, code) in MUTATIONS.items():
        name, mutant = _as_function(function, body)
        with mock.patch.object(ae.textbook, name, mutant):  # the checks run the textbook kernels
            score = in_process(function, seed)
        assert {c.name for c in score.failed} == failing, (name, score.why())
        assert score.points == pytest.approx(1.0 - len(failing) / len(score.criteria)), name
        named = [c for c in score.failed if c.hints]
        assert named, (name, score.why())
        for criterion in named:  # the others failed on an exception, which names the student's line
            assert criterion.hints[0]["code"] == code, (name, criterion)
            assert {h["code"] for h in criterion.hints} <= set(checks.HINT_CODES) | set(HINT_CODES)


def test_parts_are_parsed_by_name_or_all() -> None:
    assert parse_parts("adam, dense", "here") == ["dense", "adam"]  # catalogue order
    assert parse_parts("all", "here") == list(PARTS)
    with pytest.raises(ValueError, match=r"here: unknown part\(s\) 'conv'; choose from dense, activations"):
        parse_parts("dense,conv", "here")


WHERE = ["autoencoder_np/textbook/dense.py", "dense_forward"]
GOOD = {"seeds": {"public": 1, "hidden": [2]}, "functions": {"dense.forward": {"points": 1, "where": WHERE}}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ({**GOOD, "functions": {}}, "expected an object with a non-empty 'functions' object"),
        ({**GOOD, "functions": {"conv.forward": {"points": 1}}}, "unknown function 'conv.forward'"),
        ({**GOOD, "functions": {"dense.forward": 1}}, r"functions.dense.forward: expected \{\"points\""),
        (
            {**GOOD, "functions": {"dense.forward": {"points": -1, "where": WHERE}}},
            r"functions.dense.forward.points must be ≥ 0, got -1",
        ),
        (
            {**GOOD, "functions": {"dense.backward": {"points": 3, "shares": {"dL/dW": 1}, "where": WHERE}}},
            r"shares must give a share to each of dL/dW, dL/db, dL/dx",
        ),
        ({**GOOD, "functions": {"dense.forward": {"points": 1}}}, r"where must be \[file, function\]"),
        (
            {**GOOD, "functions": {"dense.forward": {"points": 1, "where": ["../../etc/passwd", "f"]}}},
            "is not a path inside the package",
        ),
        ({**GOOD, "seeds": {"hidden": [2]}}, "expected 'seeds'"),
        ({**GOOD, "seeds": {"public": -1}}, r"seeds.public must be an integer"),
        ({**GOOD, "timeout": 0}, r"timeout must be > 0, got 0"),
    ],
)
def test_a_bad_config_names_the_file_and_key(tmp_path: Path, content: object, message: str) -> None:
    path = tmp_path / "grading.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(ValueError, match=message):
        config.load(path)


def test_config_round_trips_and_splits_points_by_share(tmp_path: Path) -> None:
    made = config.Config.default(["dense", "adam"], "HW", [1, 2, 3], "0.1.0", package_regions(PACKAGE))
    made.functions["dense.backward"].shares["dL/db"] = 2.0
    made.save(tmp_path / "a.json")
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["seeds"] == {"public": 1, "hidden": [2, 3]}
    region = package_regions(PACKAGE)["adam.step"]
    assert data["functions"]["adam.step"] == {
        "points": 3,
        "shares": dict.fromkeys(["no decay", "L2 decay", "decoupled decay"], 1),
        "where": [region.path, region.qualname],
    }
    assert config.load(tmp_path / "a.json") == made
    assert made.functions["dense.backward"].split() == {"dL/dW": 0.75, "dL/db": 1.5, "dL/dx": 0.75}
    assert "hidden" not in made.for_students().to_dict()["seeds"]


def test_list_shows_every_part_function_and_points(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assignment", "list"]) == 0
    out = capsys.readouterr().out
    for part in PARTS.values():
        assert f"\n{part.name:<12} {sum(part.points.values()):>6}  {part.title}\n" in out
    regions = package_regions(PACKAGE)
    for function in ("dense.backward", "adam.step"):  # where each lives comes from the source's markers
        assert f"{function:<26} 3  {regions[function].qualname} in {regions[function].path}\n" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "{tmp}/hw", "--parts", "dense,conv"], "assignment create --parts: unknown part(s) 'conv'"),
        (["create", "{tmp}/full"], "is not empty: choose a new directory, or pass --force"),
        (["create", "{tmp}/file.txt", "--force"], "file.txt is a file, not a directory"),
        (["create", "{tmp}/hw", "--teacher", "{tmp}/hw/mine"], "must be apart, not one inside the other"),
        (["grade", "{tmp}/full", "--teacher", "{tmp}/full"], "is not a teacher folder (it has no grading.json)"),
        (["grade-all", "{tmp}/none", "--teacher", "{tmp}/full", "--out", "{tmp}/g.csv"], "not a teacher folder"),
        (["export", "gradescope", "{tmp}/full", "--out", "{tmp}/a.zip"], "not a teacher folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "autoencoder_np").mkdir()
    (tmp_path / "file.txt").write_text("")
    assert main(["assignment", *(a.format(tmp=tmp_path) for a in argv)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("autoencoder-np assignment: error: ")
    assert message in err[0]
