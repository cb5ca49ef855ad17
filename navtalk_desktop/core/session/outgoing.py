"""Frames this app sends to NavTalk: configuration, tool registration, user turns, results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.profile import ResultStyle


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class OutgoingFrame:
    """A frame to send, with what the timeline needs to know about it.

    Attributes:
        text: exact JSON text.
        type: its ``type``.
        summary: short description.
    """

    text: str
    type: str
    summary: str = ""


def input_config(voice: str, prompt: str, tools: Sequence[dict[str, Any]] | None) -> OutgoingFrame:
    """``realtime.input_config`` with ``data.content`` as a JSON *string* (as documented)."""
    content: dict[str, Any] = {}
    if voice:
        content["voice"] = voice
    if prompt:
        content["prompt"] = prompt
    if tools is not None:
        content["tools"] = list(tools)
    summary = ", ".join(
        part
        for part in (
            f"voice {voice}" if voice else "",
            f"{len(tools)} tools" if tools is not None else "",
        )
        if part
    )
    return OutgoingFrame(
        _dumps({"type": "realtime.input_config", "data": {"content": _dumps(content)}}),
        "realtime.input_config",
        summary or "session config",
    )


def input_function_call(tools: Sequence[dict[str, Any]]) -> OutgoingFrame:
    """``realtime.input_function_call`` with the tools array as a JSON string."""
    names = ", ".join(str(t.get("name", "?")) for t in tools)
    return OutgoingFrame(
        _dumps({"type": "realtime.input_function_call", "data": {"content": _dumps(list(tools))}}),
        "realtime.input_function_call",
        f"{len(tools)} tools: {names}",
    )


def user_message(texts: Sequence[str]) -> OutgoingFrame:
    """``conversation.item.create`` with a user message of ``input_text`` parts (flat envelope)."""
    item = {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text} for text in texts],
    }
    return OutgoingFrame(
        _dumps({"type": "conversation.item.create", "item": item}),
        "conversation.item.create",
        " / ".join(texts),
    )


def raw_frame(text: str) -> OutgoingFrame:
    """One raw frame exactly as typed (the Frame Composer); its ``type`` from the JSON.

    Raises:
        ValueError: the text is not a JSON object.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"the frame is not JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise ValueError("a frame must be a JSON object")
    kind = value.get("type")
    return OutgoingFrame(
        text, kind if isinstance(kind, str) and kind else "?", "sent from the Frame Composer"
    )


def response_create() -> OutgoingFrame:
    """``response.create``: ask the model to respond now."""
    return OutgoingFrame(
        _dumps({"type": "response.create"}), "response.create", "request a response"
    )


def output_text(output: str | dict[str, Any] | list[Any]) -> str:
    """Outputs are strings; objects and arrays are serialised as JSON."""
    return output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)


def function_result(style: ResultStyle, call_id: str, output: str) -> list[OutgoingFrame]:
    """The frames that return ``output`` for ``call_id`` in ``style``.

    Args:
        style: one of the three documented variants.
        call_id: the call being answered.
        output: the output string.

    Returns:
        One or two frames, to send in order.
    """
    summary = output if len(output) <= 200 else output[:199] + "…"
    if style is ResultStyle.CONVERSATION_ITEM:
        item = {"type": "function_call_output", "call_id": call_id, "output": output}
        first = OutgoingFrame(
            _dumps({"type": "conversation.item.create", "item": item}),
            "conversation.item.create",
            summary,
        )
        return [first, response_create()]
    data: dict[str, Any] = {"call_id": call_id, "output": output}
    if style is ResultStyle.FUNCTION_CALL_OUTPUT_REPLY:
        data["reply"] = 1
    first = OutgoingFrame(
        _dumps({"type": "realtime.function_call_output", "data": data}),
        "realtime.function_call_output",
        summary,
    )
    if style is ResultStyle.FUNCTION_CALL_OUTPUT_REPLY:
        return [first]
    return [first, response_create()]
