"""The engine's child process: commands in from the pipe, event batches out, until told or orphaned.

Started by :class:`~navtalk_desktop.engine_process.host.ProcessHost` as
``python -c BOOT FD`` (see :func:`~navtalk_desktop.engine_process.wire.boot_code`), with one
end of a socket pair as descriptor ``FD``. It reads the :class:`~.wire.Hello`, builds the
engine from its recipe and serves on a plain asyncio loop: no Qt is ever imported here.

Events are collected as the engine emits them and written as one pickled batch when the
loop has nothing else ready to run (or at least every :data:`MAX_BATCH_DEFER_S` under
load): a call's automatic answer goes out to the server before the batch that shows it.

When the GUI process ends (the socket reaches end-of-file, e.g. the GUI crashed or was
killed) the child shuts the engine down in order — the WebSocket is closed with a close
frame — and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from navtalk_desktop.core.engine.commands import EngineCommand, Shutdown
from navtalk_desktop.core.engine.events import EngineEvent
from navtalk_desktop.core.engine.media_link import VIDEO, MediaUpdate
from navtalk_desktop.core.ports import SecretStoreUnavailable
from navtalk_desktop.core.session.redact import RedactingFilter
from navtalk_desktop.engine_process.recipe import BuiltEngine
from navtalk_desktop.engine_process.wire import (
    Closed,
    Hello,
    LogLine,
    PortCall,
    PortReply,
    PortUpdate,
    Stop,
)

log = logging.getLogger(__name__)

MAX_BATCH_DEFER_S = 0.002
"""Under sustained load a batch is written at least this often (seconds)."""


class _Link:
    """The child's end of the socket: one writer at a time, whole messages."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()  # log records may come from worker threads
        self.broken = False

    def send(self, message: object) -> bool:
        """Write ``message``; False once the GUI side is gone."""
        if self.broken:
            return False
        try:
            with self._lock:
                self.conn.send(message)
        except (OSError, ValueError):  # BrokenPipe/ConnectionReset: the GUI process ended
            self.broken = True
            return False
        return True


class _LogForwarder(logging.Handler):
    """Sends the child's log records to the GUI process (redacted here first)."""

    def __init__(self, link: _Link) -> None:
        super().__init__()
        self._link = link

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()  # already redacted by the filter
            if record.exc_info:
                message += "\n" + (
                    record.exc_text or logging.Formatter().formatException(record.exc_info)
                )
        except Exception:  # noqa: BLE001  (logging must never raise)
            return
        self._link.send(LogLine(record.levelno, record.name, message))


class _ChildSide:
    """Serves one engine over the link until :class:`Stop` or end-of-file."""

    def __init__(self, link: _Link, loop: asyncio.AbstractEventLoop) -> None:
        self._link = link
        self._loop = loop
        self._outbox: list[EngineEvent] = []
        self._unsent_video: int | None = None  # index of the outbox's video frame
        self._flush_pending = False
        self._first_at = 0.0
        self._calls: dict[int, asyncio.Future[str | None]] = {}
        self._ids = itertools.count(1)
        self._done: asyncio.Future[bool] = loop.create_future()  # True: told to stop
        self.built: BuiltEngine | None = None

    # ------------------------------------------------------------------ events out
    def collect(self, event: EngineEvent) -> None:
        """Engine sink: keep ``event`` for the next batch.

        A video frame replaces the unsent one before it (the GUI shows the latest picture;
        a frame is ~230 kB at 320 x 240); voice and everything else is kept.
        """
        if isinstance(event, MediaUpdate) and event.stream == VIDEO:
            previous = self._unsent_video
            if previous is not None and previous < len(self._outbox):
                self._outbox[previous] = event
                return
            self._unsent_video = len(self._outbox)
        self._outbox.append(event)
        if not self._flush_pending:
            self._flush_pending = True
            self._first_at = time.monotonic()
            self._loop.call_soon(self._flush_when_idle)

    def _flush_when_idle(self) -> None:
        # asyncio's ready queue: callbacks (an answer's next step) waiting to run now.
        ready = getattr(self._loop, "_ready", None)
        if ready and time.monotonic() - self._first_at < MAX_BATCH_DEFER_S:
            self._loop.call_soon(self._flush_when_idle)
            return
        self.flush()

    def flush(self) -> None:
        """Write what was collected as one batch (one pickle, one message)."""
        self._flush_pending = False
        batch, self._outbox = tuple(self._outbox), []
        self._unsent_video = None
        if batch and not self._link.send(batch):
            self._end(False)

    # ------------------------------------------------------------------ GUI ports
    async def call_secrets(self, method: str, args: tuple[str, ...]) -> str | None:
        """Ask the GUI process's secret store; raises what it raised."""
        call_id = next(self._ids)
        future: asyncio.Future[str | None] = self._loop.create_future()
        self._calls[call_id] = future
        if not self._link.send(PortCall(call_id, "secrets", method, args)):
            del self._calls[call_id]
            raise SecretStoreUnavailable("the app's window process has ended")
        return await future

    def _reply(self, reply: PortReply) -> None:
        future = self._calls.pop(reply.call_id, None)
        if future is None or future.done():
            return
        if reply.error is None:
            future.set_result(reply.value)
        elif reply.error[0] == "unavailable":
            future.set_exception(SecretStoreUnavailable(reply.error[1]))
        else:
            future.set_exception(RuntimeError(reply.error[1]))

    # ------------------------------------------------------------------ commands in
    def readable(self) -> None:
        """The socket has data: handle every whole message waiting, in order."""
        conn = self._link.conn
        try:
            while conn.poll():
                self._handle(conn.recv())
        except (EOFError, OSError):
            self._end(False)

    def _handle(self, message: Any) -> None:
        built = self.built
        if isinstance(message, EngineCommand):
            if built is not None:
                built.engine.submit(message)
        elif isinstance(message, PortReply):
            self._reply(message)
        elif isinstance(message, PortUpdate):
            if built is not None:
                built.mirror.apply(message)
        elif isinstance(message, Stop):
            self._end(True)
        else:
            log.warning("unknown message from the GUI: %s", type(message).__name__)

    def _end(self, told: bool) -> None:
        if not self._done.done():
            self._done.set_result(told)
        for future in self._calls.values():
            if not future.done():
                future.set_exception(SecretStoreUnavailable("the app's window process has ended"))
        self._calls.clear()

    async def serve(self, hello: Hello) -> None:
        """Build the engine, serve until stopped or orphaned, shut it down in order."""
        self.built = built = hello.recipe.build(self.call_secrets)
        engine = built.engine
        fd = self._link.conn.fileno()
        self._loop.add_reader(fd, self.readable)
        engine.attach(self.collect)
        self.readable()  # commands sent before the reader was installed
        told = await self._done
        self._loop.remove_reader(fd)
        try:
            await engine.handle(Shutdown())
        finally:
            for close in built.closers:
                with contextlib.suppress(Exception):
                    await close()
            self.flush()
            if told:
                self._link.send(Closed())

    def secrets_in_memory(self) -> list[str]:
        """Licenses the engine holds now (masked in every log line)."""
        built = self.built
        if built is None:
            return []
        engine = built.engine
        return [*engine.session.secrets_in_use(), *engine.secrets.memory_values()]


def main(fd: int) -> int:
    """Serve the engine on the socket ``fd`` (the child's entry point); the exit status."""
    # Ctrl+C in a terminal reaches the whole process group: the GUI decides, and the
    # child ends when the GUI's end of the socket closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    link = _Link(Connection(fd))
    try:
        hello = link.conn.recv()
    except (EOFError, OSError):
        return 0  # the GUI went away before saying anything
    if not isinstance(hello, Hello):
        sys.stderr.write(f"engine child: expected Hello, got {type(hello).__name__}\n")
        return 2
    loop = asyncio.new_event_loop()
    side = _ChildSide(link, loop)
    handler = _LogForwarder(link)
    handler.addFilter(RedactingFilter(side.secrets_in_memory))
    root = logging.getLogger()
    root.addHandler(handler)
    for name, level in hello.log_levels:
        logging.getLogger(name).setLevel(level)
    try:
        loop.run_until_complete(side.serve(hello))
    finally:
        root.removeHandler(handler)
        # What asyncio.run does at its end: nothing outlives the loop (a media worker or a
        # closing task cut short by the shutdown would otherwise be destroyed pending).
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        with contextlib.suppress(OSError):
            link.conn.close()
    return 0
