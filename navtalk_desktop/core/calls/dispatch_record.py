"""What the dispatcher records about each call: modes, statuses, records and their listener."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from navtalk_desktop.core.responders.chain import ChainResult


class DispatchMode(StrEnum):
    """How the call desk answers calls."""

    MANUAL = "manual"
    AUTO = "auto"
    APPROVE = "approve"


class DispatchStatus(StrEnum):
    """Where a call is, from the dispatcher's point of view."""

    RUNNING = "running"
    """Responders are working on it."""
    WAITING = "waiting"
    """Waiting for a person (manual step, manual mode, or nothing answered)."""
    DRAFT = "draft"
    """An automatic answer waits for approval."""
    SENDING = "sending"
    """The answer is being sent."""
    ANSWERED = "answered"
    """Output sent."""
    SILENT = "silent"
    """Nothing sent on purpose (error policy ``silent``) or nothing could be sent."""
    CLOSED = "closed"
    """The call ended without us (answered elsewhere, abandoned)."""


@dataclass(slots=True)
class DispatchRecord:
    """What the dispatcher did with one call.

    Attributes:
        key: the call's key in the session's call book.
        call_id: the server's call id.
        name: function name.
        status: current status.
        result: the chain's result, once it ran.
        draft: output waiting for approval (``DRAFT`` only).
        output: the output sent.
        is_error: the output reports a failure.
        responder: who produced the output (``webhook``, ``manual``…).
        duration_s: time the responders took to produce the output.
        messages: clear messages about the call (failures, fallbacks, why nothing was sent).
    """

    key: str
    call_id: str
    name: str
    status: DispatchStatus = DispatchStatus.RUNNING
    result: ChainResult | None = None
    draft: str | None = None
    output: str | None = None
    is_error: bool = False
    responder: str = ""
    duration_s: float | None = None
    messages: list[str] = field(default_factory=list)


class DispatcherListener(Protocol):
    """Receives every change of a :class:`DispatchRecord`."""

    def dispatch_changed(self, record: DispatchRecord) -> None:
        """``record`` changed (status, draft, messages…)."""
