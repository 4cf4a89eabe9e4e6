"""Assignments without subprocesses: markers and the stripper, the catalogue, the checks on the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import seeds
from hypothesis import given

from autoencoder_np.assignments import checks, config
from autoencoder_np.assignments.catalogue import PARTS, parse_parts
from autoencoder_np.assignments.markers import MarkerError, find_regions, package_regions, strip
from autoencoder_np.assignments.workspace import PACKAGE
from autoencoder_np.cli import main

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


def test_the_catalogue_the_checks_and_the_source_agree() -> None:
    regions = package_regions(PACKAGE)
    catalogued = [f for part in PARTS.values() for f in part.points]
    assert len(catalogued) == len(set(catalogued)), "a function belongs to one part only"
    assert set(regions) == set(catalogued), "every solution region is in a part, every part's function exists"
    assert set(checks.CHECKS) == set(catalogued), "every function has its checks"
    assert {"dense", "activations", "losses", "adam", "autoencoder", "masked-loss"} <= set(PARTS)


@given(seed=seeds)
def test_every_check_passes_on_the_reference_implementation(seed: int) -> None:
    for function in checks.CHECKS:
        assert checks.run(function, seed) == {"status": "correct", "detail": "", "hints": []}, function


def test_parts_are_parsed_by_name_or_all() -> None:
    assert parse_parts("adam, dense", "here") == ["dense", "adam"]  # catalogue order
    assert parse_parts("all", "here") == list(PARTS)
    with pytest.raises(ValueError, match=r"here: unknown part\(s\) 'conv'; choose from dense, activations"):
        parse_parts("dense,conv", "here")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"parts": {}}', "expected an object with a non-empty 'parts' object"),
        ('{"parts": {"conv": {}}}', "unknown part 'conv'"),
        ('{"parts": {"dense": {"adam.step": 1}}}', "parts.dense has no function 'adam.step'"),
        ('{"parts": {"dense": {"dense.forward": -1}}}', r"parts.dense.dense.forward must be ≥ 0, got -1"),
        ('{"parts": {"dense": {"dense.forward": "2"}}}', "must be a number, got '2'"),
        ('{"parts": {"dense": {"dense.forward": 1}}, "timeout": 0}', r"timeout must be > 0, got 0"),
    ],
)
def test_a_bad_config_names_the_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "assignment.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        config.load(path)


def test_config_round_trips(tmp_path: Path) -> None:
    made = config.Config.default(["dense", "adam"], "HW")
    made.save(tmp_path / "a.json")
    assert json.loads((tmp_path / "a.json").read_text())["parts"] == {
        "dense": {"dense.forward": 1, "dense.backward": 3},
        "adam": {"adam.step": 3},
    }
    assert config.load(tmp_path / "a.json") == made


def test_list_shows_every_part_function_and_points(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assignment", "list"]) == 0
    out = capsys.readouterr().out
    for part in PARTS.values():
        assert f"\n{part.name:<12} {sum(part.points.values()):>6}  {part.title}\n" in out
    assert "dense.backward             3  dense_backward in autoencoder_np/textbook/dense.py\n" in out
    assert "adam.step                  3  adam_step in autoencoder_np/textbook/optimizers.py\n" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["create", "{tmp}/hw", "--parts", "dense,conv"], "assignment create --parts: unknown part(s) 'conv'"),
        (["create", "{tmp}/full"], "is not empty: choose a new directory, or pass --force"),
        (["create", "{tmp}/file.txt", "--force"], "file.txt is a file, not a directory"),
        (["grade", "{tmp}/nothing"], "holds no autoencoder_np/: is it a workspace made by `assignment create`?"),
        (["grade", "{tmp}/full", "--config", "{tmp}/none.json"], "none.json not found"),
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
