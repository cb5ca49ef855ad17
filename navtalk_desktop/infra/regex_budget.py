"""Test-suite regexes searched with a time and size budget, in the expression sandbox.

Expectations come from whoever wrote the suite: their regexes are searched by the same
worker processes as the responders' rule regexes (:mod:`.expression_sandbox`), so a
catastrophically backtracking pattern has its worker killed when the budget is spent (the
CPU really stops) and the event loop never waits on it. Patterns and texts past a size cap
are refused before any search.
"""

from __future__ import annotations

from navtalk_desktop.core.regression.ports import PatternBudgetError, PatternError
from navtalk_desktop.core.responders.config import StepLimits
from navtalk_desktop.core.responders.sandbox import (
    ExpressionSandbox,
    PatternLimitError,
)
from navtalk_desktop.core.responders.sandbox import (
    PatternError as SandboxPatternError,
)

DEFAULT_TIME_S = 1.0
MAX_PATTERN = 2_000
MAX_TEXT = 1_000_000


class RegexWithBudget:
    """:class:`~navtalk_desktop.core.regression.ports.BudgetedRegex` on an expression sandbox.

    Args:
        sandbox: where the search runs (the app's or the CLI's worker-process sandbox).
        time_s: longest time one search may take.
        max_pattern: longest pattern accepted (characters).
        max_text: longest text searched (characters).
    """

    def __init__(
        self,
        sandbox: ExpressionSandbox,
        time_s: float = DEFAULT_TIME_S,
        max_pattern: int = MAX_PATTERN,
        max_text: int = MAX_TEXT,
    ) -> None:
        self.sandbox = sandbox
        self.time_s = time_s
        self.max_pattern = max_pattern
        self.max_text = max_text

    async def search(self, pattern: str, text: str) -> bool:
        """Whether ``pattern`` (Python ``re`` syntax) is found in ``text``, within the budget."""
        if len(pattern) > self.max_pattern:
            raise PatternBudgetError(
                f"regex is {len(pattern)} characters long; the limit is {self.max_pattern}"
            )
        if len(text) > self.max_text:
            raise PatternBudgetError(
                f"the text is {len(text)} characters long; regexes search at most {self.max_text}"
            )
        limits = StepLimits(time_s=self.time_s, max_output=self.max_text)
        try:
            return await self.sandbox.search(pattern, [text], ignore_case=False, limits=limits)
        except PatternLimitError as exc:
            raise PatternBudgetError(str(exc)) from None
        except SandboxPatternError as exc:
            raise PatternError(str(exc)) from None
