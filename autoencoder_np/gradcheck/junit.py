"""The JUnit XML report a CI shows: one test case per checked gradient, the diagnosis in its failure.

::

    <testsuites name="autoencoder_np gradcheck" tests=… failures=… skipped=… time=…>
      <testsuite name="Dense(4→3)" tests="3" failures="1" errors="0" skipped="0">
        <testcase classname="Dense(4→3)" name="W"/>
        <testcase classname="Dense(4→3)" name="b">
          <failure type="bias_sum" message="b: the analytic gradient equals row 0 of dL/dy …">the full report</failure>
        </testcase>
        …

A check that did not run (a loss that takes no mask) is one test case with ``<skipped message=…/>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from .outcomes import Outcome
from .report import GradCheckRow


def failure_message(row: GradCheckRow) -> str:
    """The diagnosis of a failed row, or (without a hint) its worst entry."""
    if row.hints:
        return " ".join(row.hints)
    return (
        f"{row.name}: max relative error {row.max_rel_error:.2e} ({row.band}); worst entry {row.worst_index}: "
        f"analytic {row.analytic_value:.6g}, numeric {row.numeric_value:.6g}"
    )


def _suite(outcome: Outcome) -> ET.Element:
    suite = ET.Element("testsuite", name=outcome.label, errors="0")
    if outcome.report is None:
        case = ET.SubElement(suite, "testcase", classname=outcome.label, name=outcome.label)
        ET.SubElement(case, "skipped", message=outcome.skipped or "")
        suite.set("tests", "1")
        suite.set("failures", "0")
        suite.set("skipped", "1")
        return suite
    for row in outcome.report.rows:
        case = ET.SubElement(suite, "testcase", classname=outcome.label, name=row.name)
        if not row.passed:
            failure = ET.SubElement(case, "failure", type=",".join(row.hint_codes) or "gradient")
            failure.set("message", failure_message(row))
            failure.text = outcome.details()
    suite.set("tests", str(len(outcome.report.rows)))
    suite.set("failures", str(sum(not row.passed for row in outcome.report.rows)))
    suite.set("skipped", "0")
    return suite


def junit_xml(outcomes: list[Outcome], seconds: float) -> ET.ElementTree:
    """The report as an element tree: testsuites / testsuite (one a check) / testcase (one a gradient)."""
    root = ET.Element("testsuites", name="autoencoder_np gradcheck", time=f"{seconds:.3f}")
    suites = [_suite(o) for o in outcomes]
    root.extend(suites)
    for key in ("tests", "failures", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    return ET.ElementTree(root)


def write_junit(path: Path, outcomes: list[Outcome], seconds: float) -> None:
    """Write :func:`junit_xml` to ``path`` (UTF-8, folders created)."""
    tree = junit_xml(outcomes, seconds)
    ET.indent(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
