"""The built-in simulator the Local simulator profile connects to.

It starts only when something needs it (issue 16 #11): the active profile is the Local
simulator (at start-up, or chosen later, e.g. by opening an example), or a conversation
test asks for its URL. Pointed elsewhere (``--url``, a real profile), the app runs none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.server import SimulatorServer
    from navtalk_desktop.ui.shell.tasks import TaskRunner

log = logging.getLogger(__name__)


async def start_simulator(
    config: SimulatorConfig | None, notify: Callable[[str, str], object]
) -> SimulatorServer | None:
    """Start the simulator on 127.0.0.1 (a free port); None when it cannot start.

    Args:
        config: its configuration (default: :class:`SimulatorConfig`'s defaults).
        notify: tells the user why it could not start (``notify(text, level)``).
    """
    # Imported here: the server is ~70 ms of imports the first paint does not wait for.
    from navtalk_desktop.simulator.config import SimulatorConfig
    from navtalk_desktop.simulator.server import SimulatorServer

    simulator = SimulatorServer(config or SimulatorConfig())
    try:
        await simulator.start("127.0.0.1", 0)
    except OSError as error:
        notify(f"The built-in simulator could not start: {error}", "error")
        return None
    except BaseException:
        # Shut down while starting: do not leave a half-started server behind.
        with contextlib.suppress(Exception):
            await simulator.stop()
        raise
    log.info("built-in simulator listening on %s", simulator.ws_url)
    return simulator


class BuiltinSimulator:
    """Starts the in-process simulator once, when first needed, and stops it.

    Args:
        config: its configuration (None: the defaults).
        tasks: runs the start in the background.
        ready_to_start: awaited before starting (the window's first paint).
        notify: tells the user why it could not start.

    Attributes:
        server: the running simulator (None before it started, or when it could not).
        task: the start, once asked for; its result is the WebSocket URL (or None).
    """

    def __init__(
        self,
        config: SimulatorConfig | None,
        tasks: TaskRunner,
        ready_to_start: Callable[[], Awaitable[object]],
        notify: Callable[[str, str], object],
    ) -> None:
        self._config = config
        self._tasks = tasks
        self._ready_to_start = ready_to_start
        self._notify = notify
        self.server: SimulatorServer | None = None
        self.task: asyncio.Task[str | None] | None = None
        self._needed: Callable[[], bool] = lambda: False
        self._expect: Callable[[asyncio.Task[str | None]], object] = lambda _task: None
        self._stopped = False

    def follow(
        self,
        needed: Callable[[], bool],
        expect: Callable[[asyncio.Task[str | None]], object],
    ) -> None:
        """Start whenever ``needed()`` says so (now, and on each :meth:`check`).

        Args:
            needed: whether the active profile is the Local simulator.
            expect: told of the start (the session bridge defers a connect until then).
        """
        self._needed, self._expect = needed, expect
        self.check()

    def check(self) -> None:
        """Start now if it is needed and not started yet (e.g. after a profile change)."""
        if self.task is None and not self._stopped and self._needed():
            self._expect(self.ensure_started())

    def ensure_started(self) -> asyncio.Task[str | None]:
        """Start it (first call only); the start task, whose result is its URL."""
        if self.task is None:
            self.task = self._tasks.start(self._start(), name="start-simulator")
        return self.task

    async def url(self) -> str | None:
        """Its URL, once started; None when it is not asked for or cannot start."""
        return None if self.task is None else await asyncio.shield(self.task)

    async def _start(self) -> str | None:
        # Importing and starting the server (~70 ms) would hold up the first paint.
        await self._ready_to_start()
        self.server = await start_simulator(self._config, self._notify)
        return None if self.server is None else self.server.ws_url

    async def stop(self) -> None:
        """Stop it, if it runs (and never start it again)."""
        self._stopped = True
        if self.server is not None:
            with contextlib.suppress(Exception):
                await self.server.stop()
