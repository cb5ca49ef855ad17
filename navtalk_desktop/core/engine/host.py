"""Where an engine runs, seen from the GUI: commands in, ordered batches of events out.

A host runs one :class:`~navtalk_desktop.core.engine.engine.Engine` somewhere else than the
GUI thread (a worker thread: :class:`~navtalk_desktop.core.engine.thread_host.ThreadHost`;
a child process: the process host) and is the only way between the two sides:

* GUI → engine: :meth:`EngineHost.send` hands a command over (from the GUI thread; never
  blocks; commands run in the order sent);
* engine → GUI: events are collected on the engine side and delivered as *batches*, in
  order, to the :data:`BatchReceiver` the GUI installed with :meth:`EngineHost.start`,
  always on the thread whose :data:`Post` function was given there: one wake-up of that
  thread per batch, however many events it holds.

A host that stops unexpectedly (the engine thread crashed, the child process died) says so
with a final :class:`~navtalk_desktop.core.engine.events.HostDied` in the last batch.
Nothing here knows about Qt: the GUI gives the host a thread-safe ``post`` (for qasync,
``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from navtalk_desktop.core.engine.commands import EngineCommand
from navtalk_desktop.core.engine.events import EngineEvent

__all__ = ["BatchReceiver", "EngineHost", "EngineSide", "EventSink", "Post", "deliver_batch"]

log = logging.getLogger(__name__)

BatchReceiver = Callable[[Sequence[EngineEvent]], None]
"""Called on the receiving thread with the events of one batch, in order (read-only)."""

Post = Callable[[Callable[[], None]], None]
"""Thread-safe: run the callback soon on the receiving (GUI) thread, in the order posted.

Raises ``RuntimeError`` when that thread's loop is gone (the host then drops the batch).
"""


EventSink = Callable[[EngineEvent], None]
"""Engine side: takes each event as it happens (engine thread; must not block)."""


class EngineSide(Protocol):
    """What a host drives on the engine side (implemented by ``engine.Engine``).

    A host builds the engine on its own loop's thread (in a child process: from picklable
    options, see ``factory``), attaches a sink, then feeds it commands in order.
    """

    def attach(self, sink: EventSink) -> None:
        """Report every event to ``sink`` from now on; first the current state (see
        :meth:`EngineHost.start`)."""
        ...

    async def handle(self, command: EngineCommand) -> None:
        """Carry out ``command`` on the engine loop; a failure becomes ``CommandFailed``
        on the stream (never raised). Returns once the command is done."""
        ...

    def submit(self, command: EngineCommand) -> None:
        """Start :meth:`handle` for ``command`` as an owned task, in order with commands
        submitted before (engine loop; what a host calls for each command it receives)."""
        ...


class EngineHost(Protocol):
    """Runs one engine and connects it to a receiver.

    Lifecycle: build → :meth:`start` (once) → :meth:`send` any number of times →
    :meth:`stop` (once; safe to repeat). Events produced before :meth:`stop` returns are
    delivered; none after.
    """

    def start(self, receiver: BatchReceiver, post: Post) -> None:
        """Start the engine; deliver its events to ``receiver`` through ``post``.

        The first batch holds the engine's initial state (``StateChanged``,
        ``ToolsChanged``, ``AnswerModeChanged``), so a receiver needs nothing else.
        """
        ...

    def send(self, command: EngineCommand) -> None:
        """Hand ``command`` to the engine (any thread; never blocks).

        After :meth:`stop` or a ``HostDied`` the command is answered with a
        ``CommandFailed`` ("the session has been shut down") instead.
        """
        ...

    @property
    def alive(self) -> bool:
        """Whether commands can still be carried out."""
        ...

    async def stop(self) -> None:
        """Shut the engine down in order (dispatcher stopped, session disconnected).

        Awaited on the receiving thread's loop; the state changes of the disconnect are
        delivered before it returns. Then the thread or process ends.
        """
        ...


def deliver_batch(receiver: BatchReceiver | None, batch: Sequence[EngineEvent]) -> None:
    """Hand ``batch`` to ``receiver`` on the receiving thread (every host's last step).

    A receiver's bug is logged and must not stop later batches; with no receiver installed
    yet (or any more) the batch has nowhere to go.
    """
    if receiver is None:
        return
    try:
        receiver(batch)
    except Exception:
        log.exception("engine event receiver failed")
