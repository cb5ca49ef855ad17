"""Writing the settings file in the background: one write at a time, always the newest.

Two writes on the app's two-worker executor could finish out of order and leave the older
file behind; a single writer task that loops until nothing is unsaved cannot.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.infra.settings_file import SettingsFile
from navtalk_desktop.ui.shell.tasks import TaskRunner


class SettingsWriter:
    """Saves :class:`AppSettings` to a settings file off the GUI thread.

    Args:
        file: where the settings go.
        tasks: owner of the writer task.
        run_blocking: runs a blocking call on the app's file executor.
        notify: shows a problem to the user (``notify(text, level)``).
    """

    def __init__(
        self,
        file: SettingsFile,
        tasks: TaskRunner,
        run_blocking: Callable[[Callable[[], Any]], Awaitable[Any]],
        notify: Callable[[str, str], object],
    ) -> None:
        self._file = file
        self._tasks = tasks
        self._run_blocking = run_blocking
        self._notify = notify
        self._newest = AppSettings()
        self._unsaved = False
        self._writer: asyncio.Task[None] | None = None

    def write(self, settings: AppSettings) -> None:
        """Save ``settings`` in the background (after a write already running)."""
        self._newest = settings
        self._unsaved = True
        if self._writer is None or self._writer.done():
            self._writer = self._tasks.start(self._write(), name="save-settings")

    async def _write(self) -> None:
        """Write the newest settings until they are saved (changes meanwhile are merged)."""
        while self._unsaved:
            self._unsaved = False
            settings = self._newest
            try:
                await self._run_blocking(functools.partial(self._file.save, settings))
            except OSError as error:
                self._notify(f"Could not save the settings: {error}", "error")

    async def finish(self, timeout_s: float) -> None:
        """Wait (at most ``timeout_s``) for the last change to reach the file."""
        writer = self._writer
        if writer is not None and not writer.done():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await asyncio.shield(writer)
