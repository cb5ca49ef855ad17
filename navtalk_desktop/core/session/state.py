"""What a session reports and how it fails: states, state changes, listeners, errors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from navtalk_desktop.core.calls.book import FunctionCall
from navtalk_desktop.core.session.reconnect import EndKind

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
class SessionEnd:
    """How a connection ended (kind, readable message, the event that ended it)."""

    kind: EndKind
    message: str
    event_type: str | None
