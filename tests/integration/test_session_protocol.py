"""Session against a real websockets server on 127.0.0.1 playing literal frames from the reference."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from navtalk_desktop.core.calls.book import CallState, FunctionCall
from navtalk_desktop.core.profile import (
    ConnectionProfile,
    Provider,
    RegistrationStyle,
    ResultStyle,
)
from navtalk_desktop.core.session.reconnect import EndKind, ReconnectPolicy
from navtalk_desktop.core.session.session import (
    CallError,
    Session,
    SessionError,
    SessionListenerBase,
    SessionState,
    StateChange,
    Transcript,
)
from navtalk_desktop.core.timeline.timeline import Direction, Timeline, TimelineFilter
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.infra.recording import export_timeline
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from tests.helpers.script_server import ScriptConnection, ScriptServer

LICENSE = "sk_navtalk_Zx81SecretLicenseValue"

# ---------------------------------------------------------------- literal frames (reference §3)
SUCCESS = '{"type":"conversation.connected.success","data":{"sessionId":"a1b2c3d4","iceServers":[{"urls":["stun:stun.l.google.com:19302"]},{"urls":["turn:turn.example.com:3478"],"username":"u","credential":"c"}]}}'
SESSION_CREATED = '{"type":"realtime.session.created","data":{}}'
SESSION_UPDATED = '{"type":"realtime.session.updated","data":{}}'
# Docs example: arguments as a JSON string, no function name anywhere.
CALL_DOCS = '{"type":"realtime.response.function_call_arguments.done","data":{"arguments":"{\\"userInput\\":\\"What is the weather?\\"}","call_id":"call-123456"}}'
# Payload captured in the SDK comments: function_name + object arguments + raw_data mirror.
CALL_SDK = '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"function_call_close_talk","call_id":"call_JZ0DWumfrsN5Kxgm","arguments":{"userInput":"close the conversation"}},"raw_data":{"type":"response.function_call_arguments.done","event_id":"event_1","response_id":"resp_1","item_id":"item_1","output_index":0,"call_id":"call_JZ0DWumfrsN5Kxgm","name":"function_call_close_talk","arguments":"{\\"userInput\\":\\"close the conversation\\"}"}}'
# Name only in raw_data.
CALL_RAW_NAME = '{"type":"realtime.response.function_call_arguments.done","data":{"call_id":"call_RAWONLY000000001","arguments":"{\\"city\\":\\"Paris\\"}"},"raw_data":{"type":"response.function_call_arguments.done","call_id":"call_RAWONLY000000001","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}'
TRANSCRIPT_DELTA_1 = '{"type":"realtime.response.audio_transcript.delta","data":{"id":"resp-123456","content":"It is "}}'
TRANSCRIPT_DELTA_2 = '{"type":"realtime.response.audio_transcript.delta","data":{"id":"resp-123456","content":"sunny."}}'
TRANSCRIPT_DONE = '{"type":"realtime.response.audio_transcript.done","data":{"id":"resp-123456","content":"It is sunny."}}'
AUDIO_DONE = '{"type":"realtime.response.audio.done","data":{}}'
USER_TRANSCRIPT = '{"type":"realtime.conversation.item.input_audio_transcription.completed","data":{"content":"What is the weather in Paris?"}}'

CLOSE_TALK = ToolDefinition(
    "function_call_close_talk",
    "End the conversation",
    {"type": "object", "properties": {"userInput": {"type": "string"}}, "required": ["userInput"]},
)
WEATHER = ToolDefinition(
    "get_weather",
    "Weather for a city",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    },
)


class Recorder(SessionListenerBase):
    """Collects everything a session reports and lets tests await conditions."""

    def __init__(self) -> None:
        self.states: list[StateChange] = []
        self.received: list[FunctionCall] = []
        self.updated: list[tuple[str, CallState]] = []
        self.overdue: list[FunctionCall] = []
        self.transcripts: list[Transcript] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self._changed = asyncio.Event()

    def _poke(self) -> None:
        self._changed.set()

    def session_state_changed(self, change: StateChange) -> None:
        self.states.append(change)
        self._poke()

    def call_received(self, call: FunctionCall) -> None:
        self.received.append(call)
        self._poke()

    def call_updated(self, call: FunctionCall) -> None:
        self.updated.append((call.key, call.state))
        self._poke()

    def call_overdue(self, call: FunctionCall) -> None:
        self.overdue.append(call)
        self._poke()

    def transcript_received(self, transcript: Transcript) -> None:
        self.transcripts.append(transcript)
        self._poke()

    def session_warning(self, message: str) -> None:
        self.warnings.append(message)
        self._poke()

    def session_error(self, message: str) -> None:
        self.errors.append(message)
        self._poke()

    async def until(self, condition: Callable[[], bool], wait_s: float = 30.0) -> None:
        async with asyncio.timeout(wait_s):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    def state_names(self) -> list[SessionState]:
        return [c.state for c in self.states]


def make_session(
    url: str, *, tools: list[ToolDefinition] | None = None, **profile_changes: Any
) -> tuple[Session, Recorder, Timeline]:
    changes: dict[str, Any] = {
        "avatar_name": "navtalk.Emily",
        "voice": "marin",
        "reconnect": ReconnectPolicy(initial_delay_s=0.01, max_delay_s=0.05, max_attempts=3),
        "answer_deadline_s": None,
    }
    changes.update(profile_changes)
    profile = ConnectionProfile(name="test", url=url, **changes)
    timeline = Timeline()
    session = Session(
        profile,
        WebSocketTransport,
        None,
        timeline,
        tools=tools if tools is not None else [CLOSE_TALK, WEATHER],
        license=LICENSE,
    )
    recorder = Recorder()
    session.add_listener(recorder)
    return session, recorder, timeline


async def greet(conn: ScriptConnection) -> None:
    """The documented session start."""
    await conn.send(SUCCESS)
    await conn.send(SESSION_CREATED)
    await conn.send(SESSION_UPDATED)


def in_frames(timeline: Timeline) -> list[str | bytes]:
    return [
        timeline.raw_frame(r)
        for r in timeline.search(TimelineFilter(directions=frozenset({Direction.IN})))
    ]


@pytest.mark.asyncio
async def test_handshake_registration_and_url() -> None:
    async def script(conn: ScriptConnection) -> None:
        await conn.expect("realtime.input_config")
        await conn.expect("realtime.input_function_call")
        await greet(conn)

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url)
        await session.connect()
        await session.wait_for_state(SessionState.READY, timeout=30)
        assert session.session_id == "a1b2c3d4"
        conn = server.connections[0]
        assert f"license={LICENSE}" in conn.path
        assert "name=navtalk.Emily" in conn.path
        config = json.loads(conn.received[0])
        assert config["type"] == "realtime.input_config"
        assert json.loads(config["data"]["content"]) == {"voice": "marin"}
        registration = json.loads(conn.received[1])
        tools = json.loads(registration["data"]["content"])
        assert [t["name"] for t in tools] == ["function_call_close_talk", "get_weather"]
        assert tools[0] == CLOSE_TALK.to_realtime()
        assert rec.state_names()[:4] == [
            SessionState.CONNECTING,
            SessionState.OPEN,
            SessionState.CONNECTED,
            SessionState.READY,
        ]
        assert all(LICENSE not in c.message for c in rec.states)
        await session.disconnect()
        assert session.state is SessionState.CLOSED
        assert in_frames(timeline) == [SUCCESS, SESSION_CREATED, SESSION_UPDATED]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (RegistrationStyle.INPUT_CONFIG, ["realtime.input_config"]),
        (RegistrationStyle.BOTH, ["realtime.input_config", "realtime.input_function_call"]),
    ],
)
async def test_registration_styles(style: RegistrationStyle, expected: list[str]) -> None:
    async with ScriptServer([greet]) as server:
        session, _rec, _ = make_session(server.url, registration=style, voice="", prompt="Be brief")
        await session.connect()
        await session.wait_for_state(SessionState.READY, timeout=30)
        await session.disconnect()
        frames = [json.loads(f) for f in server.connections[0].received]
        assert [f["type"] for f in frames] == expected
        content = json.loads(frames[0]["data"]["content"])
        assert content["prompt"] == "Be brief"
        assert [t["name"] for t in content["tools"]] == ["function_call_close_talk", "get_weather"]


@pytest.mark.asyncio
async def test_elevenlabs_sends_no_tools_says_why_and_still_handles_calls() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(CALL_SDK)

    async with ScriptServer([script]) as server:
        session, rec, _ = make_session(server.url, provider=Provider.ELEVENLABS, voice="")
        await session.connect()
        await rec.until(lambda: len(rec.received) == 1)
        assert server.connections[0].received == []
        assert any("ElevenLabs" in w and "dashboard" in w for w in rec.warnings)
        assert rec.received[0].name == "function_call_close_talk"
        await session.disconnect()


@pytest.mark.asyncio
async def test_function_calls_in_every_documented_shape_and_three_result_styles() -> None:
    answered = asyncio.Event()

    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(CALL_DOCS)
        await conn.send(CALL_SDK)
        await conn.send(CALL_RAW_NAME)
        await conn.expect("response.create")  # after the first answer
        await conn.send(TRANSCRIPT_DELTA_1)
        await conn.send(TRANSCRIPT_DELTA_2)
        await conn.send(TRANSCRIPT_DONE)
        answered.set()

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url)
        await session.connect()
        await rec.until(lambda: len(rec.received) == 3)
        docs, sdk, raw_name = rec.received
        # Docs example: string arguments, no name anywhere: a warning, not a crash.
        assert docs.call_id == "call-123456"
        assert docs.arguments == {"userInput": "What is the weather?"}
        assert docs.raw_arguments == '{"userInput":"What is the weather?"}'
        assert docs.name == ""
        assert any("no function name" in w for w in docs.warnings)
        # SDK payload: object arguments and data.function_name.
        assert sdk.name == "function_call_close_talk"
        assert sdk.arguments == {"userInput": "close the conversation"}
        assert sdk.warnings == []
        assert sdk.violations == []
        assert sdk.response_id == "resp_1"
        # raw_data-only name.
        assert raw_name.name == "get_weather"
        assert raw_name.arguments == {"city": "Paris"}
        assert raw_name.steps[0].note == "raw_data.name"

        await session.answer_call("call_JZ0DWumfrsN5Kxgm", {"closed": True}, responder="test")
        await asyncio.wait_for(answered.wait(), 30)
        await rec.until(lambda: sdk.model_resume_latency_s is not None)
        assert sdk.state is CallState.ANSWERED
        assert sdk.responder == "test"
        assert sdk.frames_sent == [
            '{"type":"realtime.function_call_output","data":{"call_id":"call_JZ0DWumfrsN5Kxgm","output":"{\\"closed\\": true}"}}',
            '{"type":"response.create"}',
        ]
        assert [s.name for s in sdk.steps] == [
            "received",
            "answering",
            "sent",
            "sent",
            "answered",
            "response_started",
        ]
        assert sdk.model_resume_latency_s >= 0
        assert sdk.answer_latency_s is not None
        with pytest.raises(CallError, match="already answered"):
            await session.answer_call("call_JZ0DWumfrsN5Kxgm", "again")

        # The other two styles, switched per profile.
        session.profile = session.profile.with_changes(
            result_style=ResultStyle.FUNCTION_CALL_OUTPUT_REPLY
        )
        await session.answer_call("call-123456", "sunny")
        session.profile = session.profile.with_changes(result_style=ResultStyle.CONVERSATION_ITEM)
        await session.answer_call("call_RAWONLY000000001", "cloudy", is_error=True)
        assert docs.frames_sent == [
            '{"type":"realtime.function_call_output","data":{"call_id":"call-123456","output":"sunny","reply":1}}'
        ]
        assert raw_name.frames_sent == [
            '{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"call_RAWONLY000000001","output":"cloudy"}}',
            '{"type":"response.create"}',
        ]
        assert raw_name.state is CallState.FAILED
        assert raw_name.is_error
        sent_by_client = (await server.connections[0].wait_received(7))[2:]
        assert sent_by_client == [*sdk.frames_sent, *docs.frames_sent, *raw_name.frames_sent]
        # Transcript deltas fold into one logical entry; every frame is still there.
        rows = timeline.search(
            TimelineFilter(types=frozenset({"realtime.response.audio_transcript.delta"}))
        )
        assert len(rows) == 2
        group = timeline.logical_entry(timeline.group_of(rows[0]))
        assert group.rows == tuple(rows)
        assert group.text == "It is sunny."
        avatar = [t for t in rec.transcripts if t.role == "avatar"]
        assert [t.text for t in avatar] == ["It is ", "sunny.", "It is sunny."]
        await session.disconnect()


@pytest.mark.asyncio
async def test_schema_violations_unknown_tool_and_bad_arguments_become_warnings() -> None:
    frames = [
        # city must be a string, days an integer
        '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"get_weather","call_id":"call_a","arguments":{"city":42,"days":"two"}}}',
        '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"book_flight","call_id":"call_b","arguments":"{}"}}',
        '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"get_weather","call_id":"call_c","arguments":"{\\"city\\": \\"Par"}}',
        '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"get_weather","arguments":{"city":"Rome"}}}',
    ]

    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        for frame in frames:
            await conn.send(frame)

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url)
        await session.connect()
        await rec.until(lambda: len(rec.received) == 4)
        bad_types, unknown, truncated, no_id = rec.received
        assert bad_types.violations == [
            "$.city: 42 is not of type 'string'",
            "$.days: 'two' is not of type 'integer'",
        ]
        assert any("no registered tool is called 'book_flight'" in w for w in unknown.warnings)
        assert truncated.arguments is None
        assert truncated.raw_arguments == '{"city": "Par'
        assert any("not valid JSON" in w for w in truncated.warnings)
        assert no_id.call_id == ""
        assert no_id.key.startswith("<no call_id")
        assert any("no call_id" in w for w in no_id.warnings)
        warnings = timeline.search(TimelineFilter(types=frozenset({"local.warning"})))
        assert len(warnings) == 4
        await session.disconnect()


@pytest.mark.asyncio
async def test_unknown_invalid_binary_and_huge_frames_all_reach_the_timeline() -> None:
    big_audio = "A" * (5 * 1024 * 1024)
    big = '{"type":"realtime.response.audio.delta","data":{"delta":"' + big_audio + '"}}'
    odd = [
        '{"type":"realtime.response.completed","data":{}}',
        '{"type":"some.future.event","data":{"x":1}}',
        "{not json",
        "[1,2,3]",
        '{"data":{}}',
        b"\x00\x01binary-pcm",
        big,
        '{"type":"error","message":"Something broke"}',
    ]

    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        for frame in odd:
            await conn.send(frame)

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url)
        await session.connect()
        await rec.until(lambda: len(in_frames(timeline)) == 3 + len(odd), wait_s=30)
        assert in_frames(timeline)[3:] == odd
        rows = timeline.search(TimelineFilter(directions=frozenset({Direction.IN})))[3:]
        types = [timeline[r].type for r in rows]
        assert types == [
            "realtime.response.completed",
            "some.future.event",
            "invalid",
            "invalid",
            "invalid",
            "binary",
            "realtime.response.audio.delta",
            "error",
        ]
        assert "unknown event type" in timeline[rows[1]].summary
        assert timeline[rows[2]].error is not None
        assert "not valid JSON" in timeline[rows[2]].error
        # The 5 MB payload is spilled, not held in memory; its size is recorded.
        assert timeline[rows[6]].size == len(big)
        assert len(timeline[rows[6]].raw) < 200
        assert timeline.is_spilled(rows[6])
        assert rec.errors == ["Server error: Something broke"]
        assert session.state is SessionState.READY
        await session.disconnect()


@pytest.mark.asyncio
async def test_server_closing_mid_call_abandons_calls_and_reconnects_with_history() -> None:
    async def first(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(USER_TRANSCRIPT)
        await conn.send(CALL_SDK)
        await conn.expect("conversation.item.create")  # the typed text…
        await conn.expect("response.create")  # …and its turn: the client is done sending
        conn.drop()  # vanish mid-call, no close frame

    async def second(conn: ScriptConnection) -> None:
        await conn.expect("realtime.input_function_call")  # tools registered again
        await conn.send(SUCCESS)
        await conn.send(SESSION_CREATED)
        await conn.expect("conversation.item.create")
        await conn.expect("conversation.item.create")
        await conn.send(SESSION_UPDATED)

    async with ScriptServer([first, second]) as server:
        session, rec, _timeline = make_session(server.url, replay_history=True)
        await session.connect()
        await rec.until(lambda: len(rec.received) == 1)
        await session.wait_for_state(SessionState.READY, timeout=30)
        await session.send_text("Please also check Rome")
        await rec.until(lambda: SessionState.RECONNECTING in rec.state_names())
        call = rec.received[0]
        assert call.state is CallState.ABANDONED
        assert call.arguments == {"userInput": "close the conversation"}
        assert call.steps[-1].name == "abandoned"
        with pytest.raises(CallError, match="abandoned"):
            await session.answer_call(call.key, "too late")
        await rec.until(
            lambda: session.state is SessionState.READY and session.connection_count == 2
        )
        reconnecting = next(c for c in rec.states if c.state is SessionState.RECONNECTING)
        assert reconnecting.end is EndKind.TRANSIENT
        assert reconnecting.retry_in_s is not None
        replayed = [json.loads(f) for f in server.connections[1].received[2:]]
        texts = [f["item"]["content"][0]["text"] for f in replayed]
        assert texts == ["What is the weather in Paris?", "Please also check Rome"]
        assert all(f["item"]["role"] == "user" for f in replayed)
        assert len(session.calls) == 1  # nothing lost, nothing duplicated
        await session.disconnect()


@pytest.mark.asyncio
async def test_duplicate_call_id_is_kept_as_a_second_call() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(CALL_SDK)
        await conn.send(CALL_SDK)

    async with ScriptServer([script]) as server:
        session, rec, _ = make_session(server.url)
        await session.connect()
        await rec.until(lambda: len(rec.received) == 2)
        first, second = rec.received
        assert first.key == "call_JZ0DWumfrsN5Kxgm"
        assert second.key == "call_JZ0DWumfrsN5Kxgm#2"
        assert any("duplicate call_id" in w for w in second.warnings)
        answered = await session.answer_call("call_JZ0DWumfrsN5Kxgm", "one")
        assert answered is first
        answered = await session.answer_call("call_JZ0DWumfrsN5Kxgm", "two")
        assert answered is second
        await session.disconnect()


@pytest.mark.asyncio
async def test_answer_deadline_marks_call_overdue_and_allows_a_fallback_answer() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(CALL_SDK)

    async with ScriptServer([script]) as server:
        session, rec, _ = make_session(server.url, answer_deadline_s=0.05)
        await session.connect()
        await rec.until(lambda: len(rec.overdue) == 1)
        call = rec.overdue[0]
        assert call.state is CallState.EXPIRED
        assert call.overdue
        await session.answer_call(call.key, {"status": "timeout"}, responder="fallback")
        assert call.state is CallState.ANSWERED
        assert call.overdue
        assert call.responder == "fallback"
        await session.disconnect()


FATAL_EVENTS = [
    (
        '{"type":"conversation.connected.fail","message":"Invalid license key"}',
        "Invalid license key",
    ),
    (
        '{"type":"conversation.connected.insufficient_balance","data":{},"message":"Insufficient balance to continue service"}',
        "Insufficient balance to continue service",
    ),
    (
        '{"type":"conversation.connected.connection_limit_exceeded","data":{},"message":"Maximum concurrent connections (5) exceeded. Please close existing connections first."}',
        "Maximum concurrent connections (5) exceeded",
    ),
]
TRANSIENT_EVENTS = [
    (
        '{"type":"conversation.connected.gpu_full","data":{},"message":"GPU resources are full"}',
        "GPU resources are full",
    ),
    (
        '{"type":"conversation.connected.backend_error","data":{},"message":"Backend error"}',
        "Backend error",
    ),
    ('{"type":"conversation.connected.fail","message":"Connection timeout"}', "Connection timeout"),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("frame", "message"), FATAL_EVENTS)
async def test_fatal_connection_events_fail_without_reconnect(frame: str, message: str) -> None:
    async def script(conn: ScriptConnection) -> None:
        await conn.send(frame)

    async with ScriptServer([script, greet]) as server:
        session, rec, _ = make_session(server.url)
        await session.connect()
        await session.wait_for_state(SessionState.FAILED, timeout=30)
        assert message in session.last_change.message
        assert session.last_change.end is EndKind.FATAL
        assert SessionState.RECONNECTING not in rec.state_names()
        assert len(server.connections) == 1
        await session.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize(("frame", "message"), TRANSIENT_EVENTS)
async def test_capacity_events_reconnect_with_backoff(frame: str, message: str) -> None:
    async def script(conn: ScriptConnection) -> None:
        await conn.send(frame)

    async with ScriptServer([script, greet]) as server:
        session, rec, _ = make_session(server.url)
        await session.connect()
        await rec.until(lambda: session.state is SessionState.READY)
        reconnecting = next(c for c in rec.states if c.state is SessionState.RECONNECTING)
        assert message in reconnecting.message
        assert len(server.connections) == 2
        await session.disconnect()


@pytest.mark.asyncio
async def test_connected_close_and_warning_events() -> None:
    async def script(conn: ScriptConnection) -> None:
        await conn.send(SUCCESS)
        await conn.send(
            '{"type":"conversation.connected.warning","message":"Several avatars are named navtalk.Emily"}'
        )
        await conn.send(SESSION_CREATED)
        await conn.send(SESSION_UPDATED)
        await conn.send('{"type":"conversation.connected.close","message":"Session timeout"}')

    async with ScriptServer([script]) as server:
        session, rec, _ = make_session(server.url)
        await session.connect()
        await session.wait_for_state(SessionState.CLOSED, timeout=30)
        assert rec.warnings == ["Server warning: Several avatars are named navtalk.Emily"]
        assert "Session timeout" in session.last_change.message
        assert session.last_change.end is EndKind.CLOSED
        assert len(server.connections) == 1


@pytest.mark.asyncio
async def test_close_reason_insufficient_points_is_fatal() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(CALL_SDK)
        # No pause: frames arrive in order, so the call is always read before the close.
        await conn.close(1000, "Insufficient points")

    async with ScriptServer([script, greet]) as server:
        session, rec, _ = make_session(server.url)
        await session.connect()
        await session.wait_for_state(SessionState.FAILED, timeout=30)
        assert "Out of credit" in session.last_change.message
        assert "Insufficient points" in session.last_change.message
        assert len(server.connections) == 1
        assert rec.received[0].state is CallState.ABANDONED


@pytest.mark.asyncio
async def test_reconnect_gives_up_after_max_attempts_when_server_is_gone() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        conn.drop()

    server = ScriptServer([script])
    async with server:
        session, rec, _ = make_session(server.url)
        await session.connect()
        await rec.until(lambda: SessionState.RECONNECTING in rec.state_names())
    # The server is gone now: every attempt is refused.
    await session.wait_for_state(SessionState.FAILED, timeout=30)
    assert "gave up after 3 attempts" in session.last_change.message
    delays = [c.retry_in_s for c in rec.states if c.state is SessionState.RECONNECTING]
    assert len(delays) == 3
    assert all(d is not None and 0 <= d <= 0.05 for d in delays)
    await session.disconnect()


@pytest.mark.asyncio
async def test_connect_refused_and_no_license_raise_clear_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with ScriptServer([]) as server:
        url = server.url
    session, _rec, _timeline = make_session(url)
    with pytest.raises(SessionError) as info:
        await session.connect()
    assert info.value.transient
    assert LICENSE not in str(info.value)
    assert session.state is SessionState.FAILED
    no_license = Session(
        ConnectionProfile(name="nolicense", url=url), WebSocketTransport, None, Timeline()
    )
    with pytest.raises(SessionError, match="No license"):
        await no_license.connect()
    assert all(LICENSE not in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_typed_text_and_license_never_in_export_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.expect("response.create")
        # A hostile server echoing the license must not get it into the export either.
        await conn.send('{"type":"some.echo","data":{"url":"wss://x/?license=' + LICENSE + '"}}')
        await conn.close(4000, "bye " + LICENSE)

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url, reconnect=ReconnectPolicy(enabled=False))
        await session.connect()
        await session.wait_for_state(SessionState.READY, timeout=30)
        await session.send_text("Hello there")
        await session.wait_for_state(SessionState.FAILED, timeout=30)
        frames = [json.loads(f) for f in server.connections[0].received[2:]]
        assert frames == [
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "Hello there"}],
                },
            },
            {"type": "response.create"},
        ]
        assert rec.transcripts[-1] == Transcript("user", "Hello there", True, typed=True)
        out = tmp_path / "session.jsonl"
        export_timeline(timeline, out, secrets=session.secrets_in_use())
        exported = out.read_text(encoding="utf-8")
        assert "some.echo" in exported
        assert LICENSE not in exported
        assert all(LICENSE not in c.message for c in rec.states)
        assert LICENSE not in session.last_change.message
        # Records of the test server's own logger are not ours; everything else must be clean.
        ours = [r for r in caplog.records if not r.name.startswith("websockets.server")]
        assert any(r.name == "navtalk_desktop.infra.websockets" for r in ours)
        assert all(LICENSE not in r.getMessage() for r in ours)
        await session.disconnect()


@pytest.mark.asyncio
async def test_name_and_arguments_remembered_from_argument_deltas() -> None:
    frames = [
        '{"type":"realtime.response.function_call_arguments.delta","data":{"call_id":"call_D1","delta":"{\\"city\\":"},"raw_data":{"name":"get_weather","call_id":"call_D1"}}',
        '{"type":"realtime.response.function_call_arguments.delta","data":{"call_id":"call_D1","delta":"\\"Oslo\\"}"}}',
        '{"type":"realtime.response.function_call_arguments.done","data":{"call_id":"call_D1"}}',
        # v1 flat event on the same socket
        '{"type":"response.function_call_arguments.done","call_id":"call_V1","name":"get_weather","arguments":"{\\"city\\":\\"Bergen\\",\\"days\\":2}"}',
    ]

    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        for frame in frames:
            await conn.send(frame)

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url)
        await session.connect()
        await rec.until(lambda: len(rec.received) == 2)
        from_deltas, flat = rec.received
        assert from_deltas.name == "get_weather"
        assert from_deltas.arguments == {"city": "Oslo"}
        assert from_deltas.raw_arguments == '{"city":"Oslo"}'
        assert from_deltas.warnings == ["arguments taken from the argument deltas"]
        assert from_deltas.violations == []
        assert (flat.name, flat.arguments) == ("get_weather", {"city": "Bergen", "days": 2})
        delta_rows = timeline.search(TimelineFilter(type_contains="arguments.delta"))
        assert len(delta_rows) == 2
        assert timeline.logical_entry(timeline.group_of(delta_rows[0])).text == '{"city":"Oslo"}'
        assert all(timeline[r].call_id == "call_D1" for r in delta_rows)
        await session.disconnect()
