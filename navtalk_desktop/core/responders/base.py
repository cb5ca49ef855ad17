"""What every responder sees and returns: the call request, an answer or a pass, or an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from navtalk_desktop.core.json_value import JsonValue
from navtalk_desktop.core.responders.config import ResponderKind


@dataclass(frozen=True, slots=True)
class CallRequest:
    """One function call, as responders see it.

    Attributes:
        call_id: the server's ``call_id`` (``test_…`` for fire-test calls).
        name: function name.
        arguments: parsed arguments, or ``None`` when they could not be parsed.
        raw_arguments: the arguments exactly as received.
        variables: the tool set's variables (``vars`` in templates).
        is_test: a synthetic call from "fire test call".
        key: the call's unique key in its session (differs from ``call_id`` when the
            server repeated an id or sent none); ``""`` means same as ``call_id``.
    """

    call_id: str
    name: str
    arguments: Mapping[str, Any] | None
    raw_arguments: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)
    is_test: bool = False
    key: str = ""

    @property
    def call_key(self) -> str:
        """The unique key (``key``, else ``call_id``)."""
        return self.key or self.call_id


@dataclass(frozen=True, slots=True)
class Answer:
    """A responder's answer.

    Attributes:
        output: text or any JSON value (serialised before sending).
        is_error: the output reports a failure (``Error: …``).
        note: extra detail for the call desk (which rule matched…), never sent.
    """

    output: JsonValue
    is_error: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Pass:
    """The responder declines; the chain moves on. ``reason`` is shown on the call."""

    reason: str


class ResponderError(Exception):
    """A responder failed (template error, HTTP 500, script crash, untrusted script…).

    The message is written for the person at the call desk and is what the seed's pattern
    sends after ``Error: ``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Responder(Protocol):
    """Something that can answer a call (or pass)."""

    @property
    def kind(self) -> ResponderKind:
        """Which responder type this is."""
        ...

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """Answer or pass. Raises :class:`ResponderError` on failure."""
        ...
