"""Test-suite regexes run with a time and size budget, in the expression sandbox's workers."""

from __future__ import annotations

import asyncio

import pytest

from navtalk_desktop.core.regression.ports import PatternBudgetError, PatternError
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
from navtalk_desktop.infra.regex_budget import RegexWithBudget


@pytest.mark.asyncio
async def test_catastrophic_backtracking_is_stopped_while_the_loop_keeps_running() -> None:
    sandbox = ProcessExpressionSandbox()
    regex = RegexWithBudget(sandbox, time_s=0.3)
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    beat = asyncio.create_task(heartbeat())
    try:
        with pytest.raises(PatternBudgetError, match="budget and was stopped"):
            await regex.search(r"^(a|aa)+$", "a" * 5000 + "!")
        # The search ran in a worker that was killed: the loop went on meanwhile.
        assert ticks > 10
        assert sandbox.killed == 1
        # And the next search gets a fresh worker.
        assert await regex.search(r"^Beijing: \d+", "Beijing: 27 °C")
    finally:
        beat.cancel()
        await sandbox.close()


@pytest.mark.asyncio
async def test_matches_sizes_and_bad_patterns() -> None:
    sandbox = ProcessExpressionSandbox()
    regex = RegexWithBudget(sandbox, max_pattern=20, max_text=100)
    try:
        assert await regex.search(r"^Beijing: \d+", "Beijing: 27 °C")
        assert not await regex.search(r"Paris", "Beijing")
        with pytest.raises(PatternBudgetError, match="the limit is 20"):
            await regex.search("x" * 21, "x")
        with pytest.raises(PatternBudgetError, match="at most 100"):
            await regex.search("x", "x" * 101)
        with pytest.raises(PatternError, match="invalid"):
            await regex.search("(", "x")
    finally:
        await sandbox.close()
