"""Solution regions in the package source, and the starter code made from them.

A region is marked by comment lines, each alone on its line, at the indentation of the code they wrap::

    # BEGIN SOLUTION dense.backward
    # HINT: dL/dW = xᵀ·dL/dy, …          (optional; several HINT lines join with a space)
    ...the solution lines...
    # END SOLUTION

Only real comments count (the source is tokenized), so a docstring may quote the markers. Regions do not
nest, and an END has the indentation of its BEGIN. :func:`strip` replaces each chosen region by
``raise NotImplementedError("<id>: <hint>")``; the code around it stays as it is.

Stripping leaves the set-up lines before a region (``x = self.cache["x"]``) with nobody reading them, which
ruff reports (F841, RUF059; F401 for an import only the region used). Those lines are the student's
scaffolding, so :func:`strip` keeps them and marks them ``# noqa`` instead.

The solution regions live in the textbook kernels (``autoencoder_np/textbook/``). A fast twin of a solution
(``autoencoder_np/fast/``) is marked the same way with ``# BEGIN FAST <id>`` … ``# END FAST``: stripping a
solution strips its fast twin too, so a handout carries no working copy of what it asks for, and the
handout's ``kernels.py`` makes the textbook set the default (:data:`HANDOUT_DEFAULT`), so that a student's
own functions are the ones that train.
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass
from pathlib import Path

BEGIN = re.compile(r"#\s*BEGIN (?P<kind>SOLUTION|FAST)\s+(?P<id>\S+)\s*$")
HINT = re.compile(r"#\s*HINT:\s*(?P<text>.*?)\s*$")
END = re.compile(r"#\s*END (?P<kind>SOLUTION|FAST)\s*$")
#: The line of ``kernels.py`` that picks the default kernel set, and what a handout has instead.
DEFAULT_KERNELS = ('DEFAULT = "fast"', 'DEFAULT = "textbook"')
REGION_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
LINE_LENGTH = 120  # the project's ruff line length: the generated raise must fit it


class MarkerError(ValueError):
    """Unbalanced, nested or malformed solution markers; the message names the file and line."""


@dataclass(frozen=True)
class Region:
    """One marked region. Lines are 1-based: ``begin`` is the BEGIN comment, ``end`` the END comment.

    ``qualname``: the function holding it, e.g. ``Dense.backward``; ``indent``: the markers' indentation.
    """

    id: str
    hint: str
    path: str
    begin: int
    end: int
    indent: str
    qualname: str
    kind: str = "SOLUTION"  # or "FAST": the fast twin of the solution with the same id

    @property
    def message(self) -> str:
        """What the stripped region raises: the id, then the hint."""
        if self.kind == "FAST":
            return f"{self.id}: not in this handout, which runs the textbook kernels (kernels='textbook')"
        return f"{self.id}: {self.hint}" if self.hint else f"{self.id}: not implemented yet"


def _comment_lines(text: str, path: str) -> list[tuple[int, str]]:
    """(line, comment) for every comment that stands alone on its line."""
    lines = text.splitlines()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise MarkerError(f"{path}: cannot tokenize ({err})") from None
    return [
        (tok.start[0], tok.string)
        for tok in tokens
        if tok.type == tokenize.COMMENT and not lines[tok.start[0] - 1][: tok.start[1]].strip()
    ]


def _qualnames(text: str, path: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function in ``text``."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as err:
        raise MarkerError(f"{path}:{err.lineno}: not valid Python ({err.msg})") from None
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")

    visit(tree, "")
    return found


def find_regions(text: str, path: str = "<source>") -> list[Region]:
    """The regions of one source file, in order; MarkerError if the markers do not balance."""
    lines = text.splitlines()
    functions = _qualnames(text, path)
    regions: list[Region] = []
    open_at: tuple[int, str, str, list[str], str] | None = None  # (line, id, indent, hints, kind)
    for line, comment in _comment_lines(text, path):
        indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
        if begin := BEGIN.match(comment):
            if open_at:
                raise MarkerError(
                    f"{path}:{line}: BEGIN {begin['kind']} inside region {open_at[1]!r} (line {open_at[0]})"
                )
            if not REGION_ID.fullmatch(begin["id"]):
                raise MarkerError(f"{path}:{line}: region id {begin['id']!r} is not like 'dense.backward'")
            open_at = (line, begin["id"], indent, [], begin["kind"])
        elif (hint := HINT.match(comment)) and open_at:
            if line != open_at[0] + 1 + len(open_at[3]):
                raise MarkerError(f"{path}:{line}: a HINT line must follow BEGIN {open_at[4]} {open_at[1]} directly")
            open_at[3].append(hint["text"])
        elif end := END.match(comment):
            if not open_at:
                raise MarkerError(f"{path}:{line}: END {end['kind']} without a BEGIN {end['kind']}")
            start, region_id, begin_indent, hints, kind = open_at
            if end["kind"] != kind:
                raise MarkerError(f"{path}:{line}: END {end['kind']} closes BEGIN {kind} {region_id} (line {start})")
            if indent != begin_indent:
                raise MarkerError(f"{path}:{line}: END {kind} is not indented like its BEGIN (line {start})")
            if line == start + 1 + len(hints):
                raise MarkerError(f"{path}:{start}: region {region_id!r} is empty")
            owners = [name for first, last, name in functions if first < start <= last]
            qualname = owners[-1] if owners else "<module>"
            regions.append(Region(region_id, " ".join(hints), path, start, line, indent, qualname, kind))
            open_at = None
    if open_at:
        raise MarkerError(f"{path}:{open_at[0]}: BEGIN {open_at[4]} {open_at[1]} has no END {open_at[4]}")
    return regions


def package_regions(root: Path, kind: str = "SOLUTION") -> dict[str, Region]:
    """Every region of ``kind`` (solutions, or their FAST twins) under the package directory ``root``, by id
    (paths relative to root's parent)."""
    regions: dict[str, Region] = {}
    for file in sorted(root.rglob("*.py")):
        relative = file.relative_to(root.parent).as_posix()
        text = file.read_text(encoding="utf-8")
        if f"BEGIN {kind}" not in text:  # most files hold no region: skip tokenizing them
            continue
        for region in find_regions(text, relative):
            if region.kind != kind:
                continue
            if region.id in regions:
                first = regions[region.id]
                raise MarkerError(f"{relative}:{region.begin}: region {region.id!r} also at {first.path}:{first.begin}")
            regions[region.id] = region
    return regions


def _literal(text: str) -> str:
    quote = "'" if '"' in text and "'" not in text else '"'  # ruff's choice: the quote needing no escapes
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def _raise_lines(region: Region) -> list[str]:
    """``raise NotImplementedError("…")`` as ruff formats it: one line, or the message split at spaces."""
    one_line = f"{region.indent}raise NotImplementedError({_literal(region.message)})"
    if len(one_line) <= LINE_LENGTH:
        return [one_line]
    inner = f"{region.indent}    "
    width = LINE_LENGTH - len(inner) - 2
    pieces = textwrap.wrap(region.message, width, break_long_words=False, drop_whitespace=False)
    body = [inner + _literal(piece) for piece in pieces]
    return [f"{region.indent}raise NotImplementedError(", *body, f"{region.indent})"]


def _bound_names(stmt: ast.stmt) -> list[tuple[ast.Name, str]]:
    """(name, the ruff rule that reports it unused) for each name an assignment binds.

    ruff reports a plain name and a tuple of names assigned a tuple of values under F841, a name unpacked
    from anything else under RUF059.
    """
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [(stmt.target, "F841")]
    if not isinstance(stmt, ast.Assign):
        return []
    bound: list[tuple[ast.Name, str]] = []
    for target in stmt.targets:
        if isinstance(target, ast.Name):
            bound.append((target, "F841"))
        elif isinstance(target, ast.Tuple | ast.List):
            value = stmt.value
            same_length = isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(target.elts)
            code = "F841" if same_length else "RUF059"
            bound += [(n, code) for n in target.elts if isinstance(n, ast.Name)]
    return bound


def _orphans(text: str, removed: set[int]) -> dict[int, str]:
    """Lines outside ``removed`` that bind a name only the removed lines read -> the noqa codes they need."""
    tree = ast.parse(text)

    def loads(node: ast.AST, inside: bool) -> set[str]:
        return {
            n.id
            for n in ast.walk(node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and (n.lineno in removed) == inside
        }

    marks: dict[int, set[str]] = {}
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        orphaned = loads(func, True) - loads(func, False)
        for stmt in ast.walk(func):
            for name, code in _bound_names(stmt) if isinstance(stmt, ast.stmt) else []:
                if name.id in orphaned and name.lineno not in removed:
                    marks.setdefault(name.lineno, set()).add(code)
    orphaned = loads(tree, True) - loads(tree, False)
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name.split(".")[0]) in orphaned:
                    marks.setdefault(alias.lineno, set()).add("F401")
    return {line: ", ".join(sorted(codes)) for line, codes in marks.items()}


def strip(text: str, ids: set[str] | frozenset[str], path: str = "<source>") -> str:
    """``text`` with every region whose id is in ``ids`` replaced by a raise of its hint (see module docstring).

    The solution regions and their FAST twins go alike; in ``kernels.py`` the default kernel set becomes the
    textbook's (:data:`DEFAULT_KERNELS`), also when ``ids`` is empty (a solutions copy runs what it shows).
    """
    if path.endswith("kernels.py") and DEFAULT_KERNELS[0] in text:
        text = text.replace(DEFAULT_KERNELS[0], DEFAULT_KERNELS[1], 1)
    chosen = [r for r in find_regions(text, path) if r.id in ids]
    if not chosen:
        return text
    removed = {line for r in chosen for line in range(r.begin, r.end + 1)}
    marks = _orphans(text, removed)
    starts = {r.begin: r for r in chosen}
    out: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number in starts:
            out.extend(_raise_lines(starts[number]))
        elif number in removed:
            continue
        elif number in marks and "# noqa" not in line:
            out.append(f"{line}  # noqa: {marks[number]}")
        else:
            out.append(line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
