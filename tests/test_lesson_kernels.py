"""The lessons that teach a formula run the textbook kernels: an error planted in the textbook function that
holds a lesson's formula stops that lesson (the fast set, the default elsewhere, never calls it). Lesson 7's
assertions need only NumPy: without hypothesis it still passes, skips its property tests and says what to
install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_lessons import LESSONS, ONE_THREAD


def _run(name: str, prelude: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Lesson ``name`` at --fast sizes, started by path in a Python that first runs ``prelude``."""
    script = str(LESSONS / f"{name}.py")
    argv = [script, "--fast", "--out", str(tmp_path / "figures")]
    code = f"{prelude}\nimport runpy, sys\nsys.argv = {argv!r}\nrunpy.run_path({script!r}, run_name='__main__')"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
        env=ONE_THREAD,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("lesson", "function"),
    [
        ("01_founding_example", "adam_step"),  # the step by hand (the demo's fit before it runs the fast set)
        ("02_dense_layer", "dense_forward"),
        ("03_activations", "sigmoid_backward"),
        ("04_losses", "sigmoid_forward"),
        ("05_backprop", "dense_backward"),
        ("06_optimizers", "sgd_step"),
    ],
)
def test_a_formula_lesson_runs_the_textbook_function_that_holds_its_formula(
    lesson: str, function: str, tmp_path: Path
) -> None:
    planted = f"planted in textbook.{function}"
    prelude = f"""
from autoencoder_np import textbook

def planted(*args, **kwargs):
    raise RuntimeError({planted!r})

textbook.{function} = planted
"""
    result = _run(lesson, prelude, tmp_path)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr
    assert f"RuntimeError: {planted}" in result.stderr


def test_lesson_7_without_hypothesis_passes_and_says_what_to_install(tmp_path: Path) -> None:
    prelude = "import sys\nsys.modules['hypothesis'] = None  # import hypothesis fails"
    result = _run("07_gradient_checking", prelude, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert (
        'hypothesis is not installed, so the property tests are skipped; to run them: pip install -e ".[testing]"'
        in out
    )
    assert "assert_layer_gradients(SignSlipTanh(), x) raised AssertionError with the message:" in out
    assert "hint: x (input): analytic/numeric ratio is -1.00 everywhere" in out
    assert "test_mine" not in out
