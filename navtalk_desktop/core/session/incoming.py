"""A session's incoming frames: recorded in the timeline, then acted on (calls, states, text).

Functions of :class:`~navtalk_desktop.core.session.session.Session` (its reader calls them for
every frame), kept apart so the session module stays about the connection itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.calls.book import CallState, FunctionCall
from navtalk_desktop.core.profile import Provider
from navtalk_desktop.core.session import outgoing, protocol
from navtalk_desktop.core.session.reconnect import SERVER_EVENT_ENDS, EndKind, classify_fail_message
from navtalk_desktop.core.session.state import (
    LOCAL_CALL,
    LOCAL_STATE,
    LOCAL_WARNING,
    SessionEnd,
    SessionState,
    Transcript,
)
from navtalk_desktop.core.timeline.timeline import TEXT_FOLD_PREFIX, Direction
from navtalk_desktop.core.tools.validation import SchemaError, argument_violations

if TYPE_CHECKING:
    from navtalk_desktop.core.session.session import Session

logger = logging.getLogger("navtalk_desktop.core.session.session")

SERVER_END_TEXT = {
    "fail": "NavTalk refused the connection",
    "close": "The server ended the session",
    "insufficient_balance": "Out of credit",
    "connection_limit_exceeded": "Too many concurrent connections for this license",
    "gpu_full": "NavTalk has no free GPU right now",
    "backend_error": "NavTalk backend error",
}


def handle_frames(session: Session, frames: Iterable[str | bytes]) -> None:
    """Record and handle a batch of frames in order; one frame's failure spares the rest."""
    for raw in frames:
        try:
            handle_frame(session, raw)
        except Exception as failure:  # e.g. the spill file failing: keep reading
            logger.exception("recording a frame failed")
            session._error(f"Recording a frame failed: {type(failure).__name__}: {failure}")


def handle_frame(session: Session, raw: str | bytes) -> None:
    mono = session._clock.monotonic()
    wall = session._clock.wall()
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
    row = session.timeline.append(
        Direction.IN,
        event.type,
        raw,
        summary=delta_summary(session, event)
        if isinstance(event, protocol.CallArgumentsDelta)
        else event.summary(),
        call_id=call_id,
        error=error,
        fold_key=fold_key,
        audio=audio,
        wall_time=wall,
        mono_time=mono,
    )
    media = session.media_sink
    if media is not None and isinstance(event, protocol.ServerEvent) and _for_media(event):
        try:
            media(event)
        except Exception as failure:  # the media path must not end the session
            logger.exception("media handling of %s failed", event.type)
            session._error(f"Media: handling {event.type} failed: {failure}")
    if session._end is not None:
        # The server already ended the session earlier in this batch: the frame is
        # recorded, but acting on it would contradict the end.
        return
    if audio is not None and not session._awaiting_resume:
        return  # audio only matters for the model-resume latency of answered calls
    try:
        dispatch(session, event, row, mono, wall)
    except Exception as failure:  # a handler bug must not end the session
        logger.exception("handling a %s frame failed", event.type)
        session._error(f"Handling a {event.type} frame failed: {type(failure).__name__}: {failure}")


MEDIA_KINDS = frozenset(
    {
        protocol.AUDIO_DELTA,
        protocol.AUDIO_DONE,
        protocol.RESPONSE_COMPLETED,
        protocol.SPEECH_STARTED,
        protocol.CONNECTED_PREFIX + "success",
    }
)
"""Frames the avatar's media path needs, besides every ``webrtc.signaling.*``."""


def _for_media(event: protocol.ServerEvent) -> bool:
    kind = event.kind
    return kind in MEDIA_KINDS or kind.startswith(protocol.WEBRTC_PREFIX)


def dispatch(
    session: Session, event: protocol.ParsedFrame, row: int, mono: float, wall: float
) -> None:
    if isinstance(event, protocol.AudioEvent):
        # Audio only ever matters for the model-resume latency of answered calls.
        if session._awaiting_resume and event.kind in protocol.RESUME_TYPES:
            model_resumed(session, mono, wall, event.kind)
        return
    if isinstance(event, protocol.InvalidFrame | protocol.BinaryFrame):
        return
    kind = event.kind
    if kind in protocol.RESUME_TYPES and session._awaiting_resume:
        model_resumed(session, mono, wall, kind)
    if isinstance(event, protocol.ConnectionEvent):
        on_connection_event(session, event)
    elif isinstance(event, protocol.TranscriptFrame):
        if event.role == "user" and event.text:
            session._user_turns.append(event.text)
        if session._listeners:
            piece = Transcript(event.role, event.text, event.final, event.response_id)
            session._notify(lambda listener: listener.transcript_received(piece))
    elif isinstance(event, protocol.CallArgumentsDelta):
        if event.call_id:
            if event.name:
                session._delta_names[event.call_id] = event.name
            buffer_delta(session, event.call_id, event.delta)
    elif isinstance(event, protocol.CallArgumentsDone):
        on_call(session, event, row, mono, wall)
    elif isinstance(event, protocol.ErrorEvent):
        session._error(f"Server error: {event.summary()}")
    elif kind == protocol.SESSION_CREATED:
        on_session_created(session)
    elif kind == protocol.SESSION_UPDATED:
        if session._state in (SessionState.OPEN, SessionState.CONNECTED):
            session._set_state(SessionState.READY, "Session ready", event_type=event.type)
    elif kind in SERVER_EVENT_ENDS:  # v1 / undocumented names
        end_by_server(
            session, event.type, kind.rsplit(".", 1)[-1], event.message, SERVER_EVENT_ENDS[kind]
        )


def on_connection_event(session: Session, event: protocol.ConnectionEvent) -> None:
    status = event.status
    if status == "success":
        if session._state is SessionState.READY:
            # Once per connection; a stray one mid-session must not make the session
            # look not ready (answers and turns would wait for a session.updated).
            session._warn(
                f"Unexpected {event.type} while the session is ready "
                f"(session {event.session_id or 'not named'}); ignored"
            )
            return
        session.session_id = event.session_id
        session._attempt = 0  # the connection works again: a later drop starts backoff afresh
        detail = f" (session {event.session_id})" if event.session_id else ""
        session._set_state(SessionState.CONNECTED, f"Connected{detail}", event_type=event.type)
    elif status == "warning":
        session._warn(f"Server warning: {event.message or 'no details'}")
    elif event.type in SERVER_EVENT_ENDS:
        kind = SERVER_EVENT_ENDS[event.type]
        if status == "fail":
            kind = classify_fail_message(event.message or "")
        end_by_server(session, event.type, status, event.message, kind)
    else:
        session._warn(f"Unknown connection event {event.type}: {event.message or 'no details'}")


def end_by_server(
    session: Session, event_type: str, status: str, message: str | None, kind: EndKind
) -> None:
    headline = SERVER_END_TEXT.get(status, f"The server sent {event_type}")
    text = f"{headline}: {session._redact(message)}" if message else headline
    session._end = SessionEnd(kind, text, event_type)


def on_session_created(session: Session) -> None:
    if session._connection > 1 and session.profile.replay_history and session._user_turns:
        task = asyncio.get_running_loop().create_task(
            replay_history(session, list(session._user_turns))
        )
        task.add_done_callback(session._report_task_error)


async def replay_history(session: Session, turns: list[str]) -> None:
    async with session._send_lock:
        for text in turns:
            await session._send(outgoing.user_message([text]))
    session._local(LOCAL_STATE, f"replayed {len(turns)} earlier user turns as history")


def on_call(
    session: Session, event: protocol.CallArgumentsDone, row: int, mono: float, wall: float
) -> None:
    warnings = list(event.warnings)
    name = event.name or ""
    arguments = event.arguments
    raw_arguments = event.raw_arguments
    if not name:
        remembered = session._delta_names.get(event.call_id, "")
        if remembered:
            name = remembered
        else:
            warnings.append(
                "no function name in data.function_name, data.name, raw_data.name or argument deltas"
            )
    pieces = session._delta_args.pop(event.call_id, None)
    session._delta_names.pop(event.call_id, None)
    delta_size = session._delta_sizes.pop(event.call_id, 0)
    argument_error: str | None = None
    if event.call_id in session._delta_overflow:
        session._delta_overflow.discard(event.call_id)
        if not raw_arguments:
            argument_error = (
                f"arguments too large: {delta_size:,} characters of argument deltas, more "
                f"than the {session._max_argument_chars:,} allowed per call (not kept)"
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
        earlier = session.calls.with_call_id(event.call_id)
        if earlier:
            duplicate_of = earlier[0].key
            warnings.append(
                f"duplicate call_id {event.call_id}: received {len(earlier) + 1} times; kept as a separate call"
            )
    violations: list[str] = []
    tool = next((t for t in session._tools if t.name == name), None)
    if tool is None and name:
        if session.profile.provider is Provider.ELEVENLABS:
            warnings.append(
                "ElevenLabs tool (configured in the dashboard): arguments not validated"
            )
        else:
            known = ", ".join(t.name for t in session._tools) or "none"
            warnings.append(f"no registered tool is called {name!r} (registered: {known})")
    elif tool is not None and arguments is not None:
        try:
            violations = argument_violations(tool, arguments)
        except SchemaError as problem:
            warnings.append(f"tool {tool.name!r} has an invalid parameter schema: {problem}")
    call = FunctionCall(
        key=session.calls.new_key(event.call_id),
        call_id=event.call_id,
        name=name,
        arguments=arguments,
        raw_arguments=raw_arguments,
        warnings=warnings,
        violations=violations,
        response_id=event.response_id,
        connection=session._connection,
        timeline_row=row,
        duplicate_of=duplicate_of,
        argument_error=argument_error,
    )
    call.add_step("received", mono, wall, event.name_source or ("argument deltas" if name else ""))
    session.calls.add(call)
    if warnings or violations:
        problems = "; ".join([*warnings, *(f"schema: {v}" for v in violations)])
        session._local(LOCAL_WARNING, f"call {call.key}: {problems}", call_id=call.call_id or None)
    deadline = session.profile.answer_deadline_s
    if deadline is not None:
        loop = asyncio.get_running_loop()
        session._deadlines[call.key] = loop.call_later(deadline, deadline_passed, session, call)
    session._notify(lambda listener: listener.call_received(call))


def delta_summary(session: Session, event: protocol.CallArgumentsDelta) -> str:
    """The fragment; past the call's cap a short note, so no second copy is kept."""
    size = session._delta_sizes.get(event.call_id, 0) + len(event.delta)
    if event.call_id in session._delta_overflow or size > session._max_argument_chars:
        return f"({len(event.delta):,} characters past the arguments cap)"
    return event.summary()


def buffer_delta(session: Session, call_id: str, delta: str) -> None:
    """Keep a call's argument pieces until its ``…done``, up to the per-call cap."""
    size = session._delta_sizes.get(call_id, 0) + len(delta)
    session._delta_sizes[call_id] = size
    if call_id in session._delta_overflow:
        return
    if size <= session._max_argument_chars:
        session._delta_args.setdefault(call_id, []).append(delta)
        return
    # Past the cap: free what was kept (the frames themselves are in the timeline) and
    # say so once; the call will be answered with an "arguments too large" error.
    session._delta_args.pop(call_id, None)
    session._delta_overflow.add(call_id)
    message = (
        f"call {call_id}: argument deltas passed {session._max_argument_chars:,} characters; "
        "the arguments are too large and are not kept"
    )
    logger.warning("%s", message)
    session._local(LOCAL_WARNING, message, call_id=call_id, error=message)
    session._notify(lambda listener: listener.session_warning(message))


def deadline_passed(session: Session, call: FunctionCall) -> None:
    session._deadlines.pop(call.key, None)
    if call.state not in (CallState.RECEIVED, CallState.ANSWERING):
        return
    call.state = CallState.EXPIRED
    call.overdue = True
    session._step(call, "expired", f"no answer within {session.profile.answer_deadline_s:g} s")
    session._local(LOCAL_CALL, f"{call.name or '?'} is overdue", call_id=call.call_id or None)
    session._updated(call)
    session._notify(lambda listener: listener.call_overdue(call))


def model_resumed(session: Session, mono: float, wall: float, kind: str) -> None:
    for call in session._awaiting_resume:
        sent = call.steps[-1].mono_time if call.steps else mono
        for step in reversed(call.steps):
            if step.name == "sent":
                sent = step.mono_time
                break
        call.model_resume_latency_s = max(0.0, mono - sent)
        call.add_step("response_started", mono, wall, kind)
        session._updated(call)
    session._awaiting_resume.clear()


def abandon_open_calls(session: Session, reason: str) -> None:
    session._awaiting_resume.clear()
    for call in session.calls.open_calls():
        call.state = CallState.ABANDONED
        session._step(call, "abandoned", reason)
        session._cancel_deadline(call)
        session._local(
            LOCAL_CALL, f"{call.name or '?'} abandoned: {reason}", call_id=call.call_id or None
        )
        session._updated(call)


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
