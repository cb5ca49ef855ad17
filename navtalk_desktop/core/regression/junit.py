"""JUnit XML for test results (what CI servers show as a test report)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from navtalk_desktop.core.regression.results import CaseResult, Status


def junit_xml(results: Sequence[CaseResult], *, name: str = "navtalk-desktop") -> str:
    """The JUnit XML document: one ``testsuite`` per suite, in first-seen order.

    Failures carry the first problem as ``message`` and every problem with its diff as
    text; errors and skips likewise use ``error`` and ``skipped``.
    """
    root = ET.Element("testsuites", name=name)
    suites: dict[str, list[CaseResult]] = {}
    for result in results:
        suites.setdefault(result.suite, []).append(result)
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    for suite_name, members in suites.items():
        counts = {
            "tests": len(members),
            "failures": sum(r.status is Status.FAILED for r in members),
            "errors": sum(r.status is Status.ERROR for r in members),
            "skipped": sum(r.status is Status.SKIPPED for r in members),
        }
        elapsed = sum(r.duration_s for r in members)
        element = ET.SubElement(root, "testsuite", name=suite_name, time=f"{elapsed:.3f}")
        for key, value in counts.items():
            element.set(key, str(value))
        for result in members:
            case = ET.SubElement(
                element,
                "testcase",
                name=result.name,
                classname=f"{suite_name}.{result.kind}",
                time=f"{result.duration_s:.3f}",
            )
            tag = {
                Status.FAILED: "failure",
                Status.ERROR: "error",
                Status.SKIPPED: "skipped",
            }.get(result.status)
            if tag is not None:
                child = ET.SubElement(case, tag, message=result.headline)
                child.text = result.reason
            if result.output is not None:
                ET.SubElement(case, "system-out").text = result.output
        for key, value in counts.items():
            totals[key] += value
        total_time += elapsed
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
