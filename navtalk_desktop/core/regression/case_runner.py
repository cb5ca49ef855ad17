"""Running one test case wherever the caller is (the CLI, the app's Tests panel)."""

from __future__ import annotations

from typing import Protocol

from navtalk_desktop.core.regression.results import CaseResult
from navtalk_desktop.core.regression.suite import TestCase
from navtalk_desktop.core.tools.toolset import ToolSet


class CaseRunner(Protocol):
    """Runs a test case against a tool set: call tests through its responders,
    conversation tests through a session."""

    async def run(self, suite: str, case: TestCase, toolset: ToolSet) -> CaseResult:
        """Run ``case`` of suite ``suite``; never raises for what the test finds."""
        ...
