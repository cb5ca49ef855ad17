"""What the engine reports: one ordered stream of typed, immutable, picklable events.

Everything the engine knows that a screen (or a headless run) shows arrives here, in the
order it happened, as instances of :class:`EngineEvent` subclasses. Events are frozen
dataclasses with slots: immutable (a GUI thread may read them while the engine thread goes
on), cheap to build, and picklable, so the same stream can cross a pipe when the engine
runs in another process (see :mod:`~navtalk_desktop.core.engine.host`).

Rules every event follows:

* it carries *values*, never engine-owned objects: a call arrives as a
  :class:`CallSnapshot`, new timeline rows as the :class:`TimelineEntry` tuples themselves,
  so a consumer in another thread or process can keep its own replica;
* it is complete in itself: a consumer that applies the events in order knows the
  connection state, the tools, the answer mode and every call without asking the engine;
* fields are immutable (tuples, frozen dataclasses, strings, numbers); JSON values the
  engine does not own (call arguments) travel as JSON text and are parsed on demand.

Room for media: :class:`MediaEvent` is the base of streams that the next wave adds (video
frames, audio buffers at 25-30 per second). Other packages subclass it (e.g. a
``core/media/events.py`` with ``VideoFrame(MediaEvent)``); consumers that do not know a
subclass ignore it (``match`` falls through), so adding media needs no change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.calls.book import CallState, CallStep, CallTimeline, FunctionCall
from navtalk_desktop.core.calls.dispatcher import DispatchMode, DispatchRecord, DispatchStatus
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.responders.chain import ChainResult
from navtalk_desktop.core.session.session import SessionState, StateChange
from navtalk_desktop.core.timeline.timeline import TimelineEntry
from navtalk_desktop.core.tools.definition import ToolDefinition

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AnswerModeChanged",
    "CallEvent",
    "CallOverdue",
    "CallReceived",
    "CallSnapshot",
    "CallUpdated",
    "CallView",
    "CommandFailed",
    "DispatchChanged",
    "DispatchMode",
    "DispatchSnapshot",
    "EngineEvent",
    "FramesAppended",
    "HostDied",
    "MediaEvent",
    "Notice",
    "NoticeLevel",
    "SessionReplaced",
    "StateChanged",
    "TimelineReset",
    "ToolsChanged",
    "TranscriptDelta",
    "TranscriptKind",
]


@dataclass(frozen=True, slots=True)
class EngineEvent:
    """Base of every event on the engine's stream (no fields of its own)."""


# ---------------------------------------------------------------------------- timeline
@dataclass(frozen=True, slots=True)
class FramesAppended(EngineEvent):
    """Rows ``first_row`` .. ``first_row + len(rows) - 1`` were appended to the timeline.

    Consecutive appends between two deliveries arrive as one event (the engine coalesces
    them), so a consumer inserts a whole batch at once.

    Attributes:
        first_row: timeline row of ``rows[0]`` (rows are dense: 0, 1, 2, …).
        rows: the new entries themselves (immutable named tuples), enough for a replica.
        fold_keys: per row, the key that folds runs of deltas into one logical entry
            (``None``: the row stands alone); parallel to ``rows``.
    """

    first_row: int
    rows: tuple[TimelineEntry, ...]
    fold_keys: tuple[str | None, ...]

    @property
    def last_row(self) -> int:
        """Row of the last entry (``first_row - 1`` when empty)."""
        return self.first_row + len(self.rows) - 1


@dataclass(frozen=True, slots=True)
class TimelineReset(EngineEvent):
    """The timeline was emptied (cleared, or replaced by an opened recording).

    Rows appended afterwards start again at 0; a replacement's rows follow as
    :class:`FramesAppended` right after this event.

    Attributes:
        reviewing: the new rows come from an opened recording (for review only: the next
            connect starts a new, empty timeline instead of appending to it).
        source: where the rows come from (a file name for recordings, else ``""``).
    """

    reviewing: bool = False
    source: str = ""


# ---------------------------------------------------------------------------- session
@dataclass(frozen=True, slots=True)
class StateChanged(EngineEvent):
    """The connection state changed (the session's :class:`StateChange`, unchanged).

    Attributes:
        change: the transition and why it happened.
        session_id: the server's session id of the current connection, once known.
    """

    change: StateChange
    session_id: str | None = None

    @property
    def state(self) -> SessionState:
        """The new state."""
        return self.change.state

    @property
    def message(self) -> str:
        """Readable explanation (license masked)."""
        return self.change.message


@dataclass(frozen=True, slots=True)
class SessionReplaced(EngineEvent):
    """A new session replaced the old one (new profile, opened file): calls, state and
    responses start fresh.

    Attributes:
        profile: the profile the new session connects with (simulator URL swapped in).
    """

    profile: ConnectionProfile


class TranscriptKind(StrEnum):
    """What a :class:`TranscriptDelta` says."""

    RESPONSE_STARTED = "started"
    """The avatar began a response (text empty)."""
    DELTA = "delta"
    """A fragment of the avatar's speech."""
    DONE = "done"
    """The full text of a user or avatar turn (typed user turns are not echoed)."""
    RESPONSE_FINISHED = "finished"
    """The response ended (text empty); also sent for every open response when the
    connection stops being live."""


@dataclass(frozen=True, slots=True)
class TranscriptDelta(EngineEvent):
    """A piece of the conversation, in the order the avatar and the user produced it.

    Attributes:
        kind: see :class:`TranscriptKind`.
        role: ``avatar`` or ``user`` (only ``done`` comes from the user).
        response_id: the response (or item) the text belongs to; may be empty.
        text: the fragment or the full text.
    """

    kind: TranscriptKind
    role: str
    response_id: str
    text: str


class NoticeLevel(StrEnum):
    """How much a :class:`Notice` matters."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notice(EngineEvent):
    """Something the user should read (the session goes on); license masked."""

    level: NoticeLevel
    text: str


@dataclass(frozen=True, slots=True)
class ToolsChanged(EngineEvent):
    """The tools registered on every (re)connect are now ``tools``."""

    tools: tuple[ToolDefinition, ...]


@dataclass(frozen=True, slots=True)
class AnswerModeChanged(EngineEvent):
    """The call desk's answer mode is now ``mode``."""

    mode: DispatchMode


@dataclass(frozen=True, slots=True)
class CommandFailed(EngineEvent):
    """A command could not be carried out.

    Attributes:
        command_id: :attr:`~navtalk_desktop.core.engine.commands.EngineCommand.command_id`.
        what: what was attempted, for the user ("Connect", "Answering the call").
        message: why it failed, readable, license masked.
    """

    command_id: int
    what: str
    message: str

    @property
    def text(self) -> str:
        """``"<what> failed: <message>"`` as shown to the user."""
        return f"{self.what} failed: {self.message}"


@dataclass(frozen=True, slots=True)
class HostDied(EngineEvent):
    """The engine's host stopped unexpectedly (thread crashed, child process died).

    The last event of a stream; commands sent afterwards are not carried out.
    """

    reason: str


# ---------------------------------------------------------------------------- calls
@dataclass(frozen=True, slots=True)
class DispatchSnapshot:
    """What the automatic-answer dispatcher did with a call, frozen at one moment.

    Attributes mirror :class:`~navtalk_desktop.core.calls.dispatcher.DispatchRecord`.
    """

    status: DispatchStatus
    draft: str | None = None
    output: str | None = None
    is_error: bool = False
    responder: str = ""
    duration_s: float | None = None
    messages: tuple[str, ...] = ()
    result: ChainResult | None = None

    @classmethod
    def of(cls, record: DispatchRecord) -> DispatchSnapshot:
        """A snapshot of ``record`` (engine thread)."""
        return cls(
            record.status,
            record.draft,
            record.output,
            record.is_error,
            record.responder,
            record.duration_s,
            tuple(record.messages),
            record.result,
        )


@dataclass(frozen=True, slots=True)
class CallSnapshot(CallTimeline):
    """A function call as the call desk, its cards and the detail pane show it.

    Attributes mirror :class:`~navtalk_desktop.core.calls.book.FunctionCall` (lists become
    tuples), plus what the desk needs from elsewhere:

    Attributes:
        arguments_json: the parsed arguments as canonical JSON text (``None`` when they
            could not be parsed); :attr:`arguments` parses a fresh copy.
        answer_deadline_s: the profile's answer deadline when the call arrived.
        session_id: the server's session id of the connection the call arrived on.
        dispatch: the dispatcher's record, or ``None`` (no dispatcher, or not yet seen).
    """

    key: str
    call_id: str
    name: str
    arguments_json: str | None
    raw_arguments: str
    warnings: tuple[str, ...]
    violations: tuple[str, ...]
    state: CallState
    overdue: bool
    steps: tuple[CallStep, ...]
    responder: str | None
    output: str | None
    is_error: bool
    frames_sent: tuple[str, ...]
    model_resume_latency_s: float | None
    response_id: str | None
    connection: int
    timeline_row: int | None
    duplicate_of: str | None
    argument_error: str | None
    answer_deadline_s: float | None = None
    session_id: str | None = None
    dispatch: DispatchSnapshot | None = None

    @classmethod
    def of(
        cls,
        call: FunctionCall,
        *,
        dispatch: DispatchRecord | None = None,
        answer_deadline_s: float | None = None,
        session_id: str | None = None,
    ) -> CallSnapshot:
        """A snapshot of ``call`` (on the thread that owns it)."""
        return cls(
            key=call.key,
            call_id=call.call_id,
            name=call.name,
            arguments_json=None if call.arguments is None else json.dumps(call.arguments),
            raw_arguments=call.raw_arguments,
            warnings=tuple(call.warnings),
            violations=tuple(call.violations),
            state=call.state,
            overdue=call.overdue,
            steps=tuple(call.steps),
            responder=call.responder,
            output=call.output,
            is_error=call.is_error,
            frames_sent=tuple(call.frames_sent),
            model_resume_latency_s=call.model_resume_latency_s,
            response_id=call.response_id,
            connection=call.connection,
            timeline_row=call.timeline_row,
            duplicate_of=call.duplicate_of,
            argument_error=call.argument_error,
            answer_deadline_s=answer_deadline_s,
            session_id=session_id,
            dispatch=None if dispatch is None else DispatchSnapshot.of(dispatch),
        )

    @property
    def arguments(self) -> dict[str, Any] | None:
        """A fresh copy of the parsed arguments (``None`` when they could not be parsed)."""
        if self.arguments_json is None:
            return None
        value: dict[str, Any] = json.loads(self.arguments_json)
        return value


@dataclass(frozen=True, slots=True)
class CallEvent(EngineEvent):
    """Base of the events about one call; ``call`` is its state right after the change."""

    call: CallSnapshot

    @property
    def key(self) -> str:
        """The call's key."""
        return self.call.key


@dataclass(frozen=True, slots=True)
class CallReceived(CallEvent):
    """A function call arrived (already validated)."""


@dataclass(frozen=True, slots=True)
class CallUpdated(CallEvent):
    """A call changed state, got an answer or its model-resume latency."""


@dataclass(frozen=True, slots=True)
class CallOverdue(CallEvent):
    """A call passed its answer deadline unanswered (a fallback may answer it now)."""


@dataclass(frozen=True, slots=True)
class DispatchChanged(CallEvent):
    """The dispatcher's record of a call changed (draft ready, waiting for a person…)."""


CallView = FunctionCall | CallSnapshot
"""What a screen reads about a call: a snapshot from the stream, or a call rebuilt from
recorded frames (both have the same read-only attributes)."""


# ---------------------------------------------------------------------------- media
@dataclass(frozen=True, slots=True)
class MediaEvent(EngineEvent):
    """Base of media streams on the same stream (video frames, audio buffers).

    Subclasses live with the media code (e.g. ``core/media``) and add their payload.
    Media events are many (25-30 a second per stream) and large: a consumer that only
    needs the latest frame may skip all but the last of a batch (see :func:`latest_media`).

    Attributes:
        stream: which stream the payload belongs to (e.g. ``"avatar-video"``).
        pts_s: presentation time in seconds on the stream's own clock.
    """

    stream: str
    pts_s: float


def latest_media(batch: Sequence[EngineEvent]) -> dict[str, MediaEvent]:
    """The last media event of each stream in ``batch`` (for consumers that drop stale frames)."""
    latest: dict[str, MediaEvent] = {}
    for event in batch:
        if isinstance(event, MediaEvent):
            latest[event.stream] = event
    return latest
