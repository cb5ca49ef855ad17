"""A NavTalk session: connection state machine, tool registration, function-call lifecycle.

The session owns one socket at a time (through the :class:`~navtalk_desktop.core.ports.Transport`
port), records every frame in a :class:`~navtalk_desktop.core.timeline.timeline.Timeline`, keeps every
function call in a :class:`~navtalk_desktop.core.calls.book.CallBook`, and reconnects after transient
failures. It runs on whatever asyncio loop calls it (qasync in the app, plain asyncio in tests
and headless runs) and reports to plain-Python listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from navtalk_desktop.core.calls.book import CallBook, CallState, FunctionCall
from navtalk_desktop.core.ports import (
    Clock,
    SecretStore,
    SystemClock,
    Transport,
    TransportClosed,
    TransportError,
    TransportFactory,
)
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session import connecting, incoming, outgoing, protocol
from navtalk_desktop.core.session.reconnect import (
    EndKind,
)
from navtalk_desktop.core.session.redact import redact
from navtalk_desktop.core.session.state import (
    DEFAULT_MAX_ARGUMENT_CHARS,
    ELEVENLABS_TOOLS_NOTE,
    ENTER_LICENSE_FIRST,
    LOCAL_CALL,
    LOCAL_ERROR,
    LOCAL_STATE,
    LOCAL_WARNING,
    CallError,
    SessionEnd,
    SessionError,
    SessionListener,
    SessionListenerBase,
    SessionState,
    StateChange,
    Transcript,
)
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition

logger = logging.getLogger(__name__)

# How much longer than its connect timeout a transport may take before the session gives up
# on it (a transport handles the timeout itself; see Transport.connect).
_CONNECT_TIMEOUT_GRACE_S = 1.0

__all__ = [
    "DEFAULT_MAX_ARGUMENT_CHARS",
    "ELEVENLABS_TOOLS_NOTE",
    "ENTER_LICENSE_FIRST",
    "LOCAL_CALL",
    "LOCAL_ERROR",
    "LOCAL_STATE",
    "LOCAL_WARNING",
    "CallError",
    "Session",
    "SessionEnd",
    "SessionError",
    "SessionListener",
    "SessionListenerBase",
    "SessionState",
    "StateChange",
    "Transcript",
]


class Session:
    """One NavTalk session, reconnecting as needed, until :meth:`disconnect`.

    Args:
        profile: where and how to connect.
        transport_factory: makes a fresh transport for each connection.
        secrets: keychain holding the profile's license (entry name = profile name).
        timeline: where every frame is recorded.
        tools: tools to register.
        license: a license to use instead of the keychain (``NAVTALK_LICENSE``, simulator).
        clock: time source.
        rng: random source for reconnect jitter.
        connect_timeout_s: how long opening the socket may take.
        max_argument_chars: the most argument text buffered from ``…arguments.delta``
            frames per call; past it the pieces are dropped (the frames stay in the
            timeline) and the call is marked "arguments too large".
    """

    def __init__(
        self,
        profile: ConnectionProfile,
        transport_factory: TransportFactory,
        secrets: SecretStore | None,
        timeline: Timeline,
        tools: Sequence[ToolDefinition] = (),
        *,
        license: str | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        connect_timeout_s: float = 15.0,
        max_argument_chars: int = DEFAULT_MAX_ARGUMENT_CHARS,
    ) -> None:
        self.profile = profile
        self.timeline = timeline
        self.calls = CallBook()
        self._factory = transport_factory
        self._secrets = secrets
        self._license_override = license
        self._license: str | None = None
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._connect_timeout_s = connect_timeout_s
        self._tools: list[ToolDefinition] = list(tools)
        self._listeners: list[SessionListener] = []
        self._state = SessionState.IDLE
        self._state_event = asyncio.Event()
        self._transport: Transport | None = None
        self._reader: asyncio.Task[None] | None = None
        self._send_lock = asyncio.Lock()
        self._stopping = False
        self._end: SessionEnd | None = None
        self._connection = 0
        self._attempt = 0
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._sending: set[str] = set()  # keys of calls whose answer frames are being sent
        self._awaiting_resume: list[FunctionCall] = []
        self._delta_names: dict[str, str] = {}
        self._delta_args: dict[str, list[str]] = {}
        self._delta_sizes: dict[str, int] = {}
        self._delta_overflow: set[str] = set()
        self._max_argument_chars = max_argument_chars
        self._user_turns: list[str] = []
        self.session_id: str | None = None
        self.last_change = StateChange(SessionState.IDLE)
        # Receives the frames the avatar's media needs (see incoming.MEDIA_KINDS); the
        # engine's media link sets it. None: media frames are only recorded.
        self.media_sink: Callable[[protocol.ServerEvent], None] | None = None

    # ------------------------------------------------------------------ public surface
    @property
    def state(self) -> SessionState:
        """Current connection state."""
        return self._state

    @property
    def tools(self) -> list[ToolDefinition]:
        """Tools registered on (re)connect."""
        return list(self._tools)

    @property
    def connection_count(self) -> int:
        """How many connections were opened so far (1 after the first connect)."""
        return self._connection

    @property
    def user_turns(self) -> list[str]:
        """User turns so far (typed and transcribed), replayed after a reconnect if enabled."""
        return list(self._user_turns)

    def secrets_in_use(self) -> list[str]:
        """Secrets to redact from anything derived from this session (exports, logs)."""
        return [self._license] if self._license else []

    def add_listener(self, listener: SessionListener) -> None:
        """Start reporting to ``listener``."""
        self._listeners.append(listener)

    def remove_listener(self, listener: SessionListener) -> None:
        """Stop reporting to ``listener`` (no error if unknown)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def set_tools(self, tools: Iterable[ToolDefinition], *, register_now: bool = False) -> None:
        """Replace the tools registered on every (re)connect.

        Args:
            tools: the new tool list.
            register_now: also send the registration frames on the live connection
                (the server's reaction to a second registration is undocumented).
        """
        self._tools = list(tools)
        if register_now and self._state.is_live:
            task = asyncio.get_running_loop().create_task(connecting.register(self))
            task.add_done_callback(self._report_task_error)

    async def connect(self) -> None:
        """Open the first connection and start reading.

        Returns once the socket is open and the configuration frames are sent; the rest
        (``connected.success``, ``session.updated``, failures) arrives as state changes.

        Raises:
            SessionError: when no license is available or the socket cannot be opened.
        """
        if self._state.is_active:
            raise SessionError(f"already {self._state.value}")
        self._stopping = False
        self._end = None
        self._attempt = 0
        try:
            self._license = await connecting.find_license(self)
            await self._open()
        except SessionError as error:
            self._set_state(SessionState.FAILED, error.message, end=EndKind.FATAL)
            raise
        self._reader = asyncio.get_running_loop().create_task(
            self._run(), name="navtalk-session-reader"
        )

    async def disconnect(self) -> None:
        """Close the connection and stop reconnecting. Open calls become ABANDONED."""
        self._stopping = True
        reader = self._reader
        transport = self._transport
        if transport is not None:
            with contextlib.suppress(Exception):
                await transport.close()
        if reader is not None and not reader.done():
            # The reader notices the close; while it sleeps before a reconnect, or when a
            # transport does not wake it, it is cancelled.
            timeout = 0 if self._transport is None else 2.0
            done, _ = await asyncio.wait({reader}, timeout=timeout)
            if not done:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        self._reader = None
        self._transport = None
        incoming.abandon_open_calls(self, "disconnected")
        if self._state.is_active or self._state is SessionState.IDLE:
            self._set_state(SessionState.CLOSED, "Disconnected", end=EndKind.CLOSED)

    async def wait_for_state(
        self,
        *states: SessionState,
        timeout: float | None = None,  # noqa: ASYNC109  (convenience for callers)
    ) -> SessionState:
        """Wait until the state is one of ``states``; return it.

        Raises:
            TimeoutError: when ``timeout`` passes first.
        """
        async with asyncio.timeout(timeout):
            while self._state not in states:
                self._state_event.clear()
                await self._state_event.wait()
        return self._state

    async def send_text(self, text: str) -> None:
        """Send typed user text (a user message with ``input_text``, then ``response.create``).

        Raises:
            SessionError: when not connected or the send fails.
        """
        if not text.strip():
            raise SessionError("nothing to send: the text is empty")
        self._require_live("send text")
        async with self._send_lock:
            await self._send(outgoing.user_message([text]))
            await self._send(outgoing.response_create())
        self._user_turns.append(text)
        typed = Transcript("user", text, True, typed=True)
        self._notify(lambda listener: listener.transcript_received(typed))

    async def send_frame(self, text: str) -> None:
        """Send one raw frame exactly as given (the Frame Composer).

        Raises:
            SessionError: when not connected, the text is not a JSON object, or the send fails.
        """
        self._require_live("send a frame")
        try:
            frame = outgoing.raw_frame(text)
        except ValueError as error:
            raise SessionError(str(error)) from None
        async with self._send_lock:
            await self._send(frame)

    async def send_signal(self, message: dict[str, Any]) -> None:
        """Send a ``webrtc.signaling.*`` message (the media link's answer and candidates).

        Raises:
            SessionError: when not connected or the send fails.
        """
        type_ = str(message.get("type", "webrtc.signaling"))
        self._require_live(f"send {type_}")
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
        async with self._send_lock:
            await self._send(outgoing.OutgoingFrame(text, type_, type_.rsplit(".", 1)[-1]))

    def note_local(self, type_: str, summary: str, *, error: str | None = None) -> None:
        """Record a local timeline entry of another part of the engine (e.g. media states)."""
        self._local(type_, self._redact(summary), error=self._redact(error) if error else None)

    async def mark_answering(self, call_id: str, responder: str) -> FunctionCall:
        """Mark a call as being answered by ``responder`` (a slow responder is running).

        Raises:
            CallError: when the call is unknown or can no longer be answered.
        """
        call = self._answerable(call_id)
        if call.state is not CallState.ANSWERING:
            call.state = CallState.ANSWERING
        call.responder = responder
        self._step(call, "answering", responder)
        self._updated(call)
        return call

    async def answer_call(
        self,
        call_id: str,
        output: str | dict[str, Any] | list[Any],
        *,
        responder: str = "manual",
        is_error: bool = False,
    ) -> FunctionCall:
        """Send the result of a call in the profile's result style.

        Args:
            call_id: the call's key or call id.
            output: the result; objects are serialised as JSON.
            responder: who answers (recorded on the call).
            is_error: the output reports a failure (the call ends FAILED, the model still
                gets the output so it is not left waiting).

        Returns:
            The updated call.

        Raises:
            CallError: when the call is unknown, already answered, abandoned, or sending fails.
        """
        call = self._answerable(call_id)
        if call.key in self._sending:
            raise CallError(
                f"call {call.key} is already being answered by {call.responder or 'someone'}"
            )
        self._require_live("answer a call", call_error=True)
        text = outgoing.output_text(output)
        frames = outgoing.function_result(self.profile.result_style, call.call_id, text)
        call.state = CallState.ANSWERING
        call.responder = responder
        if call.step_time("answering") is None or call.steps[-1].name != "answering":
            self._step(call, "answering", responder)
        call.output = text
        call.is_error = is_error
        self._updated(call)
        self._sending.add(call.key)
        try:
            async with self._send_lock:
                for frame in frames:
                    await self._send(frame, call_id=call.call_id or None)
                    call.frames_sent.append(frame.text)
                    self._step(call, "sent", frame.type)
        except SessionError as error:
            call.state = CallState.ABANDONED
            self._step(call, "abandoned", f"sending the answer failed: {error.message}")
            self._cancel_deadline(call)
            self._updated(call)
            raise CallError(f"call {call.key}: {error.message}") from None
        finally:
            self._sending.discard(call.key)
        call.state = CallState.FAILED if is_error else CallState.ANSWERED
        self._step(call, call.state.value, responder)
        self._cancel_deadline(call)
        self._awaiting_resume.append(call)
        self.timeline.append(
            Direction.LOCAL,
            LOCAL_CALL,
            "",
            summary=f"{call.name or '?'} {call.state.value} by {responder}",
            call_id=call.call_id or None,
        )
        self._updated(call)
        return call

    # ------------------------------------------------------------------ connection
    def _redact(self, text: str) -> str:
        return redact(text, self.secrets_in_use())

    async def _open(self, attempt: int = 0) -> None:
        """Open a socket and send the configuration. Raises :class:`SessionError`."""
        self._connection += 1
        self.session_id = None
        if attempt == 0:
            self._set_state(SessionState.CONNECTING, f"Connecting to {self.profile.masked_url()}")
        transport = self._factory()
        try:
            # The transport gets the connect timeout itself (and reports it); the outer one
            # only backs up a transport that would overrun it.
            async with asyncio.timeout(self._connect_timeout_s + _CONNECT_TIMEOUT_GRACE_S):
                await transport.connect(
                    self.profile.build_url(self._license or ""),
                    open_timeout=self._connect_timeout_s,
                )
        except TransportError as error:
            message = self._redact(error.message)
            self._local(LOCAL_ERROR, f"connect failed: {message}", error=message)
            raise SessionError(message, transient=error.transient) from None
        except TimeoutError:
            with contextlib.suppress(Exception):
                await transport.close()
            message = f"Opening the connection took longer than {self._connect_timeout_s:g} s"
            self._local(LOCAL_ERROR, message, error=message)
            raise SessionError(message, transient=True) from None
        except OSError as error:
            message = self._redact(f"Cannot connect: {error}")
            self._local(LOCAL_ERROR, message, error=message)
            raise SessionError(message, transient=True) from None
        self._transport = transport
        self._end = None
        self._set_state(
            SessionState.OPEN, f"Connected to {self.profile.masked_url()}; waiting for the server"
        )
        # A failed send means the socket dropped: the reader sees the close and handles it.
        with contextlib.suppress(SessionError):
            await connecting.register(self)

    async def _run(self) -> None:
        """Read frames until the session ends; reconnect after transient failures."""
        while True:
            end = await self._read_until_closed()
            self._transport = None
            incoming.abandon_open_calls(self, end.message)
            if self._stopping:
                return
            if end.kind is EndKind.FATAL:
                self._set_state(
                    SessionState.FAILED, end.message, event_type=end.event_type, end=end.kind
                )
                return
            if end.kind is EndKind.CLOSED:
                self._set_state(
                    SessionState.CLOSED, end.message, event_type=end.event_type, end=end.kind
                )
                return
            if not await self._reconnect(end):
                return

    async def _read_until_closed(self) -> SessionEnd:
        transport = self._transport
        assert transport is not None  # set by _open before the reader starts
        # Frames are read in batches: all that arrived since the last read.
        while True:
            try:
                frames = await transport.receive_many()
            except TransportClosed as closed:
                if self._end is not None:
                    return self._end
                return connecting.read_close(self, closed)
            incoming.handle_frames(self, frames)
            if self._end is not None:
                # A conversation.connected.* event ended the session: close our side too.
                with contextlib.suppress(Exception):
                    await transport.close()
                return self._end

    async def _reconnect(self, end: SessionEnd) -> bool:
        reason = end.message
        while True:
            self._attempt += 1
            policy = self.profile.reconnect
            if not policy.allows(self._attempt):
                why = (
                    "auto-reconnect is off"
                    if not policy.enabled
                    else f"gave up after {policy.max_attempts} attempts"
                )
                self._set_state(
                    SessionState.FAILED,
                    f"{reason} ({why})",
                    event_type=end.event_type,
                    end=end.kind,
                )
                return False
            delay = policy.delay(self._attempt, self._rng)
            self._set_state(
                SessionState.RECONNECTING,
                f"{reason}; reconnecting in {delay:.1f} s (attempt {self._attempt})",
                event_type=end.event_type,
                end=end.kind,
                retry_in_s=delay,
            )
            await asyncio.sleep(delay)
            if self._stopping:
                return False
            try:
                await self._open(self._attempt)
            except SessionError as error:
                reason = error.message
                if not error.transient:
                    self._set_state(SessionState.FAILED, reason, end=EndKind.FATAL)
                    return False
                continue
            return not self._stopping

    # ------------------------------------------------------------------ incoming frames
    # ------------------------------------------------------------------ helpers
    def _answerable(self, call_id: str) -> FunctionCall:
        call = self.calls.get(call_id)
        if call is None:
            raise CallError(f"no call {call_id!r}")
        if call.state in (CallState.ANSWERED, CallState.FAILED):
            raise CallError(
                f"call {call.key} was already answered by {call.responder or 'someone'}"
            )
        if call.state is CallState.ABANDONED:
            raise CallError(f"call {call.key} was abandoned: the connection it arrived on is gone")
        return call

    def _require_live(self, what: str, *, call_error: bool = False) -> None:
        if not self._state.is_live or self._transport is None:
            error = CallError if call_error else SessionError
            raise error(f"cannot {what}: the session is {self._state.value}")

    async def _send(self, frame: outgoing.OutgoingFrame, *, call_id: str | None = None) -> None:
        transport = self._transport
        if transport is None:
            raise SessionError(f"cannot send {frame.type}: not connected")
        try:
            await transport.send(frame.text)
        except TransportClosed as closed:
            message = self._redact(f"cannot send {frame.type}: {closed}")
            self._local(LOCAL_ERROR, message, error=message, call_id=call_id)
            raise SessionError(message, transient=True) from None
        self.timeline.append(
            Direction.OUT, frame.type, frame.text, summary=frame.summary, call_id=call_id
        )

    def _step(self, call: FunctionCall, name: str, note: str = "") -> None:
        call.add_step(name, self._clock.monotonic(), self._clock.wall(), note)

    def _cancel_deadline(self, call: FunctionCall) -> None:
        handle = self._deadlines.pop(call.key, None)
        if handle is not None:
            handle.cancel()

    def _set_state(
        self,
        state: SessionState,
        message: str = "",
        *,
        event_type: str | None = None,
        end: EndKind | None = None,
        retry_in_s: float | None = None,
    ) -> None:
        message = self._redact(message)
        change = StateChange(
            state, message, event_type, end, retry_in_s, self._attempt, self._connection
        )
        self._state = state
        self.last_change = change
        self._state_event.set()
        logger.info("session %s: %s", state.value, message)
        self._local(LOCAL_STATE, f"{state.value}: {message}" if message else state.value)
        self._notify(lambda listener: listener.session_state_changed(change))

    def _local(
        self, type_: str, summary: str, *, call_id: str | None = None, error: str | None = None
    ) -> None:
        self.timeline.append(
            Direction.LOCAL, type_, "", summary=summary, call_id=call_id, error=error
        )

    def _warn(self, message: str) -> None:
        message = self._redact(message)
        logger.warning("%s", message)
        self._local(LOCAL_WARNING, message)
        self._notify(lambda listener: listener.session_warning(message))

    def _error(self, message: str) -> None:
        message = self._redact(message)
        self._local(LOCAL_ERROR, message, error=message)
        self._notify(lambda listener: listener.session_error(message))

    def _report_task_error(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._error(f"{type(error).__name__}: {error}")

    def _updated(self, call: FunctionCall) -> None:
        self._notify(lambda listener: listener.call_updated(call))

    def _notify(self, tell: Callable[[SessionListener], None]) -> None:
        """Call ``tell(listener)`` for every listener; one listener's bug spares the rest."""
        for listener in list(self._listeners):
            try:
                tell(listener)
            except Exception:  # a listener bug must not break the session
                logger.exception("session listener %r failed", listener)
