"""The pytest plugin of autoencoder_np (entry point ``pytest11``): a ``gradcheck`` fixture and
``pytest --gradcheck-module my_layers.py``.

pytest loads it in every run where autoencoder_np is installed, so it imports only pytest and the library
(never hypothesis), registers three options and nothing else, and acts only when used:

- the fixture ``gradcheck`` gives the assertions with ``--gradcheck-method`` and ``--gradcheck-rtol``
  applied: ``gradcheck.layer(layer, x)``, ``.loss(loss, pred, target)``, ``.model(model, x, loss)``,
  ``.function(forward, backward, *inputs)``;
- ``--gradcheck-module PATH`` (repeatable) collects every layer and loss PATH defines (instances, and
  classes defined there) as its own test item, checked as ``python -m autoencoder_np gradcheck PATH:NAME``
  checks it; a failure shows the report with its diagnosis. Without other paths on the command line only
  these items run; with them, both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..gradcheck import DEFAULT_RTOL, METHODS
from .assertions import GradCheck


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "gradient checks (autoencoder_np)")
    group.addoption(
        "--gradcheck-method", choices=METHODS, default="central",
        help="numeric derivative of the gradcheck fixture and --gradcheck-module (default central)",
    )  # fmt: skip
    group.addoption(
        "--gradcheck-rtol", type=float, default=DEFAULT_RTOL,
        help=f"relative tolerance of the gradcheck fixture and --gradcheck-module (default {DEFAULT_RTOL:g})",
    )  # fmt: skip
    group.addoption(
        "--gradcheck-module", action="append", default=[], metavar="PATH",
        help="check every layer and loss that PATH defines, each as its own test item",
    )  # fmt: skip


def _modules(config: pytest.Config) -> list[Path]:
    return [Path(p).resolve() for p in config.getoption("gradcheck_module")]


def pytest_configure(config: pytest.Config) -> None:
    """Put the --gradcheck-module files among what pytest collects (alone, when no path was given)."""
    paths = [str(p) for p in _modules(config)]
    if not paths:
        return
    source = getattr(config, "args_source", None)  # pytest ≥ 7.4: were paths given on the command line?
    explicit = source is None or source.name == "ARGS"
    config.args[:] = [*config.args, *paths] if explicit else paths


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A --gradcheck-module file met while collecting a folder."""
    if file_path.resolve() in _modules(parent.config):
        return GradcheckModule.from_parent(parent, path=file_path)
    return None


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A --gradcheck-module file named on the command line (or named test_*.py): ours, not a test module."""
    return pytest_collect_file(module_path, parent)


_COLLECTED = pytest.StashKey[set[Path]]()


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> GradCheck:
    """The assertions with the command line's --gradcheck-method and --gradcheck-rtol."""
    return GradCheck(request.config.getoption("gradcheck_method"), request.config.getoption("gradcheck_rtol"))


class GradcheckFailure(AssertionError):
    """A gradient check of a collected layer failed; the message is its report."""


class GradcheckModule(pytest.File):
    """A user's module of layers: one :class:`GradcheckItem` per layer or loss it defines."""

    def collect(self) -> list[pytest.Item]:
        from ..gradcheck.targets import import_file, module_targets, needs_arguments

        collected = self.config.stash.setdefault(_COLLECTED, set())
        if self.path in collected:  # both hooks above may offer the same file: its items come once
            return []
        collected.add(self.path)
        try:
            module = import_file(self.path)
        except ValueError as err:
            raise self.CollectError(str(err)) from None
        lines = self.path.read_text(encoding="utf-8").splitlines()
        items = []
        for name, obj in module_targets(module):
            where = next((k for k, line in enumerate(lines) if line.startswith((f"class {name}", f"{name} ="))), 0)
            item = GradcheckItem.from_parent(self, name=name, target=obj, line=where)
            why = needs_arguments(obj, name) if isinstance(obj, type) else None
            if why is not None:
                item.add_marker(pytest.mark.skip(reason=why))
            items.append(item)
        return items


class GradcheckItem(pytest.Item):
    """One layer or loss of a user's module, checked as the command checks a target."""

    def __init__(self, *, target: Any, line: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.line = line

    def runtest(self) -> None:
        from ..gradcheck.outcomes import Options, object_outcomes

        config = self.config
        options = Options(config.getoption("gradcheck_method"), None, config.getoption("gradcheck_rtol"), 0)
        outcomes, _ = object_outcomes(self.target, self.name, options)
        failed = [o for o in outcomes if not o.passed]
        if failed:
            raise GradcheckFailure("\n\n".join(o.details() for o in failed))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The report and its diagnosis; a layer that cannot be checked: one line saying why."""
        if isinstance(excinfo.value, (GradcheckFailure, TypeError, ValueError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.line, f"gradcheck {self.name}"
