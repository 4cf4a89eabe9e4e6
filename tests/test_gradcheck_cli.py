"""``python -m autoencoder_np gradcheck``: the built-in run, targets, exit codes, --json, --plot, clear errors."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autoencoder_np import activations, losses
from autoencoder_np.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]

BROKEN = """
import numpy as np
import autoencoder_np as ae


class MissingBiasSum(ae.Dense):
    def __init__(self):
        super().__init__(4, 3, rng=0)

    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        self.grads["b"] = grad_y[0]
        return grad_x


def broken_model():
    return ae.Sequential([ae.Dense(5, 4, rng=0), ae.Tanh(), MissingBiasSum()])


class NoBackward:
    params = {}
    grads = {}

    def forward(self, x):
        return x


class Placeholder(ae.Layer):
    def forward(self, x):
        return x


class Crashes(ae.Tanh):
    def backward(self, grad_y):
        return grad_y[99, 99]


class NeedsArguments(ae.Dense):
    pass


good = ae.Dense(6, 2, rng=0)
answer = 42


class SquareWithoutTheTwo(ae.Layer):  # y = x² (complex-safe); backward forgets the 2

    def forward(self, x):
        self.cache = {"x": x}
        return x * x

    def backward(self, grad_y):
        return self.cache["x"] * grad_y
"""


@pytest.fixture
def targets(tmp_path: Path) -> Path:
    path = tmp_path / "student_layers.py"
    path.write_text(BROKEN)
    return path


def test_default_run_checks_every_builtin_in_one_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    for cls in {*activations.ACTIVATIONS.values()}:
        assert f"\n{cls()!r} " in out
    for cls in losses.LOSSES.values():
        assert f"\n{cls()!r} " in out
        assert f"\n{cls()!r} with mask " in out
    for name in ("Dense(5→3)", "Dropout(rate=0.3)", "GaussianNoise(std=0.1)", "denoising Autoencoder", "Mult-DAE-like"):
        assert name in out
    assert "MultinomialLoss() with mask" in out
    assert "skipped: MultinomialLoss().forward: mask is not supported" in out
    assert "FAIL" not in out
    assert "all 21 check(s) pass" in out


def test_complex_step_run_names_the_layers_that_are_not_complex_safe(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "--method", "complex-step", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert "note: not complex-safe: complex step and central differences differ" in out
    assert "(Sigmoid())" in out  # the note names the check it belongs to
    assert "note: float32 parameters were copied to float64 for the check (Dense(5→3)" in out


def test_failing_target_exits_1_with_hints_and_the_first_failing_layer(
    targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gradcheck", f"{targets}:broken_model", "--seed", "3"]) == 1
    out = capsys.readouterr().out
    assert "hint: 2.b: the analytic gradient equals row 0 of dL/dy" in out
    assert "first failing layer 2 (Dense(4→3))" in out
    assert "1 of 1 check(s) FAIL" in out


def test_passing_target_by_module_and_input_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "autoencoder_np.activations:Tanh", "--input-shape", "3", "7"]) == 0
    out = capsys.readouterr().out
    assert "x (input)             (3, 7)" in out
    assert "all 1 check(s) pass" in out


@pytest.mark.parametrize("shape", [["3,7"], ["3,", "7"], ["3", "7"]])
def test_input_shape_takes_commas_like_every_other_list_option(
    shape: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gradcheck", "autoencoder_np.activations:Tanh", "--input-shape", *shape]) == 0
    assert "x (input)             (3, 7)" in capsys.readouterr().out


def test_a_bad_input_shape_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "autoencoder_np.activations:Tanh", "--input-shape", "4,x"]) == 2
    err = capsys.readouterr().err
    assert err == "autoencoder-np gradcheck: error: gradcheck: --input-shape must be integers, e.g. 4,10, got '4,x'\n"


def _gradcheck_options() -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [
        o for a in sub.choices["gradcheck"]._actions for o in a.option_strings if o.startswith("--") and o != "--help"
    ]


def test_every_option_is_documented_and_the_readme_shows_the_input_shape() -> None:
    docs = (ROOT / "docs" / "gradcheck.md").read_text(encoding="utf-8")
    command = docs[docs.index("## The command") :]
    assert [o for o in _gradcheck_options() if f"`{o}" not in command] == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Checking gradients") :]
    section = section[: section.index("\n## ", 1)]
    assert "--input-shape 4,10" in section


def test_plot_of_a_wrong_complex_safe_layer_blames_the_backward(
    targets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "sweep.png"
    assert main(["gradcheck", f"{targets}:SquareWithoutTheTwo", "--plot", str(png)]) == 1
    out = capsys.readouterr().out
    assert "note: backward is wrong (gradient check FAIL: SquareWithoutTheTwo()" in out
    assert "complex-safe" not in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _junit(path: Path) -> dict[str, dict[str, ET.Element | None]]:
    """{suite name: {test case name: its failure (or skipped) element, None when it passed}}."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    suites: dict[str, dict[str, ET.Element | None]] = {}
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(c.find("failure") is not None for c in cases)
        assert {c.get("classname") for c in cases} == {suite.get("name")}
        suites[suite.get("name", "")] = {
            c.get("name", ""): c.find("failure") if c.find("failure") is not None else c.find("skipped") for c in cases
        }
    return suites


def test_junit_xml_has_a_test_case_per_gradient_and_the_diagnosis_in_each_failure(
    targets: Path, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.xml"
    assert main(["gradcheck", f"{targets}:MissingBiasSum", "--junit-xml", str(wrong)]) == 1
    (cases,) = _junit(wrong).values()
    assert list(cases) == ["W", "b", "x (input)"]
    assert cases["W"] is None
    assert cases["x (input)"] is None
    failure = cases["b"]
    assert failure is not None
    assert failure.tag == "failure"
    assert failure.get("type") == "bias_sum"
    assert re.match(r"b: the analytic gradient equals row 0 of dL/dy .*the sum over the batch axis is missing\?$",
                    failure.get("message", ""))  # fmt: skip
    assert "gradient check FAIL: Dense(4→3)" in (failure.text or "")
    right = tmp_path / "right.xml"
    assert main(["gradcheck", "autoencoder_np.losses:MultinomialLoss", "--junit-xml", str(right)]) == 0
    suites = _junit(right)
    assert suites["MultinomialLoss()"] == {"pred": None}
    skipped = suites["MultinomialLoss() with mask"]["MultinomialLoss() with mask"]
    assert skipped is not None
    assert skipped.tag == "skipped"
    assert skipped.get("message", "").startswith("MultinomialLoss().forward: mask is not supported")


def test_junit_xml_of_the_builtin_run_counts_every_gradient(tmp_path: Path) -> None:
    path = tmp_path / "builtin.xml"
    assert main(["gradcheck", "--junit-xml", str(path)]) == 0
    root = ET.parse(path).getroot()
    assert int(root.get("failures", "-1")) == 0
    assert int(root.get("skipped", "-1")) == 1
    assert int(root.get("tests", "0")) == len(list(root.iter("testcase"))) > 40


def test_loss_target_is_checked_with_and_without_mask(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", "autoencoder_np.losses:BCELoss", "--method", "richardson"]) == 0
    out = capsys.readouterr().out
    assert "gradient check PASS: BCELoss():" in out
    assert "gradient check PASS: BCELoss() with mask:" in out


def test_json_report_follows_the_documented_schema(targets: Path, tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    assert main(["gradcheck", f"{targets}:MissingBiasSum", "--json", str(path)]) == 1
    document = json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(f"non-standard JSON {name}"))
    assert document["schema"] == "autoencoder_np.gradcheck/1"
    assert document["passed"] is False
    assert {k: document[k] for k in ("method", "eps", "rtol", "seed", "dtype")} == {
        "method": "central", "eps": 6e-6, "rtol": 1e-6, "seed": 0, "dtype": "float64",
    }  # fmt: skip
    assert document["target"].endswith("student_layers.py:MissingBiasSum")
    assert document["eps_sweep"] is None
    (check,) = document["checks"]
    assert check["kind"] == "layer"
    assert check["passed"] is False
    assert [h["code"] for h in check["hints"]] == ["bias_sum"]
    rows = {row["name"]: row for row in check["rows"]}
    assert set(rows) == {"W", "b", "x (input)"}
    b = rows["b"]
    assert b["passed"] is False
    assert b["shape"] == [3]
    assert b["size"] == 3
    assert b["n_checked"] == 3
    assert b["band"] == "probably wrong"
    assert isinstance(b["max_rel_error"], float)
    assert b["hints"][0]["code"] == "bias_sum"
    assert b["hints"][0]["text"].startswith("b: ")
    assert set(b) == {
        "name", "shape", "size", "n_checked", "directions", "max_rel_error", "median_rel_error", "band",
        "worst_index", "analytic", "numeric", "n_kinks", "passed", "hints",
    }  # fmt: skip


def test_plot_saves_the_eps_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "sweep.png"
    assert (
        main(["gradcheck", "autoencoder_np.activations:Tanh", "--plot", str(png), "--json", str(tmp_path / "r.json")])
        == 0
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"eps sweep saved to {png}" in capsys.readouterr().out
    sweep = json.loads((tmp_path / "r.json").read_text())["eps_sweep"]
    assert len(sweep["eps"]) == len(sweep["errors"]["central float64"]) == 23


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("{dir}/missing.py:Layer", "no such file: {dir}/missing.py"),
        ("{file}:nothing", "student_layers.py has no 'nothing' (it defines: Crashes, MissingBiasSum, NeedsArguments"),
        ("{file}:answer", "answer is of type int, not a layer, a layer class, a zero-argument factory or a loss"),
        ("{file}:NoBackward", "NoBackward breaks the layer protocol: it lacks backward (a layer has params, grads"),
        ("{file}:Placeholder", "Placeholder() breaks the layer protocol: backward is not implemented"),
        ("{file}:NeedsArguments", "NeedsArguments is a class that needs arguments (missing a required argument"),
        ("{file}:Crashes", "Crashes(): the check stopped: IndexError in backward: index 99 is out of bounds"),
        ("{file}:good", "Dense(6→2).forward: x has 3 features, expected 6"),
        ("no_such_module:X", "cannot import module 'no_such_module': No module named 'no_such_module'"),
        ("just_a_name", "target must be path/to/file.py:NAME or package.module:NAME, got 'just_a_name'"),
    ],
)
def test_bad_targets_are_one_clear_line_and_exit_2(
    target: str, message: str, targets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = {"dir": targets.parent, "file": targets}
    argv = ["gradcheck", target.format(**names)] + (["--input-shape", "2", "3"] if target.endswith(":good") else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("autoencoder-np gradcheck: error: ")
    assert message.format(**names) in err


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "syntax_error.py"
    bad.write_text("def broken(:\n")
    result = subprocess.run(
        [sys.executable, "-m", "autoencoder_np", "gradcheck", f"{bad}:broken"], capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"autoencoder-np gradcheck: error: importing {bad} failed: SyntaxError")
    assert "Traceback" not in result.stderr
