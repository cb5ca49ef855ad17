"""Parsing server frames and encoding client messages (no sockets)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navtalk_desktop.core.ports import TransportClosed
from navtalk_desktop.core.profile import ConnectionProfile, ResultStyle
from navtalk_desktop.core.session import outgoing, protocol
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.session.session import Session, SessionState
from navtalk_desktop.core.timeline.timeline import Direction, Timeline


def test_connection_success_with_ice_servers() -> None:
    event = protocol.parse_frame(
        '{"type":"conversation.connected.success","data":{"sessionId":"s1","iceServers":[{"urls":["stun:x"]}]}}'
    )
    assert isinstance(event, protocol.ConnectionEvent)
    assert event.status == "success"
    assert event.session_id == "s1"
    assert event.ice_servers == ({"urls": ["stun:x"]},)


@pytest.mark.parametrize(
    "frame",
    [
        '{"type":"conversation.connected.fail","message":"Invalid license key"}',
        '{"type":"conversation.connected.fail","data":{"message":"Invalid license key"}}',
    ],
)
def test_connection_message_top_level_or_in_data(frame: str) -> None:
    event = protocol.parse_frame(frame)
    assert isinstance(event, protocol.ConnectionEvent)
    assert event.message == "Invalid license key"
    assert event.summary() == "fail: Invalid license key"


def test_transcripts_v2_and_v1_names() -> None:
    v2 = protocol.parse_frame(
        '{"type":"realtime.response.audio_transcript.delta","data":{"id":"r1","content":"Hi"}}'
    )
    v1 = protocol.parse_frame(
        '{"type":"response.audio_transcript.delta","response_id":"r2","delta":"Yo"}'
    )
    done = protocol.parse_frame(
        '{"type":"realtime.response.audio_transcript.done","data":{"transcript":"Hi all"}}'
    )
    user = protocol.parse_frame(
        '{"type":"realtime.conversation.item.input_audio_transcription.completed","data":{"content":"hello"}}'
    )
    assert isinstance(v2, protocol.TranscriptFrame)
    assert (v2.text, v2.response_id, v2.final) == ("Hi", "r1", False)
    assert isinstance(v1, protocol.TranscriptFrame)
    assert (v1.text, v1.response_id) == ("Yo", "r2")
    assert v1.kind == protocol.TRANSCRIPT_DELTA
    assert isinstance(done, protocol.TranscriptFrame)
    assert done.final
    assert done.text == "Hi all"
    assert isinstance(user, protocol.TranscriptFrame)
    assert user.role == "user"
    assert user.text == "hello"


def test_call_name_resolution_order() -> None:
    both = protocol.parse_frame(
        '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"a","name":"b",'
        '"call_id":"c1","arguments":"{}"},"raw_data":{"name":"c"}}'
    )
    data_name = protocol.parse_frame(
        '{"type":"realtime.response.function_call_arguments.done","data":{"name":"b","call_id":"c1","arguments":{}},'
        '"raw_data":{"name":"c"}}'
    )
    raw_only = protocol.parse_frame(
        '{"type":"realtime.response.function_call_arguments.done","data":{},'
        '"raw_data":{"name":"c","call_id":"c9","arguments":"{\\"x\\":1}","response_id":"resp_9"}}'
    )
    flat_v1 = protocol.parse_frame(
        '{"type":"response.function_call_arguments.done","name":"d","call_id":"c2","arguments":"{\\"q\\":true}"}'
    )
    assert isinstance(both, protocol.CallArgumentsDone)
    assert (both.name, both.name_source) == ("a", "data.function_name")
    assert isinstance(data_name, protocol.CallArgumentsDone)
    assert data_name.name == "b"
    assert isinstance(raw_only, protocol.CallArgumentsDone)
    assert (raw_only.name, raw_only.call_id, raw_only.arguments) == ("c", "c9", {"x": 1})
    assert raw_only.response_id == "resp_9"
    assert raw_only.warnings == ()
    assert isinstance(flat_v1, protocol.CallArgumentsDone)
    assert (flat_v1.name, flat_v1.arguments) == ("d", {"q": True})


@pytest.mark.parametrize(
    ("arguments", "warning"),
    [
        ('"{\\"a\\":"', "not valid JSON"),
        ('"[1,2]"', "JSON list, not an object"),
        ("[1,2]", "a list in JSON, not an object or string"),
        ("null", "null in JSON, not an object or string"),
        ("7", "a number in JSON, not an object or string"),
    ],
)
def test_bad_arguments_become_warnings(arguments: str, warning: str) -> None:
    event = protocol.parse_frame(
        '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"f","call_id":"c",'
        f'"arguments":{arguments}}}}}'
    )
    assert isinstance(event, protocol.CallArgumentsDone)
    assert event.arguments is None
    assert any(warning in w for w in event.warnings), event.warnings


def test_empty_string_arguments_mean_no_arguments() -> None:
    event = protocol.parse_frame(
        '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"f","call_id":"c","arguments":""}}'
    )
    assert isinstance(event, protocol.CallArgumentsDone)
    assert event.arguments == {}
    assert event.warnings == ()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("{oops", "not valid JSON"),
        ("42", "JSON int instead of an object"),
        ('{"data":{}}', "missing 'type'"),
        ('{"type":5}', "'type' is not a string"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_invalid_frames(frame: str, error: str) -> None:
    event = protocol.parse_frame(frame)
    assert isinstance(event, protocol.InvalidFrame)
    assert error in event.error


def test_binary_and_unknown() -> None:
    assert protocol.parse_frame(b"\x00\x01") == protocol.BinaryFrame(2)
    unknown = protocol.parse_frame('{"type":"brand.new","data":{"x":1}}')
    assert isinstance(unknown, protocol.UnknownEvent)
    assert unknown.data == {"x": 1}
    assert isinstance(
        protocol.parse_frame('{"type":"webrtc.signaling.offer","data":{}}'), protocol.ServerEvent
    )
    assert not isinstance(
        protocol.parse_frame('{"type":"webrtc.signaling.offer","data":{}}'), protocol.UnknownEvent
    )


def test_error_event_message_from_nested_error() -> None:
    event = protocol.parse_frame('{"type":"error","error":{"message":"bad request"}}')
    assert isinstance(event, protocol.ErrorEvent)
    assert event.message == "bad request"


def test_client_messages_are_exact() -> None:
    tools = [
        {"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}
    ]
    assert outgoing.input_function_call(tools).text == (
        '{"type":"realtime.input_function_call","data":{"content":'
        '"[{\\"type\\":\\"function\\",\\"name\\":\\"f\\",\\"description\\":\\"d\\",'
        '\\"parameters\\":{\\"type\\":\\"object\\"}}]"}}'
    )
    config = json.loads(outgoing.input_config("marin", "Be nice", tools).text)
    assert json.loads(config["data"]["content"]) == {
        "voice": "marin",
        "prompt": "Be nice",
        "tools": tools,
    }
    assert outgoing.user_message(["hi", "there"]).text == (
        '{"type":"conversation.item.create","item":{"type":"message","role":"user","content":'
        '[{"type":"input_text","text":"hi"},{"type":"input_text","text":"there"}]}}'
    )
    assert outgoing.response_create().text == '{"type":"response.create"}'


@pytest.mark.parametrize(
    ("style", "texts"),
    [
        (
            ResultStyle.FUNCTION_CALL_OUTPUT,
            [
                '{"type":"realtime.function_call_output","data":{"call_id":"c1","output":"ok"}}',
                '{"type":"response.create"}',
            ],
        ),
        (
            ResultStyle.FUNCTION_CALL_OUTPUT_REPLY,
            [
                '{"type":"realtime.function_call_output","data":{"call_id":"c1","output":"ok","reply":1}}'
            ],
        ),
        (
            ResultStyle.CONVERSATION_ITEM,
            [
                '{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"c1","output":"ok"}}',
                '{"type":"response.create"}',
            ],
        ),
    ],
)
def test_function_result_styles(style: ResultStyle, texts: list[str]) -> None:
    assert [f.text for f in outgoing.function_result(style, "c1", "ok")] == texts


def test_output_objects_are_serialised() -> None:
    assert outgoing.output_text({"a": "é"}) == '{"a": "é"}'
    assert outgoing.output_text("plain") == "plain"


# ---------------------------------------------------------------- property tests
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_types = st.sampled_from(
    [
        "conversation.connected.success",
        "conversation.connected.fail",
        "conversation.connected.gpu_full",
        "conversation.connected.warning",
        "conversation.connected.close",
        "conversation.connected.insufficient_balance",
        "realtime.session.created",
        "realtime.session.updated",
        "realtime.response.audio_transcript.delta",
        "realtime.response.audio.delta",
        "realtime.response.function_call_arguments.delta",
        "realtime.response.function_call_arguments.done",
        "response.function_call_arguments.done",
        "error",
        "x.unknown",
    ]
)
_eventish = st.builds(
    lambda t, data, raw, extra: json.dumps({"type": t, "data": data, "raw_data": raw, **extra}),
    _types,
    _json_values
    | st.dictionaries(
        st.sampled_from(
            ["call_id", "arguments", "function_name", "name", "content", "delta", "id"]
        ),
        _json_values,
    ),
    _json_values | st.dictionaries(st.sampled_from(["call_id", "arguments", "name"]), _json_values),
    st.dictionaries(
        st.sampled_from(["message", "call_id", "arguments", "name"]), _json_values, max_size=2
    ),
)
_frames = st.one_of(st.text(), st.binary(), _eventish, _json_values.map(json.dumps))


@given(_frames)
@settings(max_examples=300, deadline=None)
def test_parser_never_raises(frame: str | bytes) -> None:
    event = protocol.parse_frame(frame)
    assert isinstance(event.summary(), str)


class _ListTransport:
    """A transport whose server side is a shared list of frames; then it reports a normal close.

    Reconnects (after gpu_full & co.) continue the same stream; ``handed_out`` records every
    frame the session actually read.
    """

    def __init__(self, frames: list[str | bytes], handed_out: list[str | bytes]) -> None:
        self.frames = frames
        self.handed_out = handed_out
        self.sent: list[str] = []

    async def connect(self, url: str, *, open_timeout: float | None = None) -> None:
        return None

    async def send(self, text: str) -> None:
        self.sent.append(text)

    async def receive(self) -> str | bytes:
        if self.frames and not self.closed:
            frame = self.frames.pop(0)
            self.handed_out.append(frame)
            return frame
        raise TransportClosed(1000, "done")

    async def receive_many(self) -> list[str | bytes]:
        return [await self.receive()]  # batches of one: the engine's per-frame behaviour

    async def close(self) -> None:
        self.closed = True

    closed = False


@given(st.lists(_frames, max_size=25))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_frame_reaches_the_timeline_and_nothing_escapes(frames: list[str | bytes]) -> None:
    queue = list(frames)
    handed_out: list[str | bytes] = []

    async def run() -> tuple[Timeline, Session]:
        timeline = Timeline()
        fast = ReconnectPolicy(initial_delay_s=0, max_delay_s=0, max_attempts=0)
        profile = ConnectionProfile(
            name="p", url="ws://127.0.0.1:9/x", answer_deadline_s=None, reconnect=fast
        )
        session = Session(
            profile, lambda: _ListTransport(queue, handed_out), None, timeline, license="k"
        )
        errors: list[Any] = []
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        await session.connect()
        await session.wait_for_state(SessionState.CLOSED, SessionState.FAILED, timeout=30)
        await session.disconnect()
        assert errors == []
        return timeline, session

    timeline, session = asyncio.run(run())
    received = [
        timeline.raw_frame(i) for i in range(len(timeline)) if timeline[i].direction is Direction.IN
    ]
    assert received == handed_out
    # Only a session-ending server event stops reading early; then it is the last frame read.
    if handed_out != frames:
        last = json.loads(handed_out[-1])
        assert session.last_change.event_type == last["type"]
    assert session.last_change.message  # ended with a readable reason


def _slow_parse(raw: str) -> protocol.ParsedFrame:
    """The general path (json.loads of the whole frame), bypassing the audio fast path."""
    return protocol._parse_object(json.loads(raw))


def _assert_parsed_as_json_would(raw: str) -> None:
    """parse_frame gives what the general JSON path gives (invalid JSON: an InvalidFrame)."""
    parsed = protocol.parse_frame(raw)
    try:
        expected: protocol.ParsedFrame | None = _slow_parse(raw)
    except ValueError:
        expected = None
    if expected is None:
        assert isinstance(parsed, protocol.InvalidFrame)
    else:
        assert parsed == expected


@pytest.mark.parametrize(
    "frame",
    [
        # The common shape: compact, the payload last.
        {"type": "realtime.response.audio.delta", "data": {"id": "r1", "delta": "QUJD" * 50}},
        # Message at the top and inside data; response_id instead of id; key order varies.
        {
            "type": "realtime.response.audio.delta",
            "message": "m",
            "data": {"delta": "AAAA", "response_id": "r2", "message": "inner"},
        },
        {"type": "realtime.response.audio.delta", "data": {"delta": "", "id": "r3"}},
    ],
)
def test_audio_fast_path_matches_the_general_parser(frame: dict[str, Any]) -> None:
    raw = json.dumps(frame, separators=(",", ":"))
    assert raw.startswith(protocol._AUDIO_HEAD)
    fast = protocol._parse_audio_delta(raw)
    assert fast is not None
    assert fast == _slow_parse(raw)
    assert protocol.parse_frame(raw) == fast


@pytest.mark.parametrize(
    "raw",
    [
        # Two "delta" keys: which one is data.delta is not known from the text.
        '{"type":"realtime.response.audio.delta","delta":"X","data":{"delta":"QUJD"}}',
        # Escapes anywhere: the general parser decides.
        '{"type":"realtime.response.audio.delta","data":{"id":"r\\u0031","delta":"QUJD"}}',
        '{"type":"realtime.response.audio.delta","data":{"delta":"QU\\nJD"}}',
        # A later "type" key wins in JSON: not an audio delta after all.
        '{"type":"realtime.response.audio.delta","data":{"delta":"QUJD"},"type":"other"}',
        # Broken JSON outside the payload.
        '{"type":"realtime.response.audio.delta","data":{"delta":"QUJD"}',
    ],
)
def test_audio_fast_path_leaves_unusual_frames_to_the_general_parser(raw: str) -> None:
    assert protocol._parse_audio_delta(raw) is None
    _assert_parsed_as_json_would(raw)


@pytest.mark.parametrize("payload", ["QUJD" * 1600, "", "A", "AAAA" * 3 + "=="])
def test_plain_audio_delta_is_sliced_exactly_as_json_would_read_it(payload: str) -> None:
    raw = '{"type":"realtime.response.audio.delta","data":{"delta":"' + payload + '"}}'
    plain = protocol._parse_plain_audio_delta(raw)
    assert plain is not None
    assert plain == _slow_parse(raw)
    assert protocol.parse_frame(raw) == plain
    assert plain.summary() == _slow_parse(raw).summary()


@pytest.mark.parametrize(
    "raw",
    [
        # A quote or an escape inside: not a plain payload.
        '{"type":"realtime.response.audio.delta","data":{"delta":"QU"JD"}}',
        '{"type":"realtime.response.audio.delta","data":{"delta":"QU\\u0041JD"}}',
        # More after the payload, or a different ending.
        '{"type":"realtime.response.audio.delta","data":{"delta":"QUJD","id":"r"}}',
        '{"type":"realtime.response.audio.delta","data":{"delta":"QUJD"}} ',
        '{"type":"realtime.response.audio.delta","data":{"delta":"QUJD"}',
        '{"type":"realtime.response.audio.delta","data":{"delta":"',
    ],
)
def test_plain_audio_path_leaves_anything_else_to_the_parsers(raw: str) -> None:
    assert protocol._parse_plain_audio_delta(raw) is None
    _assert_parsed_as_json_would(raw)


@given(
    st.dictionaries(
        st.sampled_from(["id", "response_id", "content", "delta", "message", "x"]),
        st.one_of(st.none(), st.text(max_size=5), st.integers()),
    ),
    st.one_of(st.none(), st.text(max_size=5)),
)
def test_transcript_delta_shortcut_matches_the_general_rules(
    data: dict[str, Any], message: str | None
) -> None:
    frame: dict[str, Any] = {"type": "realtime.response.audio_transcript.delta", "data": data}
    if message is not None:
        frame["message"] = message
    event = protocol.parse_frame(json.dumps(frame))
    assert isinstance(event, protocol.TranscriptFrame)
    text = next((t for k in ("content", "delta") if isinstance(t := data.get(k), str)), "")
    rid = data.get("id") if isinstance(data.get("id"), str) and data.get("id") else None
    if rid is None:
        rid = data.get("response_id") if isinstance(data.get("response_id"), str) else None
    top = message if message else None
    inner = data.get("message") if isinstance(data.get("message"), str) else None
    assert (event.text, event.response_id, event.final, event.role) == (text, rid, False, "avatar")
    assert event.message == (top or inner)
