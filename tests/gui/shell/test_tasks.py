"""TaskRunner owns background coroutines: keeps them alive, reports failures, cancels all."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from navtalk_desktop.ui.shell.tasks import TaskRunner


def test_task_runs_to_completion_even_without_caller_reference(qloop: Any, qtbot: Any) -> None:
    runner = TaskRunner()
    results: list[int] = []

    async def work() -> None:
        await asyncio.sleep(0.05)
        results.append(1)

    runner.start(work(), name="detached")
    gc.collect()  # a task only the loop knows about could be collected here (P4)
    # The runner lets go of a task in its done callback, a loop turn after the work ends.
    qtbot.waitUntil(lambda: results == [1] and runner.pending == 0, timeout=20_000)


def test_failure_is_reported_through_signal(qloop: Any, qtbot: Any) -> None:
    runner = TaskRunner()

    async def broken() -> None:
        raise ValueError("boom")

    with qtbot.waitSignal(runner.task_failed, timeout=20_000) as blocker:
        runner.start(broken(), name="broken-task")
    assert blocker.args == ["broken-task", "ValueError: boom"]


def test_cancel_all_stops_pending_tasks(qloop: Any, await_in_qt: Any) -> None:
    runner = TaskRunner()
    started = [runner.start(asyncio.sleep(60), name=f"sleeper-{i}") for i in range(3)]
    assert runner.pending == 3
    await_in_qt(runner.cancel_all())
    assert all(task.cancelled() for task in started)
    assert runner.pending == 0
