"""What the regression runner needs from outside core: a regex search with a budget."""

from __future__ import annotations

from typing import Protocol


class PatternError(ValueError):
    """A test's regex does not compile, or its search was stopped; the message says why."""


class PatternBudgetError(PatternError):
    """A regex search ran past its time budget (or its input past the size cap) and was stopped."""


class BudgetedRegex(Protocol):
    """Searches user-supplied regular expressions within a time and size budget.

    Suites come from other people: a pattern with catastrophic backtracking must fail its
    test, not hang the run. Implementations search off the event loop and really stop the
    search when the budget is spent.
    """

    async def search(self, pattern: str, text: str) -> bool:
        """Whether ``pattern`` (Python ``re`` syntax) is found in ``text``.

        Raises:
            PatternBudgetError: the search took longer than the budget, or the pattern or
                text is larger than the size cap.
            PatternError: the pattern does not compile.
        """
        ...
