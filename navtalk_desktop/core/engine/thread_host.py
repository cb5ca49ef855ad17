"""The in-process host: the engine on an :class:`EngineThread` (or inline on the GUI's loop).

Events the engine emits are collected in an outbox on the engine thread; the first event
after a delivery asks for one wake-up of the receiving thread, and that delivery takes
everything collected until then: one wake-up per batch, however many events.

The wake-up is asked for when the engine loop has nothing else ready to run (or after
:data:`MAX_WAKE_DEFER_S` under sustained load). Waking the GUI thread costs ~20 µs on the
engine thread, and up to the interpreter's switch interval when the GUI thread then takes
the GIL; asked for while a call's automatic answer is still on its way through the engine
loop, it would sit between the call frame and its answer. Deferred to an idle loop, the
answer is on the wire first.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from navtalk_desktop.core.engine.commands import EngineCommand
from navtalk_desktop.core.engine.engine import Engine
from navtalk_desktop.core.engine.engine_thread import (
    EngineRunner,
    EngineStoppedError,
    EngineThread,
    InlineEngine,
)
from navtalk_desktop.core.engine.events import CommandFailed, EngineEvent, HostDied
from navtalk_desktop.core.engine.host import BatchReceiver, Post, deliver_batch

log = logging.getLogger(__name__)

MAX_WAKE_DEFER_S = 0.002
"""Under sustained load the receiver is woken at least this often (seconds)."""

SHUT_DOWN = "the session has been shut down"


class ThreadHost:
    """Runs an :class:`Engine` on a runner's loop and delivers its events in batches.

    Args:
        engine: the engine (built on any thread; used only on the runner's loop from
            :meth:`start` on).
        runner: where the engine runs: an :class:`EngineThread` (the app) or an
            :class:`InlineEngine` (default: the loop of whoever calls, e.g. tests). The
            host does not stop a runner it was given.
    """

    def __init__(self, engine: Engine, runner: EngineRunner | None = None) -> None:
        self._engine = engine
        self._runner: EngineRunner = runner if runner is not None else InlineEngine()
        self._inline = isinstance(self._runner, InlineEngine)
        self._receiver: BatchReceiver | None = None
        self._post: Post | None = None
        self._lock = threading.Lock()
        self._outbox: list[EngineEvent] = []
        self._wake_pending = False
        self._first_at = 0.0
        self._stopped = False
        self._died = False

    # ------------------------------------------------------------------ EngineHost
    @property
    def engine(self) -> Engine:
        """The engine (engine thread only, except its timeline's reader methods)."""
        return self._engine

    @property
    def runner(self) -> EngineRunner:
        """Where the engine runs."""
        return self._runner

    @property
    def alive(self) -> bool:
        """Whether commands can still be carried out."""
        return not self._stopped and not self._died

    def start(self, receiver: BatchReceiver, post: Post) -> None:
        """Attach the engine and deliver its events to ``receiver`` through ``post``."""
        self._receiver = receiver
        self._post = post
        if self._inline:
            self._engine.attach(self._collect)
        else:
            self._runner.call_soon(self._engine.attach, self._collect)

    def send(self, command: EngineCommand) -> None:
        """Hand ``command`` to the engine (in order); refused after :meth:`stop`."""
        if not self.alive:
            self._refuse(command)
            return
        if self._inline:
            self._engine.submit(command)  # same thread: in order by construction
            return
        try:
            self._runner.call_soon(self._engine.submit, command)
        except EngineStoppedError:
            self._died = True
            self._refuse(command)
            self._deliver_now([HostDied("the engine thread has stopped")])

    async def stop(self) -> None:
        """Close the engine on its loop (state changes are delivered), then stop taking
        commands. A runner passed in keeps running: its owner stops it."""
        if self._stopped:
            return
        try:
            work = self._runner.run(self._engine.close(), name="engine-close")
        except EngineStoppedError:
            self._stopped = True
            return  # stopping the runner cancelled everything already
        try:
            await asyncio.wrap_future(work)
        finally:
            self._stopped = True
            self.deliver()  # what the close reported, before the caller goes on

    # ------------------------------------------------------------------ engine side
    def _collect(self, event: EngineEvent) -> None:
        """Engine thread: keep ``event`` for the next batch; ask for one wake-up per batch."""
        with self._lock:
            self._outbox.append(event)
            if self._wake_pending:
                return
            self._wake_pending = True
        self._first_at = time.monotonic()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._wake()  # no loop (set-up): wake at once
            return
        loop.call_soon(self._wake_when_idle, loop)

    def _wake_when_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        # asyncio's ready queue: callbacks (an answer's next step) waiting to run now.
        ready = getattr(loop, "_ready", None)
        if ready and time.monotonic() - self._first_at < MAX_WAKE_DEFER_S:
            loop.call_soon(self._wake_when_idle, loop)
            return
        self._wake()

    def _wake(self) -> None:
        post = self._post
        if post is None:
            return
        try:
            post(self.deliver)
        except RuntimeError:  # no receiving loop (yet, or any more): the next event retries
            with self._lock:
                self._wake_pending = False
            log.debug("receiver loop not running; %d events wait", len(self._outbox))

    # ------------------------------------------------------------------ receiving side
    def deliver(self) -> None:
        """Receiving thread: hand everything collected so far to the receiver, in order."""
        with self._lock:
            self._wake_pending = False
            batch, self._outbox = self._outbox, []
        if batch:
            self._deliver_now(batch)

    def _deliver_now(self, batch: list[EngineEvent]) -> None:
        deliver_batch(self._receiver, batch)

    def _refuse(self, command: EngineCommand) -> None:
        self._deliver_now([CommandFailed(command.command_id, command.what, SHUT_DOWN)])


def engine_thread_host(
    engine: Engine, name: str = "navtalk-engine"
) -> tuple[ThreadHost, Callable[[], list[str]]]:
    """A host on a new :class:`EngineThread`, with the function that stops that thread."""
    thread = EngineThread(name=name)
    return ThreadHost(engine, thread), thread.stop
