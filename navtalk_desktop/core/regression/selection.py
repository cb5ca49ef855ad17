"""Choosing tests (``-k``) and running them with a concurrency limit, results in file order."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from navtalk_desktop.core.regression.suite import TestCase

T = TypeVar("T")


def selected(case: TestCase, suite: str, pattern: str | None) -> bool:
    """Whether ``-k PATTERN`` selects a test.

    The pattern is matched case-insensitively against ``suite::name``: a glob when it has
    ``*``, ``?`` or ``[``, else a substring (``-k weather`` picks every weather test).
    """
    if not pattern:
        return True
    full = f"{suite}::{case.name}".casefold()
    wanted = pattern.casefold()
    if any(ch in wanted for ch in "*?["):
        return fnmatch.fnmatchcase(full, wanted) or fnmatch.fnmatchcase(
            case.name.casefold(), wanted
        )
    return wanted in full


async def run_limited(
    jobs: Sequence[Callable[[], Awaitable[T]]],
    limit: int,
    on_done: Callable[[int, T], None] | None = None,
) -> list[T]:
    """Run ``jobs`` with at most ``limit`` at a time; results in the jobs' order.

    ``on_done(index, result)`` is called as each job finishes (for live progress).
    """
    gate = asyncio.Semaphore(max(1, limit))

    async def one(index: int, job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            result = await job()
        if on_done is not None:
            on_done(index, result)
        return result

    return list(await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs))))
