"""A small downstream project in a temporary directory, run by pytest in a subprocess: what a user sees.

One run (a few seconds) proves: a correct custom layer passes; a layer with a planted bug of each hint kind
fails and pytest prints the hint code and the diagnosis line; ``--gradcheck-module`` collects each layer of
a module as its own item; hypothesis shrinks a wrong layer's input to a small example; the README's
property test runs as written; the fixture takes ``--gradcheck-rtol``; ``filterwarnings = error`` holds.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from autoencoder_np.gradcheck import HINT_CODES

ROOT = Path(__file__).resolve().parents[1]

LAYERS = """
import numpy as np
import autoencoder_np as ae


class Square(ae.Layer):
    def forward(self, x):
        self.cache = {"x": x}
        return x * x

    def backward(self, grad_y):
        return 2.0 * self.cache["x"] * grad_y


class Correct(ae.Dense):
    def __init__(self):
        super().__init__(4, 3, rng=0)


class NotWritten(Correct):  # not_written
    def backward(self, grad_y):
        return grad_y @ self.params["W"].T


class WrongShape(Correct):  # shape
    def backward(self, grad_y):
        return (super().backward(grad_y)).sum(axis=0)


class Transposed(Correct):  # transpose
    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        self.grads = {"W": grad_y.T @ self.cache["x"], "b": grad_y.sum(axis=0)}
        return grad_x


class MissingMean(Correct):  # batch_mean
    def forward(self, x):
        return super().forward(x) / x.shape[0]


class Sign(ae.Sigmoid):  # sign
    def backward(self, grad_y):
        return -super().backward(grad_y)


class Factor(Square):  # factor
    def backward(self, grad_y):
        return self.cache["x"] * grad_y


class Scale(ae.Tanh):  # scale
    def backward(self, grad_y):
        return 3.0 * super().backward(grad_y)


class BiasSum(Correct):  # bias_sum
    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        self.grads["b"] = grad_y[0]
        return grad_x


class FewEntries(Correct):  # few_entries
    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        self.grads["W"][1, 2] *= 1.5
        return grad_x


class Slightly(Correct):  # 0.1% off in one entry: fails rtol 1e-6, passes rtol 1e-2
    def backward(self, grad_y):
        grad_x = super().backward(grad_y)
        self.grads["W"][1, 2] *= 1.001
        return grad_x


class NeedsArguments(ae.Dense):
    pass


my_dense = NeedsArguments(4, 3, rng=0)  # checked; the class itself is then not collected


class Unchecked(ae.Dense):  # needs arguments and has no instance: skipped, with the reason
    pass


class MeanlessMSE(ae.MSELoss):  # a loss is collected too
    def backward(self):
        return super().backward() * self.cache["n"]
"""

BUGS = {
    "NotWritten": "not_written",
    "WrongShape": "shape",
    "Transposed": "transpose",
    "MissingMean": "batch_mean",
    "Sign": "sign",
    "Factor": "factor",
    "Scale": "scale",
    "BiasSum": "bias_sum",
    "FewEntries": "few_entries",
}

TESTS = """
import numpy as np
import pytest
from hypothesis import given, settings

import autoencoder_np as ae
import layers

X = np.random.default_rng(0).uniform(-2, 2, (5, 4))


@pytest.mark.parametrize("name", ["Correct", "Square", *BUGS])
def test_layer(name):
    ae.testing.assert_layer_gradients(getattr(layers, name)(), X)


@settings(derandomize=True, database=None, deadline=None, max_examples=30)
@given(x=ae.testing.inputs_for(layers.Correct()))
def test_correct_property(x):
    ae.testing.assert_layer_gradients(layers.Correct(), x)


@settings(derandomize=True, database=None, deadline=None, max_examples=30)
@given(x=ae.testing.inputs_for(layers.Factor()))
def test_factor_property(x):
    ae.testing.assert_layer_gradients(layers.Factor(), x)


def test_fixture_takes_the_rtol_option(gradcheck):
    assert gradcheck.rtol == 0.01
    gradcheck.layer(layers.Slightly(), X)
""".replace("*BUGS", ", ".join(map(repr, BUGS)))


def _readme_property_test() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Check your own layer in your tests") :]
    return section[section.index("```python\n") + 10 : section.index("```\n", section.index("```python"))]


@pytest.fixture(scope="module")
def downstream(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, float]:
    """The project, and one pytest run over its tests and, with --gradcheck-module, its layers."""
    if "autoencoder_np" not in {e.name for e in metadata.entry_points(group="pytest11")}:
        pytest.skip("the pytest11 entry point is not installed: pip install -e . again")
    project = tmp_path_factory.mktemp("downstream")
    (project / "layers.py").write_text(LAYERS, encoding="utf-8")
    (project / "test_layers.py").write_text(TESTS, encoding="utf-8")
    (project / "test_square.py").write_text(_readme_property_test(), encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tb=short", "-rs", "--junitxml=report.xml",
        "--gradcheck-module", "layers.py", "--gradcheck-rtol", "0.01", "test_layers.py", "test_square.py",
    ]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL
    )
    return result, project, time.perf_counter() - start


def _outcomes(project: Path) -> dict[str, str]:
    """{test id: "passed" | "failed" | "skipped" | "error"} from the run's JUnit XML."""
    outcomes = {}
    for case in ET.parse(project / "report.xml").getroot().iter("testcase"):
        found = [tag for tag in ("failure", "error", "skipped") if case.find(tag) is not None]
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = found[0] if found else "passed"
    return outcomes


def _section(out: str, title: str) -> str:
    """The failure report pytest printed under ``____ title ____``."""
    match = re.search(rf"_+ {re.escape(title)} _+\n(.*?)(?=\n_{{3,}} |\n={{3,}} )", out, re.S)
    assert match, f"no section {title!r} in:\n{out}"
    return match.group(1)


def test_the_run_is_quiet_and_counts_every_item(
    downstream: tuple[subprocess.CompletedProcess[str], Path, float],
) -> None:
    result, project, seconds = downstream
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    assert "warning" not in result.stdout.lower()
    outcomes = _outcomes(project)
    assert outcomes["test_layers::test_layer[Correct]"] == "passed"
    assert outcomes["test_layers::test_layer[Square]"] == "passed"
    assert outcomes["test_layers::test_correct_property"] == "passed"
    assert outcomes["test_layers::test_fixture_takes_the_rtol_option"] == "passed"
    assert outcomes["test_square::test_square"] == "passed"  # the README's example, as written
    assert seconds < 60


def test_each_planted_bug_fails_with_its_hint_code_and_diagnosis_line(
    downstream: tuple[subprocess.CompletedProcess[str], Path, float],
) -> None:
    result, project, _ = downstream
    outcomes = _outcomes(project)
    assert set(BUGS.values()) == set(HINT_CODES)  # one planted bug for each hint kind
    for name, code in BUGS.items():
        assert outcomes[f"test_layers::test_layer[{name}]"] == "failure"
        section = _section(result.stdout, f"test_layer[{name}]")
        assert "E   AssertionError: gradient check FAIL: " in section
        hints = [line for line in section.splitlines() if line.startswith("E   hint: ")]
        assert any(line.endswith(f"[{code}]") for line in hints), section


def test_gradcheck_module_collects_each_layer_as_its_own_item(
    downstream: tuple[subprocess.CompletedProcess[str], Path, float],
) -> None:
    result, project, _ = downstream
    items = {k.removeprefix("layers::"): v for k, v in _outcomes(project).items() if k.startswith("layers::")}
    expected = {name: "failure" for name in BUGS} | {
        "Square": "passed", "Correct": "passed", "Slightly": "passed",  # rtol 0.01 from the command line
        "my_dense": "passed", "Unchecked": "skipped", "MeanlessMSE": "failure",
    }  # fmt: skip
    assert items == expected
    section = _section(result.stdout, "gradcheck BiasSum")
    assert section.startswith("== BiasSum (Dense(4→3))\ngradient check FAIL: Dense(4→3)")
    assert "hint: b: the analytic gradient equals row 0 of dL/dy" in section
    assert "SKIPPED [1] layers.py: Unchecked is a class that needs arguments" in result.stdout
    loss = _section(result.stdout, "gradcheck MeanlessMSE")
    assert "gradient check FAIL: MeanlessMSE()" in loss
    assert "gradient check FAIL: MeanlessMSE() with mask" in loss
    assert "[batch_mean]" in loss


def test_gradcheck_module_inside_a_collected_folder_is_collected_once(
    downstream: tuple[subprocess.CompletedProcess[str], Path, float],
) -> None:
    _, project, _ = downstream
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q", ".", "--gradcheck-module",
         "layers.py"], cwd=project, capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    items = [line for line in result.stdout.splitlines() if line.startswith("layers.py::")]
    assert len(items) == len(set(items)) == len(BUGS) + 6, result.stdout
    assert "test_layers.py::test_correct_property" in result.stdout


def test_hypothesis_shrinks_a_wrong_layer_to_a_small_example(
    downstream: tuple[subprocess.CompletedProcess[str], Path, float],
) -> None:
    result, project, _ = downstream
    assert _outcomes(project)["test_layers::test_factor_property"] == "failure"
    section = _section(result.stdout, "test_factor_property")
    assert "[factor]" in section
    shown = re.search(r"x=array\((\[.*?\])\)", section, re.S)
    assert shown, section
    x = np.array(ast.literal_eval(re.sub(r"\s+", "", shown.group(1).replace("E", ""))))
    assert x.shape == (3, 1)  # the smallest batch and width the strategy draws
    assert np.array_equal(x, np.round(x))  # and whole numbers
