"""Tests made from what happened: a call that was seen becomes a call test.

The expectation is prefilled from the actual answer (its exact text, and "not an error"
or "is an error"); the user edits it afterwards (a regex instead of the exact text when
the answer holds a date, a latency budget…).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from navtalk_desktop.core.regression.suite import CallTest, Expectation, Suite


def call_test_from(
    name: str, tool: str, arguments: dict[str, Any], output: str, *, is_error: bool
) -> CallTest:
    """A call test expecting exactly ``output`` again.

    A JSON object or array output is expected as a JSON subset (equal to the whole value),
    so a change in key order or spacing is not a failure.
    """
    expect = Expectation(is_error=True) if is_error else Expectation(not_error=True)
    try:
        parsed: Any = json.loads(output)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict | list):
        expect = dataclasses.replace(expect, json_subset=parsed)
    else:
        expect = dataclasses.replace(expect, text=output)
    return CallTest(name=name, tool=tool, arguments=dict(arguments), expect=expect)


def unique_name(suite: Suite, wanted: str) -> str:
    """``wanted``, or ``wanted (2)``, ``(3)``… when the suite has a test of that name."""
    names = {case.name for case in suite.tests}
    if wanted not in names:
        return wanted
    number = 2
    while f"{wanted} ({number})" in names:
        number += 1
    return f"{wanted} ({number})"


def with_case(suite: Suite, case: CallTest) -> Suite:
    """``suite`` with ``case`` appended (renamed if its name is taken)."""
    case = dataclasses.replace(case, name=unique_name(suite, case.name))
    return dataclasses.replace(suite, tests=(*suite.tests, case))


def describe_call(tool: str, arguments: dict[str, Any]) -> str:
    """A default test name: ``get_weather city=Beijing``."""
    parts = [
        f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in arguments.items()
    ]
    text = " ".join([tool, *parts])
    return text if len(text) <= 80 else text[:79] + "…"


def rerecorded(case: CallTest, output: str) -> CallTest:
    """``case`` expecting ``output`` from now on (after an intended change).

    The JSON subset becomes the new JSON value (or, when the output is no longer JSON, the
    exact text); otherwise the exact text is replaced (or set). Other checks (regex, error
    state, latency) stay as they were.
    """
    expect = case.expect
    if expect.has_json_subset:
        try:
            value: Any = json.loads(output)
        except ValueError:
            plain = {f.name: getattr(expect, f.name) for f in dataclasses.fields(Expectation)}
            del plain["json_subset"]
            expect = Expectation(**{**plain, "text": output})
        else:
            expect = dataclasses.replace(expect, json_subset=value)
    else:
        expect = dataclasses.replace(expect, text=output)
    return dataclasses.replace(case, expect=expect)
