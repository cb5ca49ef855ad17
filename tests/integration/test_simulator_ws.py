"""The simulator over a real loopback socket, driven by a plain websockets client.

Clients send the literal JSON shapes of the protocol reference and of the seed app
(``sendFunctionCallConfig`` on open, ``sendFunctionCallResult`` + ``response.create``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from navtalk_desktop.simulator import (
    LoadSpec,
    Scenario,
    SimulatorConfig,
    SimulatorServer,
    Timings,
)
from navtalk_desktop.simulator.audio import SAMPLE_RATE, ms_to_bytes, rms, tone_speech
from navtalk_desktop.simulator.session_log import LogEntry

TIMEOUT = 30.0  # generous: it only costs time when a test fails
LICENSE = "sk_navtalk_SimulatorTestLicense42"
WEATHER_TEXT = "What's the weather in Beijing?"

# The seed's tool and its sendFunctionCallConfig message: content = JSON.stringify(tools).
SEED_TOOLS = [
    {
        "type": "function",
        "name": "function_call_judge",
        "description": "Judge the user's request and route it to the right handler.",
        "parameters": {
            "type": "object",
            "properties": {"userInput": {"type": "string", "description": "Raw user input"}},
            "required": ["userInput"],
        },
    }
]
SEED_CONFIG = {"type": "realtime.input_function_call", "data": {"content": json.dumps(SEED_TOOLS)}}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1},
            "detailed": {"type": "boolean"},
        },
        "required": ["city", "unit"],
    },
}


def user_text(text: str) -> dict[str, Any]:
    """Typed text as the demos send it (reference §2 #3/#7)."""
    return {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    }


def seed_result(call_id: str, output: str) -> dict[str, Any]:
    """The seed's sendFunctionCallResult frame."""
    return {"type": "realtime.function_call_output", "data": {"output": output, "call_id": call_id}}


RESPONSE_CREATE = {"type": "response.create"}


class Client:
    """A thin test client: send dicts, await frames by type, remember everything."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def next(self, wait: float = TIMEOUT) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.recv(), wait)
        assert isinstance(message, str), "v2 never sends binary frames"
        frame: dict[str, Any] = json.loads(message)
        self.frames.append(frame)
        return frame

    async def until(self, event_type: str) -> dict[str, Any]:
        while True:
            frame = await self.next()
            if frame["type"] == event_type:
                return frame

    async def collect_until(self, event_type: str) -> list[dict[str, Any]]:
        start = len(self.frames)
        await self.until(event_type)
        return self.frames[start:]

    async def silent(self, seconds: float = 0.05) -> bool:
        """True when nothing arrives for ``seconds`` (used right after a barrier)."""
        try:
            frame = await self.next(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected frame {frame['type']}")

    async def barrier(self) -> None:
        """Round-trip through the server's reader (a client offer is answered in order)."""
        await self.send(
            {"type": "webrtc.signaling.offer", "data": {"sdp": {"type": "offer", "sdp": "v=0"}}}
        )
        await self.until("webrtc.signaling.answer")

    async def closed(self) -> ConnectionClosed:
        while True:
            try:
                await self.next()
            except ConnectionClosed as exc:
                return exc

    def types(self) -> list[str]:
        return [frame["type"] for frame in self.frames]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorConfig.fast()) as server:
        yield server


def url(sim: SimulatorServer, query: str = "name=navtalk.Emily") -> str:
    return f"{sim.ws_url}?license={LICENSE}&{query}"


async def ready_client(ws: ClientConnection, *first: dict[str, Any]) -> Client:
    """Send ``first`` frames on open (like onopen), then wait for session.updated."""
    client = Client(ws)
    for frame in first:
        await client.send(frame)
    await client.until("realtime.session.updated")
    return client


async def wait_note(sim: SimulatorServer, note_type: str) -> LogEntry:
    """Wait until the session log records a note of ``note_type``."""
    for entry in sim.session_log.entries:
        if entry.direction == "note" and entry.type == note_type:
            return entry
    found: asyncio.Future[LogEntry] = asyncio.get_running_loop().create_future()

    def listener(entry: LogEntry) -> None:
        if entry.direction == "note" and entry.type == note_type and not found.done():
            found.set_result(entry)

    sim.session_log.add_listener(listener)
    try:
        return await asyncio.wait_for(found, TIMEOUT)
    finally:
        sim.session_log.remove_listener(listener)


def notes(sim: SimulatorServer, note_type: str) -> list[LogEntry]:
    return [e for e in sim.session_log.entries if e.direction == "note" and e.type == note_type]


def decode_audio(frames: list[dict[str, Any]]) -> bytes:
    return b"".join(
        base64.b64decode(f["data"]["delta"])
        for f in frames
        if f["type"] == "realtime.response.audio.delta"
    )


# ---------------------------------------------------------------- handshake


@pytest.mark.asyncio
async def test_handshake_event_order_and_payloads(sim: SimulatorServer) -> None:
    config = {
        "type": "realtime.input_config",
        "data": {
            "content": json.dumps({"voice": "marin", "prompt": "Be brief.", "tools": SEED_TOOLS})
        },
    }
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, config)
        if "webrtc.signaling.offer" not in client.types():
            await client.until("webrtc.signaling.offer")
        offer = client.frames[client.types().index("webrtc.signaling.offer")]
        types = client.types()
        success = client.frames[0]
        assert success["type"] == "conversation.connected.success"
        uuid.UUID(success["data"]["sessionId"])
        servers = success["data"]["iceServers"]
        assert servers
        assert all(isinstance(s["urls"], list) for s in servers)
        assert types.index("conversation.connected.success") < types.index(
            "realtime.session.created"
        )
        assert types.index("realtime.session.created") < types.index("realtime.session.updated")
        assert "conversation.connected.warning" not in types
        assert offer["data"]["sdp"]["type"] == "offer"
        assert offer["data"]["sdp"]["sdp"].startswith("v=0\r\n")
        session = sim.session(success["data"]["sessionId"])
        assert session is not None
        assert session.voice == "marin"
        assert session.prompt == "Be brief."
        assert [t.name for t in session.tools] == ["function_call_judge"]
    # session.created waited for the config the client sent on open.
    order = [(e.direction, e.type) for e in sim.session_log.entries]
    assert order.index(("in", "realtime.input_config")) < order.index(
        ("out", "realtime.session.created")
    )


@pytest.mark.asyncio
async def test_session_created_arrives_without_any_config(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws)
        assert "realtime.session.created" in client.types()
    await wait_note(sim, "config.none")


@pytest.mark.asyncio
async def test_input_config_accepts_an_object_content(sim: SimulatorServer) -> None:
    config = {
        "type": "realtime.input_config",
        "data": {"content": {"voice": "cedar", "tools": [WEATHER_TOOL]}},
    }
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, config)
        await client.send(
            user_text("Weather in Paris in fahrenheit for 3 days, not detailed please")
        )
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
    assert call["data"]["function_name"] == "get_weather"
    assert call["data"]["arguments"] == {
        "city": "Paris",
        "unit": "fahrenheit",
        "days": 3,
        "detailed": False,
    }


@pytest.mark.asyncio
async def test_invalid_license_gets_fail_then_close() -> None:
    config = replace(SimulatorConfig.fast(), licenses=frozenset({"sk_good"}))
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = Client(ws)
        fail = await client.next()
        closed = await client.closed()
    assert fail["type"] == "conversation.connected.fail"
    assert fail["message"] == "Invalid license key"
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1008
    assert LICENSE not in json.dumps([e.frame for e in sim.session_log.entries])


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("query", "message"),
    [("", "Missing avatarId or name"), ("name=navtalk.Nobody", "Avatar not found")],
)
async def test_missing_or_unknown_avatar_fails(
    sim: SimulatorServer, query: str, message: str
) -> None:
    async with connect(url(sim, query)) as ws:
        client = Client(ws)
        fail = await client.next()
        await client.closed()
    assert fail == {"type": "conversation.connected.fail", "data": {}, "message": message}


@pytest.mark.asyncio
async def test_duplicate_name_sends_warning_with_the_chosen_avatar(sim: SimulatorServer) -> None:
    async with connect(url(sim, "name=navtalk.Lily")) as ws:
        client = Client(ws)
        first, second = await client.next(), await client.next()
    assert first["type"] == "conversation.connected.success"
    assert second["type"] == "conversation.connected.warning"
    newest = max(
        (a for a in sim.config.roster if a.name == "navtalk.Lily"), key=lambda a: a.updated_at
    )
    assert second["data"]["avatarId"] == newest.id
    assert "navtalk.Lily" in second["message"]


@pytest.mark.asyncio
async def test_avatar_id_wins_over_name(sim: SimulatorServer) -> None:
    sophia = next(a for a in sim.config.roster if a.name == "navtalk.Sophia")
    async with connect(url(sim, f"avatarId={sophia.id}&name=navtalk.Emily")) as ws:
        success = await Client(ws).next()
    session_open = notes(sim, "session.open")[-1]
    assert success["type"] == "conversation.connected.success"
    assert session_open.frame["avatar"] == "navtalk.Sophia"


# ---------------------------------------------------------------- the seed flow


@pytest.mark.asyncio
async def test_seed_flow_typed_weather_question_calls_function_call_judge(
    sim: SimulatorServer,
) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")

        data, raw = call["data"], call["raw_data"]
        assert data["function_name"] == "function_call_judge"
        assert re.fullmatch(r"call_[A-Za-z0-9]{16}", data["call_id"])
        assert data["arguments"] == {"userInput": WEATHER_TEXT}
        assert raw["type"] == "response.function_call_arguments.done"
        assert raw["name"] == "function_call_judge"
        assert raw["call_id"] == data["call_id"]
        assert json.loads(raw["arguments"]) == {"userInput": WEATHER_TEXT}
        for key, prefix in (("event_id", "event_"), ("response_id", "resp_"), ("item_id", "item_")):
            assert raw[key].startswith(prefix)

        output = "Beijing: sunny, 25 degrees"
        await client.send(seed_result(data["call_id"], output))
        await client.send(RESPONSE_CREATE)
        frames = await client.collect_until("realtime.response.audio_transcript.done")

    types = [f["type"] for f in frames]
    assert types[0] == "realtime.response.audio_transcript.delta"
    assert types.index("realtime.response.audio.done") < types.index(
        "realtime.response.audio_transcript.done"
    )
    deltas = [f for f in frames if f["type"] == "realtime.response.audio_transcript.delta"]
    # Interleaved: audio arrives between transcript deltas, not all at the end.
    first_audio = types.index("realtime.response.audio.delta")
    assert first_audio < types.index("realtime.response.audio_transcript.delta", 1)
    done = frames[-1]
    assert {d["data"]["id"] for d in deltas} == {done["data"]["id"]}
    assert "".join(d["data"]["content"] for d in deltas) == done["data"]["content"]
    assert output in done["data"]["content"]

    pcm = decode_audio(frames)
    seconds = len(pcm) / 2 / SAMPLE_RATE
    words = len(done["data"]["content"].split())
    assert len(pcm) % 2 == 0
    assert 0.15 * words <= seconds <= 1.0 * words
    assert rms(pcm) > 500  # voiced, not silence
    audio_frames = [f for f in frames if f["type"] == "realtime.response.audio.delta"]
    assert all(len(f["data"]["delta"]) <= 6400 for f in audio_frames)
    assert len(audio_frames[0]["data"]["delta"]) == 6400  # 100 ms chunks


@pytest.mark.asyncio
async def test_follow_up_waits_for_response_create(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
        await client.send(seed_result(call["data"]["call_id"], "42"))
        await client.barrier()
        assert await client.silent()
        await client.send(RESPONSE_CREATE)
        done = await client.until("realtime.response.audio_transcript.done")
    assert "42" in done["data"]["content"]


@pytest.mark.asyncio
async def test_reply_flag_answers_without_response_create_and_only_once(
    sim: SimulatorServer,
) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
        result = {
            "type": "realtime.function_call_output",
            "data": {"call_id": call["data"]["call_id"], "output": "Rainy", "reply": 1},
        }
        await client.send(result)
        done = await client.until("realtime.response.audio_transcript.done")
        # A late response.create must not produce a second answer for the same call.
        await client.send(RESPONSE_CREATE)
        await client.barrier()
        assert await client.silent()
    assert "Rainy" in done["data"]["content"]
    assert notes(sim, "ignored")[-1].frame["why"] == "response.create with nothing new to answer"


@pytest.mark.asyncio
async def test_conversation_item_function_call_output_style(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
        await client.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": call["data"]["call_id"],
                    "output": json.dumps({"temperature": 25}),
                },
            }
        )
        await client.send(RESPONSE_CREATE)
        done = await client.until("realtime.response.audio_transcript.done")
    assert '{"temperature": 25}' in done["data"]["content"]


@pytest.mark.asyncio
async def test_duplicate_and_unknown_results_are_logged_not_answered(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
        call_id = call["data"]["call_id"]
        await client.send(seed_result(call_id, "first"))
        await client.send(seed_result(call_id, "second"))
        await client.send(seed_result("call_0000000000000000", "stray"))
        await client.send(RESPONSE_CREATE)
        done = await client.until("realtime.response.audio_transcript.done")
        await client.send(RESPONSE_CREATE)
        await client.barrier()
        assert await client.silent()
    assert "first" in done["data"]["content"]
    assert "second" not in done["data"]["content"]
    assert notes(sim, "result.duplicate")[0].frame["call_id"] == call_id
    assert notes(sim, "result.unknown_call")[0].frame["call_id"] == "call_0000000000000000"
    assert client.types().count("realtime.response.audio_transcript.done") == 1


@pytest.mark.asyncio
async def test_arguments_as_json_string_by_option() -> None:
    config = replace(SimulatorConfig.fast(), arguments_as_string=True)
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
    assert isinstance(call["data"]["arguments"], str)
    assert json.loads(call["data"]["arguments"]) == {"userInput": WEATHER_TEXT}


@pytest.mark.asyncio
async def test_arguments_as_string_per_connection(sim: SimulatorServer) -> None:
    async with connect(url(sim, "name=navtalk.Emily&arguments=string")) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
    assert json.loads(call["data"]["arguments"]) == {"userInput": WEATHER_TEXT}


@pytest.mark.asyncio
async def test_scenario_rule_fires_with_named_groups() -> None:
    scenario = Scenario.from_dict(
        {
            "rules": [
                {
                    "match": r"order (?P<qty>\d+) (?P<item>\w+)",
                    "tool": "place_order",
                    "arguments": {"item": "{item}", "quantity": "{qty}"},
                    "force": True,
                },
                {"match": r"^ping$", "reply": "pong"},
            ]
        }
    )
    config = SimulatorConfig.fast().with_scenario(scenario)
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text("Please order 3 pizzas"))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
        await client.send(user_text("ping"))
        await client.send(RESPONSE_CREATE)
        done = await client.until("realtime.response.audio_transcript.done")
    assert call["data"]["function_name"] == "place_order"
    assert call["data"]["arguments"] == {"item": "pizzas", "quantity": "3"}
    assert done["data"]["content"] == "pong"


# ---------------------------------------------------------------- history, greeting, providers


@pytest.mark.asyncio
async def test_history_items_are_recorded_not_answered() -> None:
    # The real service leaves 200-500 ms between created and updated for the replay.
    timings = replace(Timings.fast(), session_updated_delay=0.3)
    config = replace(SimulatorConfig.fast(), timings=timings)
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = Client(ws)
        await client.send(SEED_CONFIG)
        success = await client.until("conversation.connected.success")
        await client.until("realtime.session.created")
        # Reconnect replay: prior user turns, AND style packs several parts in one item.
        await client.send(user_text("My name is Ada."))
        item = user_text("I live in Paris.")
        item["item"]["content"].append({"type": "input_text", "text": "I like tea."})
        await client.send(item)
        await client.until("realtime.session.updated")
        await client.barrier()
        assert await client.silent()
        session = sim.session(success["data"]["sessionId"])
        assert session is not None
        assert session.history == ["My name is Ada.", "I live in Paris. I like tea."]


@pytest.mark.asyncio
async def test_response_create_after_ready_greets_once(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws)
        await client.send(RESPONSE_CREATE)
        done = await client.until("realtime.response.audio_transcript.done")
        await client.send(RESPONSE_CREATE)
        await client.barrier()
        assert await client.silent()
    emily = next(a for a in sim.config.roster if a.name == "navtalk.Emily")
    assert done["data"]["content"] == emily.first_message


@pytest.mark.asyncio
async def test_small_talk_is_answered_in_words_even_with_a_router_tool(
    sim: SimulatorServer,
) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text("Hello!"))
        await client.send(RESPONSE_CREATE)
        frames = await client.collect_until("realtime.response.audio_transcript.done")
    assert "realtime.response.function_call_arguments.done" not in [f["type"] for f in frames]


@pytest.mark.asyncio
async def test_elevenlabs_avatar_ignores_api_tools(sim: SimulatorServer) -> None:
    async with connect(url(sim, "name=navtalk.Sophia")) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        frames = await client.collect_until("realtime.response.audio_transcript.done")
    assert "realtime.response.function_call_arguments.done" not in [f["type"] for f in frames]
    assert WEATHER_TEXT in frames[-1]["data"]["content"]
    assert notes(sim, "tools.ignored")[0].frame["tools"] == ["function_call_judge"]


@pytest.mark.asyncio
async def test_unanswered_call_keeps_the_session_alive_and_timeout_is_only_logged() -> None:
    config = replace(SimulatorConfig.fast(), timings=replace(Timings.fast(), call_timeout=0.05))
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await client.send(user_text("close the conversation now"))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
        timeout = await wait_note(sim, "call.timeout")
        await client.send(user_text("Thanks"))
        await client.send(RESPONSE_CREATE)
        done = await client.until("realtime.response.audio_transcript.done")
    assert timeout.frame["call_id"] == call["data"]["call_id"]
    assert done["data"]["content"] == "You're welcome!"
    unanswered = await wait_note(sim, "calls.unanswered")
    assert unanswered.frame["call_ids"] == [call["data"]["call_id"]]


# ---------------------------------------------------------------- audio


def speech_slices(words: str, silence_ms: int = 800) -> list[str]:
    """Voiced audio then silence, base64-sliced into 4096-char messages like the browser demos."""
    pcm = bytes(ms_to_bytes(100)) + tone_speech(words) + bytes(ms_to_bytes(silence_ms))
    encoded = base64.b64encode(pcm).decode()
    return [encoded[i : i + 4096] for i in range(0, len(encoded), 4096)]


@pytest.mark.asyncio
@pytest.mark.parametrize("form", ["native", "flat"])
async def test_voice_turn_vad_transcription_then_tool_call(sim: SimulatorServer, form: str) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        for index, chunk in enumerate(speech_slices("what is the weather like")):
            if form == "native":
                frame = {
                    "type": "realtime.input_audio_buffer.append",
                    "data": {"audio": chunk, "sequenceNumber": index},
                }
            else:
                frame = {"type": "input_audio_buffer.append", "audio": chunk}
            await client.send(frame)
        frames = await client.collect_until("realtime.response.function_call_arguments.done")
    types = [f["type"] for f in frames]
    started = types.index("realtime.input_audio_buffer.speech_started")
    stopped = types.index("realtime.input_audio_buffer.speech_stopped")
    completed = types.index("realtime.conversation.item.input_audio_transcription.completed")
    assert started < stopped < completed
    assert types.count("realtime.input_audio_buffer.speech_started") == 1
    assert frames[completed]["data"]["content"] == WEATHER_TEXT
    assert frames[-1]["data"]["arguments"] == {"userInput": WEATHER_TEXT}


@pytest.mark.asyncio
async def test_audio_before_session_updated_is_ignored(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = Client(ws)
        for chunk in speech_slices("hello there"):
            await client.send(
                {"type": "realtime.input_audio_buffer.append", "data": {"audio": chunk}}
            )
        await client.until("realtime.session.updated")
        await client.barrier()
        assert await client.silent()
    assert notes(sim, "ignored")[0].frame["why"] == "audio before realtime.session.updated"


@pytest.mark.asyncio
async def test_silence_triggers_nothing(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws)
        silence = base64.b64encode(bytes(ms_to_bytes(2000))).decode()
        await client.send(
            {"type": "realtime.input_audio_buffer.append", "data": {"audio": silence}}
        )
        await client.barrier()
        assert await client.silent()


@pytest.mark.asyncio
async def test_barge_in_stops_the_response_and_finishes_it_with_partial_text() -> None:
    long_greeting = " ".join(f"word{i}" for i in range(40))
    config = SimulatorConfig.fast().with_scenario(Scenario(greeting=long_greeting))
    config = replace(config, timings=replace(Timings.fast(), delta_interval=0.05))
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = await ready_client(ws)
        await client.send(RESPONSE_CREATE)
        await client.until("realtime.response.audio_transcript.delta")
        voiced = base64.b64encode(tone_speech("stop")).decode()
        await client.send({"type": "realtime.input_audio_buffer.append", "data": {"audio": voiced}})
        frames = await client.collect_until("realtime.response.audio_transcript.done")
    types = [f["type"] for f in frames]
    assert "realtime.input_audio_buffer.speech_started" in types
    partial = frames[-1]["data"]["content"]
    assert long_greeting.startswith(partial)
    assert len(partial) < len(long_greeting)
    assert notes(sim, "response.interrupted")


# ---------------------------------------------------------------- robustness and log


@pytest.mark.asyncio
async def test_garbage_is_ignored_and_logged_and_the_session_survives(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await ws.send("{not json")
        await ws.send(b"\x00\x01binary")
        await client.send({"type": "realtime.something_new", "data": {}})
        await client.send({"no": "type"})
        await client.send(
            {
                "type": "realtime.input_function_call",
                "data": {"content": '[{"description": "nameless"}]'},
            }
        )
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
    assert call["data"]["function_name"] == "function_call_judge"
    whys = [e.frame["why"] for e in notes(sim, "ignored")]
    assert any(w.startswith("not JSON") for w in whys)
    assert "binary frames carry nothing in v2" in whys
    assert "unknown type realtime.something_new" in whys
    assert "frame has no string 'type'" in whys
    assert notes(sim, "tool.ignored")[0].frame["why"] == "tools[0] has no name"


@pytest.mark.asyncio
async def test_session_log_jsonl_has_every_frame_and_never_the_license(tmp_path: Path) -> None:
    log_path = tmp_path / "logs" / "sim.jsonl"
    config = replace(SimulatorConfig.fast(), log_path=log_path)
    async with SimulatorServer(config) as sim:
        async with connect(url(sim)) as ws:
            client = await ready_client(ws, SEED_CONFIG)
            await client.send(user_text(WEATHER_TEXT))
            await client.send(RESPONSE_CREATE)
            await client.until("realtime.response.function_call_arguments.done")
        await wait_note(sim, "session.closed")
    text = log_path.read_text(encoding="utf-8")
    assert LICENSE not in text
    lines = [json.loads(line) for line in text.splitlines()]
    session_id = client.frames[0]["data"]["sessionId"]
    assert {line["session"] for line in lines} == {session_id}
    sent = [line["type"] for line in lines if line["direction"] == "out"]
    received = [line["type"] for line in lines if line["direction"] == "in"]
    assert sent == client.types()
    assert received == [
        "realtime.input_function_call",
        "conversation.item.create",
        "response.create",
    ]
    assert lines[0]["frame"]["path"].startswith("/wss/v2/realtime-chat?license=***")


@pytest.mark.asyncio
async def test_client_offer_gets_an_answer_and_ice_is_accepted(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await ready_client(ws)
        await client.send(
            {
                "type": "webrtc.signaling.iceCandidate",
                "data": {
                    "candidate": {
                        "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host",
                        "sdpMid": "0",
                        "sdpMLineIndex": 0,
                    }
                },
            }
        )
        await client.send(
            {"type": "webrtc.signaling.answer", "data": {"sdp": {"type": "answer", "sdp": "v=0"}}}
        )
        await client.barrier()
    answer = client.frames[-1]
    assert answer["data"]["sdp"]["type"] == "answer"
    assert not notes(sim, "ignored")


@pytest.mark.asyncio
async def test_stop_closes_open_sessions_with_going_away() -> None:
    sim = SimulatorServer(SimulatorConfig.fast())
    await sim.start()
    async with connect(url(sim)) as ws:
        client = await ready_client(ws)
        assert sim.active_sessions == 1
        await sim.stop()
        closed = await client.closed()
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1001
    assert sim.active_sessions == 0


@pytest.mark.asyncio
async def test_config_load_mode_for_every_connection() -> None:
    config = replace(SimulatorConfig.fast(), load=LoadSpec(rate=None, frames=300))
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        client = await ready_client(ws)
        for _ in range(300):
            await client.next()
        end = await wait_note(sim, "load.end")
    assert end.frame["frames"] == 300
