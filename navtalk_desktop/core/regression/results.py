"""Outcomes of test cases, shared by the runners, the console report and JUnit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from navtalk_desktop.core.regression.expect import Mismatch


class Status(StrEnum):
    """How a test ended."""

    PASSED = "passed"
    FAILED = "failed"
    """An expectation did not hold."""
    ERROR = "error"
    """The test could not run as written (unknown tool, no connection…)."""
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class SeenCall:
    """A function call a conversation test's session made, as it was answered.

    Attributes:
        tool: the function name.
        arguments: the parsed arguments (``None`` when they could not be parsed).
        output: the answer sent (``None``: not answered).
        is_error: the answer was an error output.
        status: how the dispatcher settled it (``answered``, ``silent``, ``closed``).
    """

    tool: str
    arguments: dict[str, Any] | None
    output: str | None
    is_error: bool
    status: str

    def render(self) -> str:
        """``get_weather {"city": "Beijing"} → Sunny`` (one call, for the result details)."""
        arguments = json.dumps(self.arguments, ensure_ascii=False)
        if self.output is None:
            return f"{self.tool} {arguments} → not answered ({self.status})"
        return f"{self.tool} {arguments} → {'error: ' if self.is_error else ''}{self.output}"


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One test's outcome.

    Attributes:
        suite: the suite's name.
        name: the test's name.
        kind: ``call`` or ``conversation``.
        status: how it ended.
        duration_s: wall time of the test.
        problems: the checks that failed (``FAILED``) or the reason (``ERROR``/``SKIPPED``).
        output: what was actually sent (for the report and for re-recording).
        calls: a conversation test's calls in its own session (arguments and answers).
    """

    suite: str
    name: str
    kind: str
    status: Status
    duration_s: float
    problems: tuple[Mismatch, ...] = ()
    output: str | None = None
    calls: tuple[SeenCall, ...] = ()

    @property
    def reason(self) -> str:
        """All problems, each with its diff, for the console and JUnit."""
        return "\n".join(problem.render() for problem in self.problems)

    @property
    def headline(self) -> str:
        """The first problem's one-line message."""
        return self.problems[0].message if self.problems else ""


def summary(results: list[CaseResult]) -> dict[Status, int]:
    """Count per status (every status present, zeros included)."""
    counts = dict.fromkeys(Status, 0)
    for result in results:
        counts[result.status] += 1
    return counts
