"""Checking a raw frame against the known client message shapes before it is sent.

A frame that is not JSON is never sent. A frame whose ``type`` is unknown, or that breaks
its message's shape, may still be sent, but only after the user agreed: the composer
asks (:attr:`FrameCheck.needs_confirmation`) and never sends such a frame silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.composer.shapes import SHAPES_BY_TYPE, ClientShape

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

# A frame is one WebSocket message: the composer refuses more than this (1 MiB).
MAX_FRAME_CHARS = 1 << 20


class Verdict(StrEnum):
    """What the composer does with a frame."""

    OK = "ok"
    """A known message in its documented shape: sent at once."""
    UNKNOWN_TYPE = "unknown_type"
    """Valid JSON with a ``type`` the protocol does not list: sent only if the user agrees."""
    INVALID = "invalid"
    """A known ``type`` with the wrong shape: sent only if the user agrees."""
    NOT_SENDABLE = "not_sendable"
    """Not JSON, empty, not an object, or too large: never sent."""


@dataclass(frozen=True, slots=True)
class FrameCheck:
    """The verdict on one frame, with readable problems.

    Attributes:
        verdict: what to do with it.
        type: its ``type`` when it has one.
        problems: one line each, ``<JSON path>: <message>`` where there is a path.
        text: the exact text to send (compact JSON), when it is sendable at all.
    """

    verdict: Verdict
    type: str | None = None
    problems: tuple[str, ...] = ()
    text: str = field(default="", repr=False)

    @property
    def sendable(self) -> bool:
        """Whether the frame can be sent (maybe after confirmation)."""
        return self.verdict is not Verdict.NOT_SENDABLE

    @property
    def needs_confirmation(self) -> bool:
        """Whether sending it needs the user's explicit agreement."""
        return self.verdict in (Verdict.UNKNOWN_TYPE, Verdict.INVALID)

    def summary(self) -> str:
        """One line for the status under the editor."""
        if self.verdict is Verdict.OK:
            return f"✓ {self.type}: matches the documented shape"
        if self.verdict is Verdict.UNKNOWN_TYPE:
            return (
                f"⚠ “{self.type}” is not a client message NavTalk documents; "
                "Send asks before sending it"
            )
        first = self.problems[0] if self.problems else ""
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        if self.verdict is Verdict.INVALID:
            what = f"{self.type}: " if self.type else ""
            return f"⚠ {what}{first}{more}; Send asks before sending it"
        return f"✗ {first}{more}"


@lru_cache(maxsize=64)
def _validator(frame_type: str) -> Validator:
    import jsonschema  # ~50 ms of imports: loaded with the first check, not at start-up

    return jsonschema.Draft202012Validator(SHAPES_BY_TYPE[frame_type].schema)


def check_frame(text: str) -> FrameCheck:
    """Check ``text`` (one frame) against the known client messages."""
    if not text.strip():
        return FrameCheck(Verdict.NOT_SENDABLE, problems=("The frame is empty.",))
    if len(text) > MAX_FRAME_CHARS:
        return FrameCheck(
            Verdict.NOT_SENDABLE,
            problems=(f"The frame is {len(text):,} characters; at most {MAX_FRAME_CHARS:,}.",),
        )
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        return FrameCheck(Verdict.NOT_SENDABLE, problems=(f"Not JSON ({where}): {error.msg}",))
    if not isinstance(value, dict):
        return FrameCheck(
            Verdict.NOT_SENDABLE, problems=("A frame must be a JSON object with a “type”.",)
        )
    compact = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    frame_type = value.get("type")
    if not isinstance(frame_type, str) or not frame_type:
        return FrameCheck(
            Verdict.INVALID,
            problems=("$.type: every NavTalk message has a string “type”",),
            text=compact,
        )
    shape = SHAPES_BY_TYPE.get(frame_type)
    if shape is None:
        return FrameCheck(Verdict.UNKNOWN_TYPE, frame_type, text=compact)
    problems = _violations(shape, value)
    verdict = Verdict.INVALID if problems else Verdict.OK
    return FrameCheck(verdict, frame_type, tuple(problems), compact)


def _violations(shape: ClientShape, value: dict[str, Any]) -> list[str]:
    errors = sorted(_validator(shape.type).iter_errors(value), key=lambda e: e.json_path)
    problems = [f"{error.json_path}: {_message(error)}" for error in errors]
    if problems or shape.content is None:
        return problems
    # data.content is JSON inside a string (reference §2 #1, #2).
    content = value["data"]["content"]
    try:
        decoded = json.loads(content)
    except json.JSONDecodeError as error:
        return [f"$.data.content: the string is not JSON ({error.msg}, column {error.colno})"]
    wanted = dict if shape.content == "object" else list
    if not isinstance(decoded, wanted):
        return [f"$.data.content: must be a JSON string of an {shape.content}"]
    return []


def _message(error: Any) -> str:
    # oneOf failures say "… is not valid under any of the given schemas": name the choices.
    if error.validator == "oneOf":
        return "is neither a user message nor a function_call_output item"
    message: str = error.message
    return message if len(message) <= 160 else message[:159] + "…"
