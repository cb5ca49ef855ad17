"""User regexes searched with a time and size budget (the ``regex`` module's timeout).

``regex`` checks its timeout inside the matching loop, so a catastrophically backtracking
pattern is really stopped (not just abandoned on a thread that keeps burning CPU), and with
``concurrent=True`` it releases the GIL while it searches, so the search runs in a worker
thread off the event loop.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

import regex

from navtalk_desktop.core.regression.ports import PatternBudgetError, PatternError

DEFAULT_TIME_S = 1.0
MAX_PATTERN = 2_000
MAX_TEXT = 1_000_000


@lru_cache(maxsize=256)
def _compile(pattern: str) -> regex.Pattern[str]:
    try:
        return regex.compile(pattern, regex.VERSION0)
    except regex.error as exc:
        raise PatternError(f"regex {pattern!r} is invalid: {exc}") from None


class RegexWithBudget:
    """:class:`~navtalk_desktop.core.regression.ports.BudgetedRegex` on the ``regex`` module.

    Args:
        time_s: longest time one search may take.
        max_pattern: longest pattern accepted (characters).
        max_text: longest text searched (characters).
    """

    def __init__(
        self,
        time_s: float = DEFAULT_TIME_S,
        max_pattern: int = MAX_PATTERN,
        max_text: int = MAX_TEXT,
    ) -> None:
        self.time_s = time_s
        self.max_pattern = max_pattern
        self.max_text = max_text

    async def search(self, pattern: str, text: str) -> bool:
        """Whether ``pattern`` is found in ``text``, within the budget."""
        if len(pattern) > self.max_pattern:
            raise PatternBudgetError(
                f"regex is {len(pattern)} characters long; the limit is {self.max_pattern}"
            )
        if len(text) > self.max_text:
            raise PatternBudgetError(
                f"the text is {len(text)} characters long; regexes search at most {self.max_text}"
            )
        compiled = _compile(pattern)
        return await asyncio.to_thread(self._search, compiled, pattern, text)

    def _search(self, compiled: regex.Pattern[str], pattern: str, text: str) -> bool:
        try:
            return compiled.search(text, timeout=self.time_s, concurrent=True) is not None
        except TimeoutError:
            raise PatternBudgetError(
                f"regex {pattern!r} took longer than its {self.time_s:g} s budget and was stopped "
                "(catastrophic backtracking? simplify nested repetitions like (a+)+)"
            ) from None
