"""The client → server messages of NavTalk v2 (protocol reference §2), as JSON Schemas.

Each shape has the JSON Schema its frame must match and an example frame (the composer's
built-in snippets). Some messages carry JSON *inside a string* (``data.content`` of
``realtime.input_config`` and ``realtime.input_function_call``): :attr:`ClientShape.content`
says what that string must decode to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

ContentKind = Literal["object", "array"]


@dataclass(frozen=True, slots=True)
class ClientShape:
    """One known client message.

    Attributes:
        type: its ``type``.
        title: what it does, in a few words.
        schema: the JSON Schema the whole frame must match.
        example: a frame that matches (offered as a built-in snippet).
        content: what ``data.content`` (a JSON string) must decode to, if anything.
    """

    type: str
    title: str
    schema: dict[str, Any]
    example: dict[str, Any]
    content: ContentKind | None = None

    def example_text(self) -> str:
        """The example, indented for the editor."""
        return json.dumps(self.example, indent=2, ensure_ascii=False)


def _native(type_: str, data: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """Schema of a NavTalk-native ``{"type": …, "data": {…}}`` frame."""
    return {
        "type": "object",
        "required": ["type", "data"],
        "properties": {
            "type": {"const": type_},
            "data": {"type": "object", "required": required, "properties": data},
        },
    }


_STRING = {"type": "string"}
_NON_EMPTY = {"type": "string", "minLength": 1}
_SDP = {
    "type": "object",
    "required": ["type", "sdp"],
    "properties": {"type": _STRING, "sdp": _STRING},
}
_TOOLS_EXAMPLE = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]
_USER_TEXT_ITEM = {
    "type": "object",
    "required": ["type", "role", "content"],
    "properties": {
        "type": {"const": "message"},
        "role": {"enum": ["user", "assistant", "system"]},
        "content": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["type", "text"],
                "properties": {"type": {"enum": ["input_text", "text"]}, "text": _STRING},
            },
        },
    },
}
_FUNCTION_OUTPUT_ITEM = {
    "type": "object",
    "required": ["type", "call_id", "output"],
    "properties": {
        "type": {"const": "function_call_output"},
        "call_id": _NON_EMPTY,
        "output": _STRING,
    },
}

SHAPES: tuple[ClientShape, ...] = (
    ClientShape(
        "realtime.input_config",
        "Session configuration (voice, prompt, tools)",
        _native("realtime.input_config", {"content": _STRING}, ["content"]),
        {
            "type": "realtime.input_config",
            "data": {"content": json.dumps({"voice": "marin", "prompt": "Be brief."})},
        },
        content="object",
    ),
    ClientShape(
        "realtime.input_function_call",
        "Register tools",
        _native("realtime.input_function_call", {"content": _STRING}, ["content"]),
        {
            "type": "realtime.input_function_call",
            "data": {"content": json.dumps(_TOOLS_EXAMPLE)},
        },
        content="array",
    ),
    ClientShape(
        "conversation.item.create",
        "A user message, or a function result",
        {
            "type": "object",
            "required": ["type", "item"],
            "properties": {
                "type": {"const": "conversation.item.create"},
                "item": {"oneOf": [_USER_TEXT_ITEM, _FUNCTION_OUTPUT_ITEM]},
            },
        },
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "What's the weather in Beijing?"}],
            },
        },
    ),
    ClientShape(
        "response.create",
        "Ask the avatar to answer now",
        {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"const": "response.create"}},
        },
        {"type": "response.create"},
    ),
    ClientShape(
        "realtime.function_call_output",
        "A function result (reply: 1 answers at once)",
        _native(
            "realtime.function_call_output",
            {"call_id": _NON_EMPTY, "output": _STRING, "reply": {"enum": [0, 1]}},
            ["call_id", "output"],
        ),
        {
            "type": "realtime.function_call_output",
            "data": {"call_id": "call_…", "output": "Sunny, 25 °C", "reply": 1},
        },
    ),
    ClientShape(
        "realtime.input_audio_buffer.append",
        "Microphone audio (base64 PCM16, 24 kHz mono)",
        _native(
            "realtime.input_audio_buffer.append",
            {"audio": {"type": "string", "contentEncoding": "base64"}},
            ["audio"],
        ),
        {"type": "realtime.input_audio_buffer.append", "data": {"audio": "AAAA"}},
    ),
    ClientShape(
        "realtime.input_image",
        "A camera image (reply: 1 asks for an answer)",
        _native(
            "realtime.input_image",
            {"content": {"type": "string", "pattern": "^data:image/"}, "reply": {"enum": [0, 1]}},
            ["content"],
        ),
        {
            "type": "realtime.input_image",
            "data": {"content": "data:image/jpeg;base64,/9j/", "reply": 0},
        },
    ),
    ClientShape(
        "webrtc.signaling.answer",
        "WebRTC answer to the server's offer",
        _native("webrtc.signaling.answer", {"sdp": _SDP}, ["sdp"]),
        {"type": "webrtc.signaling.answer", "data": {"sdp": {"type": "answer", "sdp": "v=0"}}},
    ),
    ClientShape(
        "webrtc.signaling.offer",
        "WebRTC renegotiation offer",
        _native("webrtc.signaling.offer", {"sdp": _SDP}, ["sdp"]),
        {"type": "webrtc.signaling.offer", "data": {"sdp": {"type": "offer", "sdp": "v=0"}}},
    ),
    ClientShape(
        "webrtc.signaling.iceCandidate",
        "A trickled ICE candidate",
        _native(
            "webrtc.signaling.iceCandidate",
            {"candidate": {"type": "object", "required": ["candidate"]}},
            ["candidate"],
        ),
        {
            "type": "webrtc.signaling.iceCandidate",
            "data": {"candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}},
        },
    ),
    ClientShape(
        "session.update",
        "Legacy OpenAI session update (flat, no data wrapper)",
        {
            "type": "object",
            "required": ["type", "session"],
            "properties": {"type": {"const": "session.update"}, "session": {"type": "object"}},
        },
        {"type": "session.update", "session": {"instructions": "Be brief.", "voice": "marin"}},
    ),
)

SHAPES_BY_TYPE: dict[str, ClientShape] = {shape.type: shape for shape in SHAPES}
