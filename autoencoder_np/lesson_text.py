"""A lesson's prose in a terminal: the markdown cells of a percent-format script, rendered as plain text.

A lesson script is a row of cells, each opened by a ``# %%`` line; ``# %% [markdown]`` opens prose, whose
lines are comments (``# text``). The markdown cell just above a code cell explains it: in Jupyter it is
shown as the notebook's text, in a terminal the lesson kit prints it before the code runs, through
:func:`render`, which wraps paragraphs and list items to a width, keeps code blocks as they are (indented),
keeps the Unicode math as written, and drops the markup a terminal cannot show (``*``, ``**``, link
targets become "text (address)").
"""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

_MARKER = re.compile(r"^# %%(?P<markdown>\s*\[markdown\])?")
_STEP_HEADING = re.compile(r"^##\s+(?:Step\s+(?P<number>\d+)\s+·\s+)?(?P<title>.+)$")
_LIST_ITEM = re.compile(r"^(?P<bullet>[-*]|\d+\.)\s+(?P<text>.*)$")
_ITEM_START = re.compile(r"(?:[-*]|\d+\.)\s")
_CODE_SPAN = re.compile(r"`[^`]*`")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_RELATION = re.compile(r"\S+ [=<>≈≤≥] \S+")
_NO_BREAK = "\u00a0"  # textwrap splits on ASCII whitespace only: a code span's spaces become this, then back
#: Prose wider than this is hard to read, however wide the terminal.
MAX_WIDTH = 100


@dataclass(frozen=True)
class Cell:
    """One cell of a percent-format script: ``kind`` "markdown" or "code", its lines (1-based, inclusive),
    and its text (markdown without the ``# `` comment prefixes; code as written)."""

    kind: str
    first_line: int
    last_line: int
    text: str


@dataclass(frozen=True)
class Explanation:
    """A step's markdown cell, split into its heading and its body.

    ``number`` is the step number the heading states (``## Step 3 · …``), None for an unnumbered heading
    (``## Self-checks``) or none at all; ``title`` the heading's text after the number.
    """

    number: int | None
    title: str
    body: str


def read_cells(path: str | Path) -> list[Cell]:
    """The cells of the percent-format script at ``path`` (lines before the first ``# %%`` are left out)."""
    cells: list[Cell] = []
    kind, first, lines = "", 0, []
    for number, line in enumerate([*Path(path).read_text(encoding="utf-8").splitlines(), "# %%"], start=1):
        marker = _MARKER.match(line)
        if marker is None:
            lines.append(line)
            continue
        if kind:
            text = "\n".join(_uncomment(lines) if kind == "markdown" else lines).strip("\n")
            cells.append(Cell(kind, first, number - 1, text))
        kind, first, lines = ("markdown" if marker["markdown"] else "code"), number, []
    return cells


def _uncomment(lines: list[str]) -> list[str]:
    """Markdown lines without their comment prefix: ``# text`` → ``text``, ``#`` → an empty line."""
    return [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]


def explanation_above(cells: list[Cell], line: int) -> Explanation | None:
    """The markdown cell just above the code cell that holds ``line``, as an :class:`Explanation`; None if
    that code cell has no markdown cell right above it."""
    for before, cell in zip([None, *cells], cells, strict=False):
        if cell.kind == "code" and cell.first_line <= line <= cell.last_line:
            if before is None or before.kind != "markdown":
                return None
            return split_heading(before.text)
    return None


def split_heading(markdown: str) -> Explanation:
    """``## Step 3 · Title`` (or ``## Title``, or ``# Title``) on the first line, the body below it."""
    first, _, body = markdown.partition("\n")
    heading = _STEP_HEADING.match(first)
    if heading is not None:
        number = heading["number"]
        return Explanation(int(number) if number else None, heading["title"].strip(), body.strip("\n"))
    if first.startswith("# "):
        return Explanation(None, first[2:].strip(), body.strip("\n"))
    return Explanation(None, "", markdown)


def terminal_width() -> int:
    """The width to print for: the terminal's (40 to 100 columns) when stdout is one, else 80."""
    if not sys.stdout.isatty():
        return 80
    return min(MAX_WIDTH, max(40, shutil.get_terminal_size().columns))


def heading_rule(title: str, width: int) -> str:
    """``── title ─────`` filling ``width`` columns; a title too long for one line is wrapped first."""
    lines = _fill(_inline(title), width - 7).splitlines() or [""]
    last = f"── {lines[-1]} "
    return "\n".join([*(f"── {line}" for line in lines[:-1]), last + "─" * max(3, width - len(last))])


def render(markdown: str, width: int) -> str:
    """Markdown as terminal text ``width`` columns wide.

    Paragraphs and list items are wrapped (list items with a hanging indent); indented and fenced code
    blocks are printed as they are, indented by four spaces; headings stay on a line of their own.
    Code spans are never broken across lines; ``*emphasis*`` and ``**strong**`` lose their stars.
    """
    blocks: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
            blocks.append("\n".join("    " + code for code in lines[i + 1 : end]))
            i = end + 1
        elif line.startswith("    "):
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            blocks.append("\n".join(code.rstrip() for code in lines[i:end]).rstrip("\n"))
            i = end
        elif line.startswith("#"):
            blocks.append(_inline(line.lstrip("#").strip()))
            i += 1
        else:
            end = i + 1
            while end < len(lines) and lines[end].strip() and not _starts_block(lines[end], lines[i]):
                end += 1
            blocks.append(_wrap(lines[i:end], width))
            i = end
    text = ""
    for before, block in zip(["", *blocks], blocks, strict=False):  # a list's items stay together
        together = _ITEM_START.match(before) and _ITEM_START.match(block)
        text += ("\n" if together else "\n\n") + block
    return text.strip("\n")


def _starts_block(line: str, first: str) -> bool:
    """True when ``line`` ends the paragraph or list item that began with ``first``."""
    if line.startswith(("```", "#")) or _LIST_ITEM.match(line):
        return True
    return line.startswith("    ") and not _LIST_ITEM.match(first)


def _wrap(lines: list[str], width: int) -> str:
    """One paragraph or list item, its lines joined and wrapped to ``width``."""
    text = " ".join(line.strip() for line in lines)
    item = _LIST_ITEM.match(text)
    first = rest = ""
    if item is not None:
        first = item["bullet"] + " "
        rest = " " * len(first)
        text = item["text"]
    return _fill(_inline(text), width, first, rest)


def _fill(text: str, width: int, first: str = "", rest: str = "") -> str:
    """``text`` wrapped to ``width`` at spaces only (not inside a word, a code span or a short relation)."""
    wrapped = textwrap.fill(
        text, width, initial_indent=first, subsequent_indent=rest, break_long_words=False, break_on_hyphens=False
    )
    return wrapped.replace(_NO_BREAK, " ")


def _inline(text: str) -> str:
    """Inline markup for a terminal: links as "text (address)", no emphasis stars; code spans kept whole."""
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match[0].replace(" ", _NO_BREAK))
        return f"\0{len(spans) - 1}\0"

    text = _CODE_SPAN.sub(keep, text)
    text = _LINK.sub(r"\1 (\2)", text)
    text = _STRONG.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    text = _RELATION.sub(lambda match: match[0].replace(" ", _NO_BREAK), text)  # "lr = 0.02" stays whole
    return re.sub(r"\0(\d+)\0", lambda match: spans[int(match[1])], text)
