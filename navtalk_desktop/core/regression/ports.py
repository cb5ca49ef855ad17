"""What regression tests need from outside core: a budgeted regex search, suite files."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from navtalk_desktop.core.regression.suite import Suite


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


class SuiteFiles(Protocol):
    """Reads and writes test suite files (the app's "Save as test" goes through this)."""

    def load(self, path: Path) -> Suite:
        """Read a suite file.

        Raises:
            OSError: unreadable.
            ConfigError: malformed (located).
        """
        ...

    def save(self, path: Path, suite: Suite) -> None:
        """Write a suite file in its canonical form, atomically.

        Raises:
            OSError: not writable.
        """
        ...
