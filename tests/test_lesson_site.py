"""The course site: lessons executed as notebooks in a real kernel (nbclient) and written as HTML (nbconvert).
The tests that execute need the notebooks extra and skip without it (CI runs every lesson this way in
.ci/notebooks); the index's exercises, the problems a build looks for, and the message without the extra
are tested everywhere."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

import autoencoder_np
from autoencoder_np import lesson_site
from autoencoder_np.cli import main
from autoencoder_np.curriculum import CURRICULUM, find
from autoencoder_np.lesson import lessons_dir

HAVE_NOTEBOOK_TOOLS = all(importlib.util.find_spec(name) for name in lesson_site.NOTEBOOK_TOOLS)
needs_notebook_tools = pytest.mark.skipif(not HAVE_NOTEBOOK_TOOLS, reason="needs the notebooks extra")


def test_every_lesson_has_its_exercises_for_the_index() -> None:
    exercises = lesson_site._exercises((lessons_dir() / "README.md").read_text(encoding="utf-8"))
    assert sorted(exercises) == [info.number for info in CURRICULUM]
    for text in exercises.values():
        assert text.startswith("- (a) ")
        assert "\n- (b) " in text
    assert "Plant a transpose bug" in exercises[2]


def test_build_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setattr(lesson_site.importlib.util, "find_spec", lambda name: None)
    assert main(["lessons", "build", "--out", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "autoencoder-np lessons: error: lessons build needs jupytext, nbclient, nbconvert, ipykernel (the notebooks "
        "extra): pip install 'autoencoder_np[notebooks]' (in a checkout: pip install -e '.[notebooks]')"
    ]


@needs_notebook_tools
def test_tally_counts_steps_and_figures_and_flags_stray_output() -> None:
    import nbformat

    v4 = nbformat.v4
    image = v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<IPython.core.display.Image>"})
    stray = v4.new_output("execute_result", data={"text/plain": "PosixPath('x')"})
    printed = v4.new_output("stream", name="stdout", text="<Figure size 640x480 with 0 Axes>\n")
    warned = v4.new_output("stream", name="stderr", text="UserWarning: careful\n")
    notebook = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("## Step 1 · One"),
            v4.new_code_cell("lesson.step()\nlesson.save(fig, 'a.png')", outputs=[image]),
            v4.new_code_cell("lesson.step()\nPath('x')", outputs=[stray]),
            v4.new_code_cell("print(fig)", outputs=[printed]),
            v4.new_code_cell("warn()", outputs=[warned]),
        ]
    )
    run = lesson_site.LessonRun(find(6))  # promises three figures
    lesson_site.tally(notebook, run)
    assert (run.steps, run.explanations, run.figures) == (2, 1, 1)
    assert run.problems == [
        "cell 3 shows a stray object: PosixPath('x')",
        "cell 4 prints a stray object: <Figure size",
        "cell 5 wrote to stderr: UserWarning: careful",
        "1 of the 3 promised figures showed inline",
    ]


@needs_notebook_tools
def test_build_executes_a_lesson_in_a_kernel_and_writes_its_page(tmp_path: Path, capsys) -> None:
    """Lesson 2 as a notebook: its figure inline, no stray output, its page and the index name the version."""
    assert lesson_site.build([2], tmp_path, fast=True) == 0
    log = capsys.readouterr().out
    assert " 2 02_dense_layer          7 steps,  7 explanations, 1/1 figures inline, " in log
    notebook = json.loads((tmp_path / "02_dense_layer.ipynb").read_text(encoding="utf-8"))
    outputs = [output for cell in notebook["cells"] for output in cell.get("outputs", [])]
    assert sum("image/png" in output.get("data", {}) for output in outputs) == 1
    assert not [output for output in outputs if output["output_type"] in ("execute_result", "error")]
    text = "".join("".join(output.get("text", "")) for output in outputs)
    assert re.search(r"All \d+ self-checks passed", text)
    assert "mode: fast" in text  # the options reached the kernel through the environment
    assert (tmp_path / "02_dense_layer" / "dense_gradcheck.png").is_file()
    page = (tmp_path / "02_dense_layer.html").read_text(encoding="utf-8")
    assert f"autoencoder_np {autoencoder_np.__version__}" in page
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', page)) == 1  # the figure, inline
    assert "Backward: the three equations, derived" in page  # the markdown, rendered
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f"autoencoder_np {autoencoder_np.__version__}" in index
    assert 'href="02_dense_layer.html"' in index
    assert "Plant a transpose bug" in index
