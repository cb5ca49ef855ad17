"""What the engine is asked to do: frozen, picklable commands, each with its own id.

A command is sent from any thread (or another process) and carried out on the engine's
loop, in the order sent. It never returns a value: what it changes arrives on the event
stream (:mod:`~navtalk_desktop.core.engine.events`), and when it cannot be carried out a
:class:`~navtalk_desktop.core.engine.events.CommandFailed` with the command's
:attr:`EngineCommand.command_id` says why.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from navtalk_desktop.core.calls.dispatcher import DispatchMode
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolSet

__all__ = [
    "AnswerCall",
    "ApproveDraft",
    "ClearTimeline",
    "Connect",
    "Disconnect",
    "EngineCommand",
    "OpenRecording",
    "RejectDraft",
    "ReplaceTimeline",
    "RequestMediaStats",
    "RunResponders",
    "SendFrame",
    "SendText",
    "SetAnswerMode",
    "SetProfile",
    "SetSessionLicense",
    "SetSimulatorUrl",
    "SetToolSet",
    "SetTools",
    "Shutdown",
]

# Ids are unique within a process; a process host keeps the sender's id as it is.
_ids = itertools.count(1)


def _next_id() -> int:
    return next(_ids)


@dataclass(frozen=True, slots=True)
class EngineCommand:
    """Base of every command.

    Attributes:
        command_id: unique id, echoed by ``CommandFailed`` (given automatically).
    """

    command_id: int = field(default_factory=_next_id, kw_only=True, compare=False)

    @property
    def what(self) -> str:
        """What the command does, for "<what> failed: …" messages."""
        return type(self).__name__


# ---------------------------------------------------------------------------- connection
@dataclass(frozen=True, slots=True)
class Connect(EngineCommand):
    """Open the connection (progress arrives as ``StateChanged``)."""

    @property
    def what(self) -> str:
        return "Connect"


@dataclass(frozen=True, slots=True)
class Disconnect(EngineCommand):
    """Close the connection; open calls become abandoned."""

    @property
    def what(self) -> str:
        return "Disconnect"


@dataclass(frozen=True, slots=True)
class SendText(EngineCommand):
    """Send a typed user turn (surrounding white space removed; empty text is ignored)."""

    text: str

    @property
    def what(self) -> str:
        return "Sending the message"


@dataclass(frozen=True, slots=True)
class SendFrame(EngineCommand):
    """Send one raw frame exactly as given (the Frame Composer checked it first).

    The text must be a JSON object; it goes out unchanged and is appended to the timeline.
    """

    text: str

    @property
    def what(self) -> str:
        return "Sending the frame"


@dataclass(frozen=True, slots=True)
class SetProfile(EngineCommand):
    """Use ``profile``: an idle session is replaced at once, a live one on the next connect."""

    profile: ConnectionProfile

    @property
    def what(self) -> str:
        return "Changing the profile"


@dataclass(frozen=True, slots=True)
class SetSimulatorUrl(EngineCommand):
    """The in-process simulator listens at ``url`` (None: there is none)."""

    url: str | None

    @property
    def what(self) -> str:
        return "Using the simulator"


@dataclass(frozen=True, slots=True)
class SetSessionLicense(EngineCommand):
    """Use ``value`` as ``profile_name``'s license for this run only (None forgets it)."""

    profile_name: str
    value: str | None = field(repr=False)

    @property
    def what(self) -> str:
        return "Keeping the license"


# ---------------------------------------------------------------------------- calls
@dataclass(frozen=True, slots=True)
class AnswerCall(EngineCommand):
    """Answer a call by hand (``call``: its key or call id) with the profile's result style.

    With a dispatcher, a chain's waiting manual step receives the answer.

    Attributes:
        output: text, or a JSON object/array (serialised by the engine).
    """

    call: str
    output: str | dict[str, Any] | list[Any]
    is_error: bool = False

    @property
    def what(self) -> str:
        return "Answering the call"


@dataclass(frozen=True, slots=True)
class ApproveDraft(EngineCommand):
    """Send a call's drafted answer, optionally edited (approve mode)."""

    key: str
    output: str | dict[str, Any] | None = None

    @property
    def what(self) -> str:
        return "Approving the answer"


@dataclass(frozen=True, slots=True)
class RejectDraft(EngineCommand):
    """Discard a call's draft; the call waits for a manual answer."""

    key: str

    @property
    def what(self) -> str:
        return "Rejecting the draft"


@dataclass(frozen=True, slots=True)
class RunResponders(EngineCommand):
    """Run the call's responder chain now (e.g. for a call waiting in manual mode)."""

    key: str

    @property
    def what(self) -> str:
        return "Running the responders"


@dataclass(frozen=True, slots=True)
class SetAnswerMode(EngineCommand):
    """Switch between manual answering, automatic answering and approving drafts."""

    mode: DispatchMode

    @property
    def what(self) -> str:
        return "Changing the answer mode"


# ---------------------------------------------------------------------------- tools
@dataclass(frozen=True, slots=True)
class SetTools(EngineCommand):
    """Replace the tools registered on every (re)connect (next registration)."""

    tools: tuple[ToolDefinition, ...]

    @property
    def what(self) -> str:
        return "Changing the tools"


@dataclass(frozen=True, slots=True)
class SetToolSet(EngineCommand):
    """Use ``toolset``: its enabled tools are registered, its chains answer new calls."""

    toolset: ToolSet

    @property
    def what(self) -> str:
        return "Changing the tool set"


# ---------------------------------------------------------------------------- timeline
@dataclass(frozen=True, slots=True)
class ClearTimeline(EngineCommand):
    """Empty the timeline (``TimelineReset`` follows)."""

    @property
    def what(self) -> str:
        return "Clearing the timeline"


@dataclass(frozen=True, slots=True)
class OpenRecording(EngineCommand):
    """Show a saved session instead of the current frames (only while disconnected).

    Attributes:
        records: the recording's entry records, as parsed by
            :func:`~navtalk_desktop.core.timeline.recording.parse_recording`.
        source: the file name (shown, and reported back in ``TimelineReset``).
    """

    records: tuple[dict[str, Any], ...] = field(repr=False)
    source: str = ""

    @property
    def what(self) -> str:
        return "Opening the recording"


@dataclass(frozen=True, slots=True)
class ReplaceTimeline(EngineCommand):
    """Show an already opened recording's timeline (in-process hosts only: a timeline is
    not picklable; a process host sends :class:`OpenRecording` instead).

    Attributes:
        timeline: a :class:`~navtalk_desktop.core.timeline.timeline.Timeline` nobody
            writes to any more (typed loosely to keep commands free of the store).
        source: the file name.
    """

    timeline: Any = field(repr=False)
    source: str = ""

    @property
    def what(self) -> str:
        return "Opening the recording"


# ---------------------------------------------------------------------------- media
@dataclass(frozen=True, slots=True)
class RequestMediaStats(EngineCommand):
    """Measure the avatar's media connection (a ``MediaStats`` or ``MediaError`` follows)."""

    @property
    def what(self) -> str:
        return "Measuring the media connection"


# ---------------------------------------------------------------------------- lifetime
@dataclass(frozen=True, slots=True)
class Shutdown(EngineCommand):
    """Stop the dispatcher and disconnect; the last command a host sends."""

    @property
    def what(self) -> str:
        return "Shutting down"
