"""What a client frame means to the replay: tools registered, a user turn, a call's output."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from navtalk_desktop.core.profile import ResultStyle


@dataclass(frozen=True, slots=True)
class Registration:
    """Tools registered (``realtime.input_function_call`` or ``input_config``'s tools)."""

    tools: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UserTurn:
    """A typed user message."""

    text: str


@dataclass(frozen=True, slots=True)
class CallOutput:
    """A function call's result.

    Attributes:
        call_id: the call it answers.
        output: the output text.
        style: how it was sent.
    """

    call_id: str
    output: str
    style: ResultStyle


ClientEvent = Registration | UserTurn | CallOutput


def classify(raw: str | bytes) -> ClientEvent | None:
    """What a client frame does that the replay waits for or compares (``None``: nothing)."""
    if isinstance(raw, bytes):
        return None
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(frame, dict):
        return None
    kind = frame.get("type")
    found = frame.get("data")
    data: dict[str, Any] = found if isinstance(found, dict) else {}
    if kind == "realtime.input_function_call":
        return Registration(_tool_names(_content(data)))
    if kind == "realtime.input_config":
        config = _content(data)
        if isinstance(config, dict) and config.get("tools"):
            return Registration(_tool_names(config["tools"]))
        return None
    if kind == "realtime.function_call_output":
        style = (
            ResultStyle.FUNCTION_CALL_OUTPUT_REPLY
            if data.get("reply") in (1, True)
            else ResultStyle.FUNCTION_CALL_OUTPUT
        )
        return CallOutput(str(data.get("call_id", "")), _text(data.get("output")), style)
    if kind == "conversation.item.create" and isinstance(frame.get("item"), dict):
        item = frame["item"]
        if item.get("type") == "function_call_output":
            return CallOutput(
                str(item.get("call_id", "")),
                _text(item.get("output")),
                ResultStyle.CONVERSATION_ITEM,
            )
        if item.get("type") == "message" and item.get("role") == "user":
            parts = item.get("content") if isinstance(item.get("content"), list) else []
            texts = [str(p.get("text", "")) for p in parts if isinstance(p, dict)]
            return UserTurn("\n".join(texts))
    return None


def _content(data: dict[str, Any]) -> Any:
    content = data.get("content")
    if isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            return None
    return content


def _tool_names(tools: Any) -> tuple[str, ...]:
    if not isinstance(tools, list):
        return ()
    names = []
    for tool in tools:
        if isinstance(tool, dict):
            name = tool.get("name") or (tool.get("function") or {}).get("name")
            if isinstance(name, str):
                names.append(name)
    return tuple(names)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
