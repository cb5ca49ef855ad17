"""TaskRunner: the one owner of every background coroutine the UI starts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    """Starts coroutines on the running (qasync) loop and keeps them alive until done.

    asyncio holds only weak references to tasks and qasync 0.28's ``asyncSlot`` keeps
    none (architecture reference P4), so a fire-and-forget task can be garbage-collected
    mid-flight. Every UI coroutine goes through here instead: the runner keeps a strong
    reference, reports failures, and cancels everything on shutdown.

    Signals:
        task_failed(str, str): a task raised; arguments are the task name and the error text.
    """

    task_failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def pending(self) -> int:
        """Number of tasks still running."""
        return len(self._tasks)

    def start(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Schedule ``coro`` on the running loop and own the task until it finishes."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        return task

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("background task %s failed", task.get_name(), exc_info=error)
            self.task_failed.emit(task.get_name(), f"{type(error).__name__}: {error}")

    async def cancel_all(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109  (bounded wait, not a deadline)
        """Cancel every owned task and wait (bounded) until they have finished."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
