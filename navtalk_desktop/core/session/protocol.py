"""NavTalk v2 wire protocol: server frames to typed events, client messages to exact JSON text.

Parsing never raises: anything that is not a JSON object with a ``type`` becomes an
:class:`InvalidFrame` or :class:`BinaryFrame`, so every frame can reach the timeline. Both the
v2 ``realtime.``-prefixed names and the flat v1/OpenAI names are understood.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.json_reader import json_type

# --------------------------------------------------------------------------- event types
CONNECTED_PREFIX = "conversation.connected."
SESSION_CREATED = "realtime.session.created"
SESSION_UPDATED = "realtime.session.updated"
SPEECH_STARTED = "realtime.input_audio_buffer.speech_started"
SPEECH_STOPPED = "realtime.input_audio_buffer.speech_stopped"
USER_TRANSCRIPT = "realtime.conversation.item.input_audio_transcription.completed"
TRANSCRIPT_DELTA = "realtime.response.audio_transcript.delta"
TRANSCRIPT_DONE = "realtime.response.audio_transcript.done"
AUDIO_DELTA = "realtime.response.audio.delta"
AUDIO_DONE = "realtime.response.audio.done"
CALL_ARGS_DELTA = "realtime.response.function_call_arguments.delta"
CALL_ARGS_DONE = "realtime.response.function_call_arguments.done"
RESPONSE_COMPLETED = "realtime.response.completed"
WEBRTC_PREFIX = "webrtc.signaling."
BINARY = "binary"
INVALID = "invalid"

# v1 / OpenAI flat names and the v2 name they mean.
_V1_NAMES = {
    "session.created": SESSION_CREATED,
    "session.updated": SESSION_UPDATED,
    "input_audio_buffer.speech_started": SPEECH_STARTED,
    "input_audio_buffer.speech_stopped": SPEECH_STOPPED,
    "conversation.item.input_audio_transcription.completed": USER_TRANSCRIPT,
    "response.audio_transcript.delta": TRANSCRIPT_DELTA,
    "response.audio_transcript.done": TRANSCRIPT_DONE,
    "response.audio.delta": AUDIO_DELTA,
    "response.audio.done": AUDIO_DONE,
    "response.function_call_arguments.delta": CALL_ARGS_DELTA,
    "response.function_call_arguments.done": CALL_ARGS_DONE,
    "response.done": RESPONSE_COMPLETED,
}
ERROR_TYPES = frozenset({"error", "realtime.response.error", "realtime.error"})
# Frames whose arrival after a function result means the model started answering again.
RESUME_TYPES = frozenset({TRANSCRIPT_DELTA, AUDIO_DELTA})


# --------------------------------------------------------------------------- events
# Events are read-only values. They are not declared frozen because one is made per frame
# and a frozen dataclass is built about three times slower (0.8 µs vs 0.25 µs for an audio
# delta); nothing in the app assigns to their fields.
@dataclass(slots=True)
class ServerEvent:
    """A parsed JSON frame from the server.

    Attributes:
        type: the frame's ``type`` exactly as received.
        data: the ``data`` object (for flat v1 events: the frame itself).
        message: human text from top-level ``message`` or ``data.message``.
    """

    type: str
    data: dict[str, Any]
    message: str | None

    @property
    def kind(self) -> str:
        """The v2 name of this event (v1 flat names are mapped)."""
        return _V1_NAMES.get(self.type, self.type)

    def summary(self) -> str:
        """Short description for the timeline."""
        return self.message or ""


@dataclass(slots=True)
class ConnectionEvent(ServerEvent):
    """``conversation.connected.*``: success, warning, fail, close, insufficient_balance, …

    Attributes:
        status: the part after ``conversation.connected.``.
        session_id: ``data.sessionId`` of ``success``.
        ice_servers: ``data.iceServers`` of ``success``.
    """

    status: str = ""
    session_id: str | None = None
    ice_servers: tuple[dict[str, Any], ...] = ()

    def summary(self) -> str:
        """``status: message``."""
        if self.session_id:
            return f"{self.status}: session {self.session_id}"
        return f"{self.status}: {self.message}" if self.message else self.status


@dataclass(slots=True)
class TranscriptFrame(ServerEvent):
    """User transcript, avatar transcript delta or avatar transcript done.

    Attributes:
        role: ``user`` or ``avatar``.
        text: the fragment (delta) or full text (done).
        final: ``False`` for deltas.
        response_id: ``data.id`` / ``response_id``.
    """

    role: str = "avatar"
    text: str = ""
    final: bool = False
    response_id: str | None = None

    def summary(self) -> str:
        """The text."""
        return self.text


@dataclass(slots=True)
class AudioEvent(ServerEvent):
    """``audio.delta`` (payload) or ``audio.done``.

    Attributes:
        payload: the base64 audio string (empty for ``done``).
        response_id: response id if present.
    """

    payload: str = ""
    response_id: str | None = None

    def summary(self) -> str:
        """Payload size."""
        payload = self.payload
        if not payload:
            return "audio done"
        return _AUDIO_SUMMARIES.get(len(payload)) or _audio_summary(len(payload))


# Audio deltas of a session mostly share a few payload lengths: their summaries are made
# once per length instead of once per frame (a few thousand lengths at most are kept).
_AUDIO_SUMMARIES: dict[int, str] = {}
_AUDIO_SUMMARIES_MAX = 4096


def _audio_summary(length: int) -> str:
    text = _AUDIO_SUMMARIES.get(length)
    if text is None:
        text = f"audio {length * 3 // 4} B"
        if len(_AUDIO_SUMMARIES) < _AUDIO_SUMMARIES_MAX:
            _AUDIO_SUMMARIES[length] = text
    return text


@dataclass(slots=True)
class CallArgumentsDelta(ServerEvent):
    """``function_call_arguments.delta``: a fragment of a call's arguments.

    Attributes:
        call_id: the call id (may be empty).
        delta: the fragment.
        name: function name if the event carries one.
    """

    call_id: str = ""
    delta: str = ""
    name: str | None = None

    def summary(self) -> str:
        """The fragment."""
        return self.delta


@dataclass(slots=True)
class CallArgumentsDone(ServerEvent):
    """``function_call_arguments.done``: the model called a function.

    Attributes:
        call_id: ``data.call_id`` or ``raw_data.call_id`` (``""`` when missing).
        name: ``data.function_name``, else ``data.name``, else ``raw_data.name`` (or ``None``).
        name_source: which field the name came from.
        arguments: parsed arguments object, or ``None``.
        raw_arguments: the arguments as received (objects re-serialised as JSON).
        warnings: what was wrong with the event.
        response_id: ``raw_data.response_id`` if present.
    """

    call_id: str = ""
    name: str | None = None
    name_source: str = ""
    arguments: dict[str, Any] | None = None
    raw_arguments: str = ""
    warnings: tuple[str, ...] = ()
    response_id: str | None = None

    def summary(self) -> str:
        """``name(arguments)``."""
        return f"{self.name or '?'}({self.raw_arguments})"


@dataclass(slots=True)
class ErrorEvent(ServerEvent):
    """``error`` / ``realtime.response.error``: the server reports a problem."""

    def summary(self) -> str:
        """The message."""
        return self.message or json.dumps(self.data, ensure_ascii=False)[:200]


@dataclass(slots=True)
class UnknownEvent(ServerEvent):
    """A well-formed event of a type this client does not know (kept, never dropped)."""

    def summary(self) -> str:
        """Marks the type as unknown."""
        return f"unknown event type {self.type!r}"


@dataclass(slots=True)
class InvalidFrame:
    """A text frame that is not a JSON object with a string ``type``.

    Attributes:
        error: what is wrong with it.
        type: always ``invalid``.
    """

    error: str
    type: str = INVALID

    def summary(self) -> str:
        """The error."""
        return self.error


@dataclass(slots=True)
class BinaryFrame:
    """A binary frame (v1 PCM audio; undocumented in v2).

    Attributes:
        size: bytes.
        type: always ``binary``.
    """

    size: int
    type: str = BINARY

    def summary(self) -> str:
        """Size."""
        return f"binary frame, {self.size} B"


ParsedFrame = ServerEvent | InvalidFrame | BinaryFrame

_SIMPLE_KINDS = frozenset(
    {
        SESSION_CREATED,
        SESSION_UPDATED,
        SPEECH_STARTED,
        SPEECH_STOPPED,
        AUDIO_DONE,
        RESPONSE_COMPLETED,
    }
)


def parse_frame(raw: str | bytes) -> ParsedFrame:
    """Parse one frame. Never raises.

    Args:
        raw: the frame as received.

    Returns:
        A :class:`ServerEvent` (or subclass), :class:`InvalidFrame` or :class:`BinaryFrame`.
    """
    if raw.__class__ is not str and isinstance(raw, bytes | bytearray | memoryview):
        return BinaryFrame(len(raw))
    if raw.startswith(_AUDIO_HEAD):
        fast = _parse_plain_audio_delta(raw) or _parse_audio_delta(raw)
        if fast is not None:
            return fast
    try:
        value = json.loads(raw)
    except ValueError as error:  # JSONDecodeError, and lone surrogates
        return InvalidFrame(f"not valid JSON: {error}")
    except RecursionError:
        return InvalidFrame("not valid JSON: nested too deeply")
    if not isinstance(value, dict):
        return InvalidFrame(f"a JSON {type(value).__name__} instead of an object")
    try:
        return _parse_object(value)
    except Exception as error:  # noqa: BLE001  (a parser bug must not lose the frame)
        return InvalidFrame(f"could not interpret the event: {type(error).__name__}: {error}")


_AUDIO_HEAD = '{"type":"realtime.response.audio.delta"'
_DELTA_KEY = '"delta":"'
# The shape NavTalk sends audio in: nothing but the payload, compact.
_PLAIN_AUDIO_HEAD = _AUDIO_HEAD + ',"data":{' + _DELTA_KEY
_PLAIN_AUDIO_TAIL = '"}}'


def _parse_plain_audio_delta(raw: str) -> AudioEvent | None:
    """``{"type":"realtime.response.audio.delta","data":{"delta":"…"}}`` parsed by slicing, or None.

    When the text between the head and the closing ``"}}`` has no quote and no backslash,
    the frame is exactly that object with that payload (same leniency on control
    characters as :func:`_parse_audio_delta`); nothing is decoded as JSON at all.
    """
    start = len(_PLAIN_AUDIO_HEAD)
    end = len(raw) - len(_PLAIN_AUDIO_TAIL)
    if (
        end < start
        or not raw.startswith(_PLAIN_AUDIO_HEAD)
        or not raw.endswith(_PLAIN_AUDIO_TAIL)
        or raw.find('"', start) != end
        or raw.find("\\", start, end) >= 0
    ):
        return None
    payload = raw[start:end]
    return AudioEvent(AUDIO_DELTA, {"delta": payload}, None, payload, None)


def _parse_audio_delta(raw: str) -> AudioEvent | None:
    """An audio delta parsed without decoding its payload as JSON, or None.

    Audio deltas are most of a talking session's frames and their base64 payload is
    most of their bytes: the payload is cut out and only the small rest is parsed.
    The cut is only trusted when the frame has no escapes outside the payload and
    exactly one ``"delta"`` key, and the parsed rest has ``data.delta == ""`` and the
    audio type: then the cut string is ``data.delta``. Anything unusual returns None
    and takes the normal path. One leniency: control characters inside the payload
    (invalid JSON) are not looked for, since that would cost as much as ``json.loads``;
    the payload is opaque to the app (kept, spilled and exported as received).
    """
    key = raw.find(_DELTA_KEY, len(_AUDIO_HEAD))
    if key < 0:
        return None
    start = key + len(_DELTA_KEY)
    end = raw.find('"', start)
    if end < 0 or raw.find("\\", start, end) >= 0:
        return None
    head, tail = raw[:start], raw[end:]
    if "\\" in head or "\\" in tail or '"delta"' in tail or head.count('"delta"') != 1:
        return None
    try:
        value = json.loads(head + tail)
    except (ValueError, RecursionError):
        return None  # the normal path reports it as an invalid frame
    if not isinstance(value, dict) or value.get("type") != AUDIO_DELTA:
        return None
    data = value.get("data")
    if not isinstance(data, dict) or data.get("delta") != "":
        return None
    payload = raw[start:end]
    data["delta"] = payload
    message = _str(value.get("message")) or _str(data.get("message"))
    rid = _str(data.get("id")) or _str(data.get("response_id"))
    return AudioEvent(AUDIO_DELTA, data, message, payload=payload, response_id=rid)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _parse_object(frame: dict[str, Any]) -> ParsedFrame:
    type_ = frame.get("type")
    if not isinstance(type_, str):
        return InvalidFrame("missing 'type'" if type_ is None else "'type' is not a string")
    raw_data = frame.get("data")
    data: dict[str, Any]
    if isinstance(raw_data, dict):
        data = raw_data
    elif type_ in _V1_NAMES or type_ in ERROR_TYPES:
        data = frame  # flat OpenAI-style event
    else:
        data = {}
    message = frame.get("message")
    if not (message and isinstance(message, str)):
        message = _str(data.get("message"))
    kind = _V1_NAMES.get(type_, type_)

    if kind == TRANSCRIPT_DELTA:  # the most common frame after audio deltas
        text = data.get("content")
        if not isinstance(text, str):
            text = data.get("delta")
            if not isinstance(text, str):
                text = ""
        rid = data.get("id")
        if not (rid and isinstance(rid, str)):
            rid = _str(data.get("response_id"))
        return TranscriptFrame(type_, data, message, "avatar", text, False, rid)

    if kind.startswith(CONNECTED_PREFIX):
        ice = data.get("iceServers")
        return ConnectionEvent(
            type_,
            data,
            message,
            status=kind[len(CONNECTED_PREFIX) :],
            session_id=_str(data.get("sessionId")),
            ice_servers=tuple(s for s in ice if isinstance(s, dict))
            if isinstance(ice, list)
            else (),
        )
    if kind == USER_TRANSCRIPT:
        text = _str(data.get("content")) or _str(data.get("transcript")) or ""
        return TranscriptFrame(type_, data, message, role="user", text=text, final=True)
    if kind == TRANSCRIPT_DONE:  # deltas returned above
        keys = ("content", "transcript")
        text = next((t for k in keys if (t := _str(data.get(k))) is not None), "")
        rid = _str(data.get("id")) or _str(data.get("response_id"))
        return TranscriptFrame(
            type_, data, message, role="avatar", text=text, final=True, response_id=rid
        )
    if kind == AUDIO_DELTA:
        payload = _str(data.get("delta")) or _str(data.get("audio")) or ""
        rid = _str(data.get("id")) or _str(data.get("response_id"))
        return AudioEvent(type_, data, message, payload=payload, response_id=rid)
    if kind == AUDIO_DONE:
        return AudioEvent(type_, data, message)
    if kind == CALL_ARGS_DELTA:
        nested = frame.get("raw_data")
        raw_mirror = nested if isinstance(nested, dict) else {}
        return CallArgumentsDelta(
            type_,
            data,
            message,
            call_id=_str(data.get("call_id")) or _str(raw_mirror.get("call_id")) or "",
            delta=_str(data.get("delta")) or _str(data.get("arguments")) or "",
            name=_str(data.get("function_name"))
            or _str(data.get("name"))
            or _str(raw_mirror.get("name")),
        )
    if kind == CALL_ARGS_DONE:
        return _parse_call(type_, frame, data, message)
    if kind in ERROR_TYPES:
        err = data.get("error")
        if message is None and isinstance(err, dict):
            message = _str(err.get("message"))
        return ErrorEvent(type_, data, message)
    if kind in _SIMPLE_KINDS or kind.startswith(WEBRTC_PREFIX) or kind in _KNOWN_OTHER:
        return ServerEvent(type_, data, message)
    return UnknownEvent(type_, data, message)


_KNOWN_OTHER = frozenset(
    {"session.session_id", "realtime.session.gpu_full", "realtime.session.insufficient_balance"}
)


def _parse_call(
    type_: str, frame: dict[str, Any], data: dict[str, Any], message: str | None
) -> CallArgumentsDone:
    warnings: list[str] = []
    nested = frame.get("raw_data")
    mirror: dict[str, Any] = nested if isinstance(nested, dict) else {}
    if data is frame:
        mirror = {}  # flat v1 event: the frame is the data

    name: str | None = None
    source = ""
    for src, value in (
        ("data.function_name", data.get("function_name")),
        ("data.name", data.get("name")),
        ("raw_data.name", mirror.get("name")),
    ):
        if isinstance(value, str) and value:
            name, source = value, src
            break

    call_id = _str(data.get("call_id")) or _str(mirror.get("call_id")) or ""
    if not call_id:
        warnings.append("the event has no call_id; an answer cannot be matched by the server")

    arguments: dict[str, Any] | None = None
    value = data.get("arguments") if "arguments" in data else mirror.get("arguments")
    if "arguments" not in data and "arguments" not in mirror:
        raw_arguments = ""
        warnings.append("the event has no arguments")
    elif isinstance(value, str):
        raw_arguments = value
        try:
            parsed = json.loads(value) if value.strip() else {}
        except ValueError as error:
            warnings.append(f"arguments are not valid JSON: {error}")
        except RecursionError:
            warnings.append("arguments are not valid JSON: nested too deeply")
        else:
            if isinstance(parsed, dict):
                arguments = parsed
            else:
                warnings.append(f"arguments are a JSON {type(parsed).__name__}, not an object")
    elif isinstance(value, dict):
        arguments = value
        raw_arguments = json.dumps(value, ensure_ascii=False)
    else:
        raw_arguments = json.dumps(value, ensure_ascii=False, default=str)
        warnings.append(f"arguments are {json_type(value)} in JSON, not an object or string")
    return CallArgumentsDone(
        type_,
        data,
        message,
        call_id=call_id,
        name=name,
        name_source=source,
        arguments=arguments,
        raw_arguments=raw_arguments,
        warnings=tuple(warnings),
        response_id=_str(mirror.get("response_id")) or _str(data.get("response_id")),
    )
