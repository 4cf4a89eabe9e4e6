"""The terminal rendering of a lesson's markdown: cells read from a percent-format script, the explanation
above a line, paragraphs and list items wrapped to a width, code blocks kept and indented, math kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoencoder_np.lesson_text import Explanation, explanation_above, heading_rule, read_cells, render, split_heading

SCRIPT = """# %% [markdown]
# # Lesson 9 · A title
#
# The intro.

# %%
lesson = Lesson("09_x")

# %% [markdown]
# ## Step 1 · The first step
# Some *prose* with **strong** words.

# %%
lesson.step()
x = 1

# %%
y = 2
"""


def test_cells_and_the_explanation_above_a_line(tmp_path: Path) -> None:
    path = tmp_path / "09_x.py"
    path.write_text(SCRIPT, encoding="utf-8")
    cells = read_cells(path)
    assert [(cell.kind, cell.first_line, cell.last_line) for cell in cells] == [
        ("markdown", 1, 5), ("code", 6, 8), ("markdown", 9, 12), ("code", 13, 16), ("code", 17, 18)
    ]  # fmt: skip
    assert cells[0].text == "# Lesson 9 · A title\n\nThe intro."
    assert explanation_above(cells, 7) == Explanation(None, "Lesson 9 · A title", "The intro.")
    assert explanation_above(cells, 15) == Explanation(1, "The first step", "Some *prose* with **strong** words.")
    assert explanation_above(cells, 18) is None  # a code cell after a code cell
    assert explanation_above(cells, 100) is None


def test_split_heading() -> None:
    assert split_heading("## Self-checks\nThese fail.") == Explanation(None, "Self-checks", "These fail.")
    assert split_heading("## Step 12 · Scale: `fit`\n\nBody") == Explanation(12, "Scale: `fit`", "Body")
    assert split_heading("No heading here.") == Explanation(None, "", "No heading here.")


def test_paragraphs_wrap_to_the_width_and_lose_their_markup() -> None:
    text = "An **autoencoder** learns a *code* h. " * 6 + "See [the README](README.md)."
    rendered = render(text, 40)
    lines = rendered.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert len(lines) > 5
    flat = " ".join(rendered.split())
    assert "An autoencoder learns a code h." in flat
    assert "*" not in flat
    assert flat.endswith("See the README (README.md).")


@pytest.mark.parametrize("width", [30, 50, 80])
def test_code_spans_and_short_relations_are_never_broken(width: int) -> None:
    text = "Run `python lessons/01_founding_example.py --step` then note that lr = 0.035 and 50·lr > 2. " * 3
    for line in render(text, width).splitlines():
        assert line.count("`") % 2 == 0, line  # no code span split over two lines
        assert not line.rstrip().endswith(("=", ">")), line


def test_lists_take_a_hanging_indent_and_stay_together() -> None:
    text = "Three parts:\n- **forward**: one two three four five six seven\n  eight nine ten\n- backward\n"
    text += "1. first\n2. second"
    assert render(text, 30) == (
        "Three parts:\n\n"
        "- forward: one two three four\n  five six seven eight nine\n  ten\n"
        "- backward\n"
        "1. first\n"
        "2. second"
    )


def test_code_blocks_are_kept_as_written_and_indented() -> None:
    text = (
        "The equations:\n\n"
        "    h = max(0, x W₁ + b₁)     h: (batch, 5)\n"
        "\n"
        "    x̂ = σ(h W₂ + b₂)\n"
        "\n"
        "In Keras:\n"
        "```python\n"
        "model.fit(X, X, epochs=100, batch_size=32)\n"
        "```\n"
        "Done."
    )
    assert render(text, 20) == (
        "The equations:\n\n"
        "    h = max(0, x W₁ + b₁)     h: (batch, 5)\n\n"
        "    x̂ = σ(h W₂ + b₂)\n\n"
        "In Keras:\n\n"
        "    model.fit(X, X, epochs=100, batch_size=32)\n\n"
        "Done."
    )


def test_math_is_kept_as_the_unicode_it_is_written_in() -> None:
    text = "E[(u − 0.5)²] = ∫₀¹ (u − 0.5)² du = 1/12 ≈ 0.0833, and dL/dW = xᵀ G with ‖W‖² and x̂ ∈ (0, 1)."
    assert " ".join(render(text, 30).split()) == text


def test_heading_rule_fills_the_width() -> None:
    assert heading_rule("Step 2 · Backward", 40) == "── Step 2 · Backward " + "─" * 19
    long = heading_rule("Step 5 · " + "a very long title " * 6, 40)
    assert all(len(line) <= 40 for line in long.splitlines())
    assert len(long.splitlines()[-1]) == 40
