"""The process host: the engine in a child process, reached over one socket pair.

:class:`ProcessHost` implements :class:`~navtalk_desktop.core.engine.host.EngineHost` for the
GUI: :meth:`~ProcessHost.send` pickles a command onto the socket (a few microseconds; the
GUI thread never waits for the engine), and a reader thread takes the child's event
batches off the socket and hands them to the GUI thread through the ``post`` function,
in order, one wake-up for whatever arrived meanwhile. The GUI thread never reads the
socket, so a slow or dead child never blocks it.

The child's end is described in :mod:`~navtalk_desktop.engine_process.child`. Either side
reports the other's end: a child that exits or is killed becomes a final
:class:`~navtalk_desktop.core.engine.events.HostDied` ("engine process ended (killed by
signal SIGKILL)") and :meth:`ProcessHost.restart` starts a new one with the same receiver;
a GUI process that ends closes its end of the socket, and the child shuts its engine down
(closing the WebSocket cleanly) and exits.

Ports that live in the GUI process cross the socket too: the child's keychain calls are
answered here with the GUI's :class:`~navtalk_desktop.core.ports.SecretStore` (a license
crosses only in memory), and the GUI's consent state and open document folder are mirrored
into the child whenever they change (:meth:`ProcessHost.refresh_ports`, also checked on
every command).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any

from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.events import (
    CommandFailed,
    EngineEvent,
    HostDied,
    TimelineReset,
)
from navtalk_desktop.core.engine.host import BatchReceiver, Post, deliver_batch
from navtalk_desktop.core.ports import SecretStore, SecretStoreUnavailable
from navtalk_desktop.engine_process.recipe import EngineRecipe
from navtalk_desktop.engine_process.wire import (
    Closed,
    Hello,
    LogLine,
    PortCall,
    PortReply,
    PortUpdate,
    Stop,
    boot_code,
    log_levels,
    package_root,
)

log = logging.getLogger(__name__)

SHUT_DOWN = "the session has been shut down"
STOP_TIMEOUT_S = 10.0
"""How long an orderly stop may take before the child is killed."""

PortsNow = Callable[[], PortUpdate]
"""Reads the GUI's consent state and document folder now (GUI thread)."""

# Commands that set something the engine keeps: the newest of each is sent again to a
# restarted child, so it carries on with what the GUI last chose.
_SETTINGS: tuple[type[cmd.EngineCommand], ...] = (
    cmd.SetProfile,
    cmd.SetSimulatorUrl,
    cmd.SetAnswerMode,
    cmd.SetTools,
    cmd.SetToolSet,
)


def _as_records(command: cmd.ReplaceTimeline) -> cmd.OpenRecording:
    """A timeline cannot cross the pipe: its entries as recording records do (same id)."""
    timeline = command.timeline
    records = tuple(timeline.entry_record(row) for row in range(len(timeline)))
    return cmd.OpenRecording(records, command.source, command_id=command.command_id)


def describe_exit(code: int | None) -> str:
    """``exit code N`` or ``killed by signal SIGKILL`` for a child's return code."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"killed by signal {name}"
    return f"exit code {code}"


class ProcessHost:
    """Runs an engine in a child process and delivers its events in batches.

    Args:
        recipe: how the child builds the engine (picklable).
        secrets: the GUI's keychain, which answers the child's keychain calls (None:
            they fail as "no keychain").
        ports_now: reads the GUI's consent state and document folder (mirrored into the
            child when it changes); None: the recipe's state stays as it is.
        python: the interpreter to run (default ``sys.executable``; the bundle's
            executable understands ``-c``).
        env: the child's environment (default: this process's).
    """

    def __init__(
        self,
        recipe: EngineRecipe,
        *,
        secrets: SecretStore | None = None,
        ports_now: PortsNow | None = None,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._recipe = recipe
        self._secrets = secrets
        self._ports_now = ports_now
        self._python = python or sys.executable
        self._env = dict(env) if env is not None else None
        self._receiver: BatchReceiver | None = None
        self._post: Post | None = None
        self._lock = threading.Lock()  # inbox + wake flag (reader thread ↔ GUI thread)
        self._send_lock = threading.Lock()
        self._inbox: list[EngineEvent] = []
        self._wake_pending = False
        self._child: _Child | None = None
        self._settings: dict[type[cmd.EngineCommand], cmd.EngineCommand] = {}
        self._licenses: dict[str, cmd.SetSessionLicense] = {}
        self._ports_sent: PortUpdate = recipe.ports
        self._stopped = False
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ EngineHost
    @property
    def alive(self) -> bool:
        """Whether commands can still be carried out (the child runs, not stopped)."""
        child = self._child
        return not self._stopped and child is not None and not child.ended

    @property
    def pid(self) -> int | None:
        """The child's process id (None before :meth:`start`)."""
        return None if self._child is None else self._child.process.pid

    def start(self, receiver: BatchReceiver, post: Post) -> None:
        """Start the child; its events go to ``receiver`` on ``post``'s thread."""
        self._receiver = receiver
        self._post = post
        self._child = self._spawn(self._recipe)

    def restart(self) -> None:
        """Start a new child after the last one ended (same receiver; GUI thread).

        The new engine starts from the recipe plus the settings sent since (profile,
        tools, answer mode, session licenses); its first batch is preceded by a
        ``TimelineReset``, since the old engine's frames are gone with it.
        """
        if self._receiver is None or self._post is None:
            raise RuntimeError("restart() before start()")
        if self.alive:
            raise RuntimeError("the engine process is still running")
        self._stopped = False
        recipe = dataclasses.replace(self._recipe, ports=self._ports_sent)
        with self._lock:
            self._inbox.append(TimelineReset())
        self._child = self._spawn(recipe)
        for command in (*self._settings.values(), *self._licenses.values()):
            self._child.send(command, self._send_lock)

    def send(self, command: cmd.EngineCommand) -> None:
        """Hand ``command`` to the child (GUI thread; never waits for the engine)."""
        child = self._child
        if not self.alive or child is None:
            self._refuse(command)
            return
        self._sync_ports(child)
        if isinstance(command, cmd.ReplaceTimeline):
            command = _as_records(command)
        if isinstance(command, _SETTINGS):
            # SetTools and SetToolSet replace each other's tool list.
            if isinstance(command, cmd.SetTools | cmd.SetToolSet):
                self._settings.pop(cmd.SetTools, None)
                self._settings.pop(cmd.SetToolSet, None)
            self._settings[type(command)] = command
        elif isinstance(command, cmd.SetSessionLicense):
            self._licenses[command.profile_name] = command
        try:
            sent = child.send(command, self._send_lock)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            # A command holding something that cannot cross (a bug): said, not raised.
            log.exception("cannot send %s to the engine process", type(command).__name__)
            self._deliver_now([CommandFailed(command.command_id, command.what, str(error))])
            return
        if not sent:
            self._refuse(command)

    def refresh_ports(self) -> None:
        """Mirror the GUI's consent state and document folder into the child if changed."""
        if self._child is not None and self.alive:
            self._sync_ports(self._child)

    async def stop(self) -> None:
        """Shut the engine down in order and wait for the child to exit.

        The disconnect's state changes are delivered before this returns. A child that
        does not finish within :data:`STOP_TIMEOUT_S` is killed.
        """
        child = self._child
        if self._stopped or child is None:
            self._stopped = True
            return
        self._stopped = True
        if not child.ended:
            child.stopping = True
            gone = asyncio.get_running_loop().create_future()
            child.waiters.append(gone)
            child.send(Stop(), self._send_lock)
            try:
                await asyncio.wait_for(asyncio.shield(gone), STOP_TIMEOUT_S)
            except TimeoutError:
                log.warning("the engine process did not stop in time; killing it")
                child.kill()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(gone), 2.0)
        self._deliver()  # what the shutdown reported, before the caller goes on

    # ------------------------------------------------------------------ child
    def _spawn(self, recipe: EngineRecipe) -> _Child:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                [self._python, "-c", boot_code(), str(theirs.fileno()), package_root()],
                pass_fds=(theirs.fileno(),),
                env=self._env,
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        conn = Connection(ours.detach())
        child = _Child(process, conn)
        child.send(Hello(recipe, log_levels()), self._send_lock)
        thread = threading.Thread(
            target=self._read, args=(child,), name=f"engine-reader-{process.pid}", daemon=True
        )
        thread.start()
        return child

    def _sync_ports(self, child: _Child) -> None:
        if self._ports_now is None:
            return
        now = self._ports_now()
        if now != self._ports_sent:
            self._ports_sent = now
            child.send(now, self._send_lock)

    # ------------------------------------------------------------------ reader thread
    def _read(self, child: _Child) -> None:
        """Reader thread: take messages off the socket until the child's end closes."""
        conn = child.conn
        try:
            while True:
                message = conn.recv()
                if isinstance(message, tuple):
                    self._arrived(message)
                elif isinstance(message, LogLine):
                    # Under the child's own logger name: the GUI's handlers (console, log
                    # file, both redacting) show it like any other record.
                    logging.getLogger(message.logger).log(message.level, "%s", message.message)
                elif isinstance(message, PortCall):
                    self._wake_with(lambda m=message: self._answer(child, m))  # type: ignore[misc]
                elif isinstance(message, Closed):
                    child.closed = True
        except (EOFError, OSError):
            pass
        code: int | None
        try:
            code = child.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # its end closed, but it hangs: make sure
            child.kill()
            code = child.process.wait()
        with contextlib.suppress(OSError):
            conn.close()
        self._wake_with(lambda: self._ended(child, code))

    def _arrived(self, batch: Sequence[EngineEvent]) -> None:
        with self._lock:
            self._inbox.extend(batch)
            if self._wake_pending:
                return
            self._wake_pending = True
        if not self._wake_with(self._deliver):
            with self._lock:  # not posted: the next batch asks again
                self._wake_pending = False

    def _wake_with(self, callback: Callable[[], None]) -> bool:
        post = self._post
        if post is None:
            return False
        try:
            post(callback)
        except RuntimeError:  # the GUI's loop is closed (or not known yet)
            log.debug("receiver loop unavailable; engine message not posted")
            return False
        return True

    # ------------------------------------------------------------------ GUI thread
    def _deliver(self) -> None:
        with self._lock:
            self._wake_pending = False
            batch, self._inbox = self._inbox, []
        if batch:
            self._deliver_now(batch)

    def _deliver_now(self, batch: list[EngineEvent]) -> None:
        deliver_batch(self._receiver, batch)

    def _ended(self, child: _Child, code: int | None) -> None:
        """GUI thread: the child's socket closed and the process exited."""
        child.ended = True
        for waiter in child.waiters:
            if not waiter.done():
                waiter.set_result(code)
        self._deliver()  # everything it sent before it ended, first
        if child is not self._child:
            return
        if child.stopping:
            if not child.closed:
                log.warning("the engine process ended while stopping (%s)", describe_exit(code))
            return
        reason = f"engine process ended ({describe_exit(code)})"
        log.error("%s", reason)
        self._deliver_now([HostDied(reason)])

    def _answer(self, child: _Child, call: PortCall) -> None:
        """GUI thread: run the child's keychain call on the GUI's loop, reply when done."""
        task = asyncio.get_running_loop().create_task(self._port_reply(child, call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _port_reply(self, child: _Child, call: PortCall) -> None:
        store = self._secrets
        reply: PortReply
        try:
            if call.port != "secrets" or call.method not in ("get", "set", "delete"):
                raise ValueError(f"unknown port call {call.port}.{call.method}")
            if store is None:
                raise SecretStoreUnavailable("no keychain is configured")
            method: Callable[..., Any] = getattr(store, call.method)
            value = await method(*call.args)
            reply = PortReply(call.call_id, value if isinstance(value, str) else None)
        except SecretStoreUnavailable as error:
            reply = PortReply(call.call_id, error=("unavailable", error.message))
        except Exception as error:  # noqa: BLE001  (reported to the child, which reports it)
            reply = PortReply(call.call_id, error=("failed", f"{type(error).__name__}: {error}"))
        if not child.ended:
            child.send(reply, self._send_lock)

    def _refuse(self, command: cmd.EngineCommand) -> None:
        self._deliver_now([CommandFailed(command.command_id, command.what, SHUT_DOWN)])


@dataclasses.dataclass(eq=False)
class _Child:
    """One child process and the GUI's end of its socket."""

    process: subprocess.Popen[bytes]
    conn: Connection
    waiters: list[asyncio.Future[int | None]] = dataclasses.field(default_factory=list)
    stopping: bool = False
    closed: bool = False  # it said Closed: an orderly end
    ended: bool = False  # GUI thread: its end was seen

    def send(self, message: object, lock: threading.Lock) -> bool:
        """Write ``message`` whole; False when the child's end is closed."""
        try:
            with lock:
                self.conn.send(message)
        except (OSError, ValueError):
            return False
        return True

    def kill(self) -> None:
        """Kill the process (it did not stop in time)."""
        with contextlib.suppress(OSError):
            os.kill(self.process.pid, signal.SIGKILL)
