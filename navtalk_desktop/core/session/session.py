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
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from navtalk_desktop.core.calls.book import CallBook, CallState, FunctionCall
from navtalk_desktop.core.ports import (
    Clock,
    SecretStore,
    SecretStoreUnavailable,
    SystemClock,
    Transport,
    TransportClosed,
    TransportError,
    TransportFactory,
)
from navtalk_desktop.core.profile import ConnectionProfile, Provider, RegistrationStyle
from navtalk_desktop.core.session import protocol
from navtalk_desktop.core.session.reconnect import (
    INSUFFICIENT_POINTS,
    SERVER_EVENT_ENDS,
    EndKind,
    classify_close,
    classify_fail_message,
)
from navtalk_desktop.core.session.redact import redact
from navtalk_desktop.core.timeline.timeline import TEXT_FOLD_PREFIX, Direction, Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.validation import SchemaError, argument_violations

logger = logging.getLogger(__name__)

ELEVENLABS_TOOLS_NOTE = (
    "Tools were not sent: ElevenLabs avatars cannot register tools over the NavTalk API; "
    "configure them in the ElevenLabs dashboard. Function calls that arrive are still handled."
)
# Connecting a NavTalk profile without a license available.
ENTER_LICENSE_FIRST = "Enter your NavTalk license first"
# Frames of the session's own making that appear in the timeline as LOCAL entries.
LOCAL_STATE = "local.state"
LOCAL_WARNING = "local.warning"
# Per-call cap of arguments assembled from deltas: far above any real tool call, well below
# the transport's 16 MB frame limit (a …done frame could not carry more anyway).
DEFAULT_MAX_ARGUMENT_CHARS = 4_000_000
LOCAL_ERROR = "local.error"
LOCAL_CALL = "local.call"
# How much longer than its connect timeout a transport may take before the session gives up
# on it (a transport handles the timeout itself; see Transport.connect).
_CONNECT_TIMEOUT_GRACE_S = 1.0

_SERVER_END_TEXT = {
    "fail": "NavTalk refused the connection",
    "close": "The server ended the session",
    "insufficient_balance": "Out of credit",
    "connection_limit_exceeded": "Too many concurrent connections for this license",
    "gpu_full": "NavTalk has no free GPU right now",
    "backend_error": "NavTalk backend error",
}


class SessionState(StrEnum):
    """Connection state of a session."""

    IDLE = "idle"
    """Never connected."""
    CONNECTING = "connecting"
    """Opening the socket."""
    OPEN = "open"
    """Socket open, configuration sent, waiting for ``conversation.connected.success``."""
    CONNECTED = "connected"
    """``conversation.connected.success`` received."""
    READY = "ready"
    """``realtime.session.updated`` received: the avatar listens."""
    RECONNECTING = "reconnecting"
    """Waiting before (or making) a reconnect attempt after a transient failure."""
    CLOSED = "closed"
    """Ended deliberately (by us or by the server)."""
    FAILED = "failed"
    """Ended by an error reconnecting cannot fix (or reconnecting gave up)."""

    @property
    def is_live(self) -> bool:
        """Whether frames can be sent now."""
        return self in (SessionState.OPEN, SessionState.CONNECTED, SessionState.READY)

    @property
    def is_active(self) -> bool:
        """Whether the session is connecting, connected or reconnecting."""
        return self not in (SessionState.IDLE, SessionState.CLOSED, SessionState.FAILED)


@dataclass(frozen=True, slots=True)
class StateChange:
    """A state transition and why it happened.

    Attributes:
        state: the new state.
        message: readable explanation, with the server's own message when there is one.
        event_type: the server event or close that caused it, if any.
        end: for CLOSED/FAILED/RECONNECTING, whether the end was transient, fatal or deliberate.
        retry_in_s: for RECONNECTING, seconds until the next attempt.
        attempt: reconnect attempt number (0 for the first connection).
        connection: 1-based number of the connection this state belongs to.
    """

    state: SessionState
    message: str = ""
    event_type: str | None = None
    end: EndKind | None = None
    retry_in_s: float | None = None
    attempt: int = 0
    connection: int = 0


@dataclass(frozen=True, slots=True)
class Transcript:
    """A piece of conversation text.

    Attributes:
        role: ``user`` or ``avatar``.
        text: the fragment (``final=False``) or the whole turn.
        final: ``False`` for avatar deltas.
        response_id: response id of avatar text.
        typed: user text typed in this app (not a voice transcript).
    """

    role: str
    text: str
    final: bool
    response_id: str | None = None
    typed: bool = False


class SessionListener(Protocol):
    """What a session reports. Subclass :class:`SessionListenerBase` to implement only some."""

    def session_state_changed(self, change: StateChange) -> None:
        """The connection state changed."""

    def call_received(self, call: FunctionCall) -> None:
        """A function call arrived (already validated)."""

    def call_updated(self, call: FunctionCall) -> None:
        """A call changed state or got its model-resume latency."""

    def call_overdue(self, call: FunctionCall) -> None:
        """A call passed its answer deadline unanswered; a fallback may answer it now."""

    def transcript_received(self, transcript: Transcript) -> None:
        """User or avatar text arrived (or the user typed text)."""

    def session_warning(self, message: str) -> None:
        """Something the user should know that does not end the session."""

    def session_error(self, message: str) -> None:
        """Something went wrong (the session may continue)."""


class SessionListenerBase:
    """No-op implementation of every :class:`SessionListener` method."""

    def session_state_changed(self, change: StateChange) -> None:
        """The connection state changed."""

    def call_received(self, call: FunctionCall) -> None:
        """A function call arrived."""

    def call_updated(self, call: FunctionCall) -> None:
        """A call changed."""

    def call_overdue(self, call: FunctionCall) -> None:
        """A call passed its answer deadline."""

    def transcript_received(self, transcript: Transcript) -> None:
        """Text arrived."""

    def session_warning(self, message: str) -> None:
        """A warning."""

    def session_error(self, message: str) -> None:
        """An error."""


class SessionError(Exception):
    """A session operation failed; the message is readable and never contains the license.

    Attributes:
        message: the explanation.
        transient: retrying later may help.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


class CallError(SessionError):
    """A call cannot be answered (unknown, already answered, or its connection is gone)."""


@dataclass(slots=True)
class _End:
    kind: EndKind
    message: str
    event_type: str | None


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
        self._end: _End | None = None
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
            task = asyncio.get_running_loop().create_task(self._register())
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
            self._license = await self._find_license()
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
        self._abandon_open_calls("disconnected")
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
            await self._send(protocol.user_message([text]))
            await self._send(protocol.response_create())
        self._user_turns.append(text)
        typed = Transcript("user", text, True, typed=True)
        self._notify(lambda listener: listener.transcript_received(typed))

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
        text = protocol.output_text(output)
        frames = protocol.function_result(self.profile.result_style, call.call_id, text)
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
    async def _find_license(self) -> str:
        if self._license_override:
            return self._license_override
        if self._secrets is None:
            raise SessionError(
                f"No license for profile {self.profile.name!r}: there is no keychain and none was given"
            )
        try:
            value = await self._secrets.get(self.profile.name)
        except SecretStoreUnavailable as error:
            # Most likely no license was typed yet: say that plainly. The keychain's own
            # (long) explanation goes to the log; the connection panel shows it too.
            logger.info("no license: the keychain is unavailable (%s)", error.message)
            raise SessionError(
                f"{ENTER_LICENSE_FIRST} (no system keychain is available to read a saved one; "
                "a license you type is used for this session only)"
            ) from None
        if not value:
            raise SessionError(
                f"No license stored for profile {self.profile.name!r}; add it in the connection settings"
            )
        return value

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
            await self._register()

    async def _register(self) -> None:
        tools = [tool.to_realtime() for tool in self._tools]
        profile = self.profile
        if profile.provider is Provider.ELEVENLABS and tools:
            self._warn(ELEVENLABS_TOOLS_NOTE)
            tools = []
        send_tools = bool(tools)
        in_config = send_tools and profile.registration in (
            RegistrationStyle.INPUT_CONFIG,
            RegistrationStyle.BOTH,
        )
        separate = send_tools and profile.registration in (
            RegistrationStyle.FUNCTION_CALL,
            RegistrationStyle.BOTH,
        )
        async with self._send_lock:
            if profile.voice or profile.prompt or in_config:
                await self._send(
                    protocol.input_config(
                        profile.voice, profile.prompt, tools if in_config else None
                    )
                )
            if separate:
                await self._send(protocol.input_function_call(tools))

    async def _run(self) -> None:
        """Read frames until the session ends; reconnect after transient failures."""
        while True:
            end = await self._read_until_closed()
            self._transport = None
            self._abandon_open_calls(end.message)
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

    async def _read_until_closed(self) -> _End:
        transport = self._transport
        assert transport is not None  # set by _open before the reader starts
        # Frames are read in batches: all that arrived since the last read.
        while True:
            try:
                frames = await transport.receive_many()
            except TransportClosed as closed:
                if self._end is not None:
                    return self._end
                return self._classify_close(closed)
            self._handle_frames(frames)
            if self._end is not None:
                # A conversation.connected.* event ended the session: close our side too.
                with contextlib.suppress(Exception):
                    await transport.close()
                return self._end

    def _classify_close(self, closed: TransportClosed) -> _End:
        kind = classify_close(closed.code, closed.reason)
        reason = self._redact(closed.reason)
        if INSUFFICIENT_POINTS.lower() in reason.lower():
            message = f"Out of credit: the server closed the connection ({reason})"
        elif self._stopping:
            message = "Disconnected"
        else:
            detail = f"code {closed.code}" + (f", {reason}" if reason else "")
            message = f"The connection was closed ({detail})"
        return _End(kind, message, f"close {closed.code}")

    async def _reconnect(self, end: _End) -> bool:
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
    def _handle_frames(self, frames: Iterable[str | bytes]) -> None:
        """Record and handle a batch of frames in order; one frame's failure spares the rest."""
        handle = self._handle_frame
        for raw in frames:
            try:
                handle(raw)
            except Exception as failure:  # e.g. the spill file failing: keep reading
                logger.exception("recording a frame failed")
                self._error(f"Recording a frame failed: {type(failure).__name__}: {failure}")

    def _handle_frame(self, raw: str | bytes) -> None:
        mono = self._clock.monotonic()
        wall = self._clock.wall()
        event = protocol.parse_frame(raw)
        call_id: str | None = None
        fold_key: str | None = None
        audio: str | bytes | None = None
        error: str | None = None
        # Most frames are audio deltas: tested first.
        if isinstance(event, protocol.AudioEvent):
            if event.payload:
                fold_key = f"audio:{event.type}|{event.response_id}"
                audio = event.payload
        elif isinstance(event, protocol.TranscriptFrame):
            if not event.final and event.role == "avatar":
                fold_key = f"{TEXT_FOLD_PREFIX}{event.type}|{event.response_id}"
        elif isinstance(event, protocol.InvalidFrame):
            error = event.error
        elif isinstance(event, protocol.BinaryFrame):
            audio = raw
        elif isinstance(event, protocol.CallArgumentsDelta):
            call_id = event.call_id or None
            fold_key = f"{TEXT_FOLD_PREFIX}{event.type}|{event.call_id}"
        elif isinstance(event, protocol.CallArgumentsDone):
            call_id = event.call_id or None
        row = self.timeline.append(
            Direction.IN,
            event.type,
            raw,
            summary=self._delta_summary(event)
            if isinstance(event, protocol.CallArgumentsDelta)
            else event.summary(),
            call_id=call_id,
            error=error,
            fold_key=fold_key,
            audio=audio,
            wall_time=wall,
            mono_time=mono,
        )
        if self._end is not None:
            # The server already ended the session earlier in this batch: the frame is
            # recorded, but acting on it would contradict the end.
            return
        if audio is not None and not self._awaiting_resume:
            return  # audio only matters for the model-resume latency of answered calls
        try:
            self._dispatch(event, row, mono, wall)
        except Exception as failure:  # a handler bug must not end the session
            logger.exception("handling a %s frame failed", event.type)
            self._error(
                f"Handling a {event.type} frame failed: {type(failure).__name__}: {failure}"
            )

    def _dispatch(self, event: protocol.ParsedFrame, row: int, mono: float, wall: float) -> None:
        if isinstance(event, protocol.AudioEvent):
            # Audio only ever matters for the model-resume latency of answered calls.
            if self._awaiting_resume and event.kind in protocol.RESUME_TYPES:
                self._model_resumed(mono, wall, event.kind)
            return
        if isinstance(event, protocol.InvalidFrame | protocol.BinaryFrame):
            return
        kind = event.kind
        if kind in protocol.RESUME_TYPES and self._awaiting_resume:
            self._model_resumed(mono, wall, kind)
        if isinstance(event, protocol.ConnectionEvent):
            self._on_connection_event(event)
        elif isinstance(event, protocol.TranscriptFrame):
            if event.role == "user" and event.text:
                self._user_turns.append(event.text)
            if self._listeners:
                piece = Transcript(event.role, event.text, event.final, event.response_id)
                self._notify(lambda listener: listener.transcript_received(piece))
        elif isinstance(event, protocol.CallArgumentsDelta):
            if event.call_id:
                if event.name:
                    self._delta_names[event.call_id] = event.name
                self._buffer_delta(event.call_id, event.delta)
        elif isinstance(event, protocol.CallArgumentsDone):
            self._on_call(event, row, mono, wall)
        elif isinstance(event, protocol.ErrorEvent):
            self._error(f"Server error: {event.summary()}")
        elif kind == protocol.SESSION_CREATED:
            self._on_session_created()
        elif kind == protocol.SESSION_UPDATED:
            if self._state in (SessionState.OPEN, SessionState.CONNECTED):
                self._set_state(SessionState.READY, "Session ready", event_type=event.type)
        elif kind in SERVER_EVENT_ENDS:  # v1 / undocumented names
            self._end_by_server(
                event.type, kind.rsplit(".", 1)[-1], event.message, SERVER_EVENT_ENDS[kind]
            )

    def _on_connection_event(self, event: protocol.ConnectionEvent) -> None:
        status = event.status
        if status == "success":
            if self._state is SessionState.READY:
                # Once per connection; a stray one mid-session must not make the session
                # look not ready (answers and turns would wait for a session.updated).
                self._warn(
                    f"Unexpected {event.type} while the session is ready "
                    f"(session {event.session_id or 'not named'}); ignored"
                )
                return
            self.session_id = event.session_id
            self._attempt = 0  # the connection works again: a later drop starts backoff afresh
            detail = f" (session {event.session_id})" if event.session_id else ""
            self._set_state(SessionState.CONNECTED, f"Connected{detail}", event_type=event.type)
        elif status == "warning":
            self._warn(f"Server warning: {event.message or 'no details'}")
        elif event.type in SERVER_EVENT_ENDS:
            kind = SERVER_EVENT_ENDS[event.type]
            if status == "fail":
                kind = classify_fail_message(event.message or "")
            self._end_by_server(event.type, status, event.message, kind)
        else:
            self._warn(f"Unknown connection event {event.type}: {event.message or 'no details'}")

    def _end_by_server(
        self, event_type: str, status: str, message: str | None, kind: EndKind
    ) -> None:
        headline = _SERVER_END_TEXT.get(status, f"The server sent {event_type}")
        text = f"{headline}: {self._redact(message)}" if message else headline
        self._end = _End(kind, text, event_type)

    def _on_session_created(self) -> None:
        if self._connection > 1 and self.profile.replay_history and self._user_turns:
            task = asyncio.get_running_loop().create_task(
                self._replay_history(list(self._user_turns))
            )
            task.add_done_callback(self._report_task_error)

    async def _replay_history(self, turns: list[str]) -> None:
        async with self._send_lock:
            for text in turns:
                await self._send(protocol.user_message([text]))
        self._local(LOCAL_STATE, f"replayed {len(turns)} earlier user turns as history")

    def _on_call(
        self, event: protocol.CallArgumentsDone, row: int, mono: float, wall: float
    ) -> None:
        warnings = list(event.warnings)
        name = event.name or ""
        arguments = event.arguments
        raw_arguments = event.raw_arguments
        if not name:
            remembered = self._delta_names.get(event.call_id, "")
            if remembered:
                name = remembered
            else:
                warnings.append(
                    "no function name in data.function_name, data.name, raw_data.name or argument deltas"
                )
        pieces = self._delta_args.pop(event.call_id, None)
        self._delta_names.pop(event.call_id, None)
        delta_size = self._delta_sizes.pop(event.call_id, 0)
        argument_error: str | None = None
        if event.call_id in self._delta_overflow:
            self._delta_overflow.discard(event.call_id)
            if not raw_arguments:
                argument_error = (
                    f"arguments too large: {delta_size:,} characters of argument deltas, more "
                    f"than the {self._max_argument_chars:,} allowed per call (not kept)"
                )
                warnings = [w for w in warnings if w != "the event has no arguments"]
                warnings.append(argument_error)
                arguments = None
        elif not raw_arguments and pieces:
            raw_arguments = "".join(pieces)
            warnings = [w for w in warnings if w != "the event has no arguments"]
            warnings.append("arguments taken from the argument deltas")
            arguments = _parse_arguments(raw_arguments, warnings)
        duplicate_of: str | None = None
        if event.call_id:
            earlier = self.calls.with_call_id(event.call_id)
            if earlier:
                duplicate_of = earlier[0].key
                warnings.append(
                    f"duplicate call_id {event.call_id}: received {len(earlier) + 1} times; kept as a separate call"
                )
        violations: list[str] = []
        tool = next((t for t in self._tools if t.name == name), None)
        if tool is None and name:
            if self.profile.provider is Provider.ELEVENLABS:
                warnings.append(
                    "ElevenLabs tool (configured in the dashboard): arguments not validated"
                )
            else:
                known = ", ".join(t.name for t in self._tools) or "none"
                warnings.append(f"no registered tool is called {name!r} (registered: {known})")
        elif tool is not None and arguments is not None:
            try:
                violations = argument_violations(tool, arguments)
            except SchemaError as problem:
                warnings.append(f"tool {tool.name!r} has an invalid parameter schema: {problem}")
        call = FunctionCall(
            key=self.calls.new_key(event.call_id),
            call_id=event.call_id,
            name=name,
            arguments=arguments,
            raw_arguments=raw_arguments,
            warnings=warnings,
            violations=violations,
            response_id=event.response_id,
            connection=self._connection,
            timeline_row=row,
            duplicate_of=duplicate_of,
            argument_error=argument_error,
        )
        call.add_step(
            "received", mono, wall, event.name_source or ("argument deltas" if name else "")
        )
        self.calls.add(call)
        if warnings or violations:
            problems = "; ".join([*warnings, *(f"schema: {v}" for v in violations)])
            self._local(LOCAL_WARNING, f"call {call.key}: {problems}", call_id=call.call_id or None)
        deadline = self.profile.answer_deadline_s
        if deadline is not None:
            loop = asyncio.get_running_loop()
            self._deadlines[call.key] = loop.call_later(deadline, self._deadline_passed, call)
        self._notify(lambda listener: listener.call_received(call))

    def _delta_summary(self, event: protocol.CallArgumentsDelta) -> str:
        """The fragment; past the call's cap a short note, so no second copy is kept."""
        size = self._delta_sizes.get(event.call_id, 0) + len(event.delta)
        if event.call_id in self._delta_overflow or size > self._max_argument_chars:
            return f"({len(event.delta):,} characters past the arguments cap)"
        return event.summary()

    def _buffer_delta(self, call_id: str, delta: str) -> None:
        """Keep a call's argument pieces until its ``…done``, up to the per-call cap."""
        size = self._delta_sizes.get(call_id, 0) + len(delta)
        self._delta_sizes[call_id] = size
        if call_id in self._delta_overflow:
            return
        if size <= self._max_argument_chars:
            self._delta_args.setdefault(call_id, []).append(delta)
            return
        # Past the cap: free what was kept (the frames themselves are in the timeline) and
        # say so once; the call will be answered with an "arguments too large" error.
        self._delta_args.pop(call_id, None)
        self._delta_overflow.add(call_id)
        message = (
            f"call {call_id}: argument deltas passed {self._max_argument_chars:,} characters; "
            "the arguments are too large and are not kept"
        )
        logger.warning("%s", message)
        self._local(LOCAL_WARNING, message, call_id=call_id, error=message)
        self._notify(lambda listener: listener.session_warning(message))

    def _deadline_passed(self, call: FunctionCall) -> None:
        self._deadlines.pop(call.key, None)
        if call.state not in (CallState.RECEIVED, CallState.ANSWERING):
            return
        call.state = CallState.EXPIRED
        call.overdue = True
        self._step(call, "expired", f"no answer within {self.profile.answer_deadline_s:g} s")
        self._local(LOCAL_CALL, f"{call.name or '?'} is overdue", call_id=call.call_id or None)
        self._updated(call)
        self._notify(lambda listener: listener.call_overdue(call))

    def _model_resumed(self, mono: float, wall: float, kind: str) -> None:
        for call in self._awaiting_resume:
            sent = call.steps[-1].mono_time if call.steps else mono
            for step in reversed(call.steps):
                if step.name == "sent":
                    sent = step.mono_time
                    break
            call.model_resume_latency_s = max(0.0, mono - sent)
            call.add_step("response_started", mono, wall, kind)
            self._updated(call)
        self._awaiting_resume.clear()

    def _abandon_open_calls(self, reason: str) -> None:
        self._awaiting_resume.clear()
        for call in self.calls.open_calls():
            call.state = CallState.ABANDONED
            self._step(call, "abandoned", reason)
            self._cancel_deadline(call)
            self._local(
                LOCAL_CALL, f"{call.name or '?'} abandoned: {reason}", call_id=call.call_id or None
            )
            self._updated(call)

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

    async def _send(self, frame: protocol.OutgoingFrame, *, call_id: str | None = None) -> None:
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


def _parse_arguments(text: str, warnings: list[str]) -> dict[str, Any] | None:
    import json  # local: only needed for the rare delta-only call

    try:
        value = json.loads(text)
    except ValueError as error:
        warnings.append(f"arguments are not valid JSON: {error}")
        return None
    if not isinstance(value, dict):
        warnings.append(f"arguments are a JSON {type(value).__name__}, not an object")
        return None
    return value
