"""Where user expressions (Jinja templates, rule regexes) are evaluated: a port with a budget.

A template with nested loops or a regex with catastrophic backtracking must never stall the
engine. Responders therefore never evaluate them on the event loop themselves: they ask an
:class:`ExpressionSandbox`, which stops the work when its time budget is spent and refuses
output past its cap. The engine's implementation (``infra.expression_sandbox``) runs a worker
process that is killed on timeout, so the CPU really stops burning.

:class:`ThreadSandbox` is the in-process fallback for places without worker processes (unit
tests, library use): templates stop cooperatively (loops check the deadline), but a regex
that backtracks forever keeps a worker thread busy after its caller has moved on.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from navtalk_desktop.core.responders.config import StepLimits
from navtalk_desktop.core.responders.templating import TemplateLimitError, render


class PatternError(ValueError):
    """A regex is invalid or could not be searched; the message says why."""


class PatternLimitError(PatternError):
    """A regex search went past its time budget and was stopped."""


class ExpressionSandbox(Protocol):
    """Evaluates user templates and regexes under a time budget and an output cap."""

    async def render(self, source: str, context: Mapping[str, Any], limits: StepLimits) -> str:
        """Render a template (see :func:`~.templating.render` for what it sees).

        Raises:
            TemplateLimitError: over ``limits.time_s`` (the work is stopped) or
                ``limits.max_output``.
            TemplateError: any other template problem, worded for the call desk.
        """
        ...

    async def search(
        self, pattern: str, texts: Sequence[str], *, ignore_case: bool, limits: StepLimits
    ) -> bool:
        """Whether ``pattern`` (Python ``re`` syntax) is found in any of ``texts``.

        Raises:
            PatternLimitError: the search took longer than ``limits.time_s`` (stopped).
            PatternError: the pattern does not compile.
        """
        ...


def compile_pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """``pattern`` compiled as rules use it.

    Raises:
        PatternError: it does not compile.
    """
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise PatternError(f"pattern {pattern!r} is invalid: {exc}") from None


def search_texts(pattern: str, texts: Sequence[str], ignore_case: bool) -> bool:
    """The search itself (runs wherever the sandbox puts it)."""
    compiled = compile_pattern(pattern, ignore_case)
    return any(compiled.search(text) for text in texts)


def over_budget_message(pattern: str, time_s: float) -> str:
    """What a regex over its budget reports (the same wording from every sandbox)."""
    return (
        f"pattern {pattern!r} took longer than its {time_s:g} s budget and was stopped "
        "(catastrophic backtracking? simplify nested repetitions like (a+)+)"
    )


class ThreadSandbox:
    """Evaluates in a worker thread, off the event loop, without process isolation.

    Templates stop on their deadline by themselves; a regex past its budget is reported as
    such at once, but its thread cannot be stopped and runs until the search ends.
    """

    async def render(self, source: str, context: Mapping[str, Any], limits: StepLimits) -> str:
        """Render in a thread; the render watches its own deadline."""
        return await asyncio.to_thread(
            render, source, context, time_s=limits.time_s, max_chars=limits.max_output
        )

    async def search(
        self, pattern: str, texts: Sequence[str], *, ignore_case: bool, limits: StepLimits
    ) -> bool:
        """Search in a thread; give up waiting after the budget."""
        compile_pattern(pattern, ignore_case)  # a bad pattern is an error, not a timeout
        work = asyncio.to_thread(search_texts, pattern, list(texts), ignore_case)
        started = time.monotonic()
        try:
            found = await asyncio.wait_for(work, limits.time_s)
        except TimeoutError:
            raise PatternLimitError(over_budget_message(pattern, limits.time_s or 0)) from None
        # ``re`` holds the GIL for a whole search, so the loop may only wake once it has
        # finished, with the result and the expired timeout ready at once; the result wins
        # that race. The budget is a promise about time, so judge it by the clock too.
        if limits.time_s is not None and time.monotonic() - started > limits.time_s:
            raise PatternLimitError(over_budget_message(pattern, limits.time_s))
        return found


__all__ = [
    "ExpressionSandbox",
    "PatternError",
    "PatternLimitError",
    "TemplateLimitError",
    "ThreadSandbox",
    "compile_pattern",
    "over_budget_message",
    "search_texts",
]
