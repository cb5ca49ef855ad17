"""Fault injection and load mode of the simulator, over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

from navtalk_desktop.simulator import FaultSpec, SimulatorConfig, SimulatorServer, Timings
from navtalk_desktop.simulator.session_log import LogEntry

TIMEOUT = 30.0  # generous: it only costs time when a test fails
LICENSE = "sk_navtalk_FaultTestLicense"
TOOLS = [
    {
        "type": "function",
        "name": "function_call_judge",
        "description": "Judge the user's request.",
        "parameters": {
            "type": "object",
            "properties": {"userInput": {"type": "string"}},
            "required": ["userInput"],
        },
    }
]
SEED_CONFIG = {"type": "realtime.input_function_call", "data": {"content": json.dumps(TOOLS)}}
TYPED = {
    "type": "conversation.item.create",
    "item": {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": "What's the weather in Beijing?"}],
    },
}
RESPONSE_CREATE = {"type": "response.create"}


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(SimulatorConfig.fast()) as server:
        yield server


def url(sim: SimulatorServer, extra: str = "") -> str:
    return f"{sim.ws_url}?license={LICENSE}&name=navtalk.Emily{extra}"


async def send(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame))


async def receive(ws: ClientConnection) -> str:
    message = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(message, str)
    return message


async def until(ws: ClientConnection, event_type: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await receive(ws))
        if frame["type"] == event_type:
            return frame


async def frames_until_closed(ws: ClientConnection) -> tuple[list[str], ConnectionClosed]:
    """Every raw text frame until the socket closes, and how it closed."""
    texts: list[str] = []
    while True:
        try:
            texts.append(await receive(ws))
        except ConnectionClosed as exc:
            return texts, exc


def types_of(texts: list[str]) -> list[str]:
    return [json.loads(text)["type"] for text in texts]


async def wait_note(sim: SimulatorServer, note_type: str) -> LogEntry:
    found: asyncio.Future[LogEntry] = asyncio.get_running_loop().create_future()

    def listener(entry: LogEntry) -> None:
        if entry.direction == "note" and entry.type == note_type and not found.done():
            found.set_result(entry)

    sim.session_log.add_listener(listener)
    try:
        for entry in sim.session_log.entries:
            listener(entry)
        return await asyncio.wait_for(found, TIMEOUT)
    finally:
        sim.session_log.remove_listener(listener)


# ---------------------------------------------------------------- service stops


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "event_type", "code", "reason"),
    [
        ("gpu_full", "conversation.connected.gpu_full", 1013, "GPU full"),
        ("backend_error", "conversation.connected.backend_error", 1011, "Backend error"),
        (
            "connection_limit_exceeded",
            "conversation.connected.connection_limit_exceeded",
            1008,
            "Maximum concurrent connections exceeded",
        ),
    ],
)
async def test_setup_faults_replace_success(
    sim: SimulatorServer, fault: str, event_type: str, code: int, reason: str
) -> None:
    async with connect(url(sim, f"&fault={fault}")) as ws:
        texts, closed = await frames_until_closed(ws)
    assert types_of(texts) == [event_type]
    event = json.loads(texts[0])
    assert event["data"] == {}
    assert event["message"]
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (code, reason)


@pytest.mark.asyncio
async def test_connection_limit_counts_sockets_per_license() -> None:
    config = replace(SimulatorConfig.fast(), max_connections_per_license=1)
    async with SimulatorServer(config) as sim, connect(url(sim)) as first:
        await until(first, "realtime.session.updated")
        async with connect(url(sim)) as second:
            texts, _closed = await frames_until_closed(second)
        assert types_of(texts) == ["conversation.connected.connection_limit_exceeded"]
        assert "Maximum concurrent connections (5)" in json.loads(texts[0])["message"]
        # Another license is not affected.
        other = f"{sim.ws_url}?license=sk_other&name=navtalk.Emily"
        async with connect(other) as third:
            assert json.loads(await receive(third))["type"] == "conversation.connected.success"


@pytest.mark.asyncio
async def test_insufficient_balance_mid_session_closes_with_insufficient_points(
    sim: SimulatorServer,
) -> None:
    async with connect(url(sim, "&fault=insufficient_balance@turn:2")) as ws:
        await send(ws, SEED_CONFIG)
        await until(ws, "realtime.session.updated")
        await send(ws, {**TYPED})
        await send(ws, RESPONSE_CREATE)
        call = await until(ws, "realtime.response.function_call_arguments.done")
        await send(
            ws,
            {
                "type": "realtime.function_call_output",
                "data": {"output": "ok", "call_id": call["data"]["call_id"]},
            },
        )
        await send(ws, RESPONSE_CREATE)
        await until(ws, "realtime.response.audio_transcript.done")
        await send(ws, TYPED)
        await send(ws, RESPONSE_CREATE)
        texts, closed = await frames_until_closed(ws)
    assert types_of(texts) == ["conversation.connected.insufficient_balance"]
    assert json.loads(texts[0])["message"] == "Insufficient balance to continue service"
    assert closed.rcvd is not None
    assert closed.rcvd.reason == "Insufficient points"


@pytest.mark.asyncio
async def test_session_timeout_close_event(sim: SimulatorServer) -> None:
    async with connect(url(sim, "&fault=session_timeout@after:0.05")) as ws:
        await until(ws, "realtime.session.updated")
        texts, closed = await frames_until_closed(ws)
    close_events = [
        json.loads(t) for t in texts if json.loads(t)["type"] == "conversation.connected.close"
    ]
    assert close_events == [
        {"type": "conversation.connected.close", "data": {}, "message": "Session timeout"}
    ]
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (
        1000,
        "Session timeout",
    )


@pytest.mark.asyncio
async def test_max_session_timer_ends_with_session_timeout() -> None:
    config = replace(SimulatorConfig.fast(), timings=replace(Timings.fast(), max_session=0.05))
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        texts, closed = await frames_until_closed(ws)
        await wait_note(sim, "session.max_duration")
    assert types_of(texts)[-1] == "conversation.connected.close"
    assert closed.rcvd is not None
    assert closed.rcvd.reason == "Session timeout"


@pytest.mark.asyncio
async def test_abrupt_drop_mid_call_has_no_close_frame(sim: SimulatorServer) -> None:
    async with connect(url(sim, "&fault=drop@call")) as ws:
        await send(ws, SEED_CONFIG)
        await until(ws, "realtime.session.updated")
        await send(ws, TYPED)
        await send(ws, RESPONSE_CREATE)
        texts, closed = await frames_until_closed(ws)
    assert types_of(texts) == ["realtime.response.function_call_arguments.done"]
    assert isinstance(closed, ConnectionClosedError)
    assert closed.rcvd is None  # abnormal closure (1006)


@pytest.mark.asyncio
async def test_malformed_frame_then_the_session_goes_on(sim: SimulatorServer) -> None:
    async with connect(url(sim, "&fault=malformed_frame@ready")) as ws:
        await send(ws, SEED_CONFIG)
        await until(ws, "realtime.session.updated")
        bad = await receive(ws)
        with pytest.raises(json.JSONDecodeError):
            json.loads(bad)
        await send(ws, TYPED)
        await send(ws, RESPONSE_CREATE)
        call = await until(ws, "realtime.response.function_call_arguments.done")
    assert call["data"]["function_name"] == "function_call_judge"


@pytest.mark.asyncio
async def test_call_shape_faults_per_call(sim: SimulatorServer) -> None:
    faults = "&fault=arguments_as_string@call:1&fault=missing_function_name@call:2"
    async with connect(url(sim, faults)) as ws:
        await send(ws, SEED_CONFIG)
        await until(ws, "realtime.session.updated")
        calls = []
        for _ in range(3):
            await send(ws, TYPED)
            await send(ws, RESPONSE_CREATE)
            calls.append(await until(ws, "realtime.response.function_call_arguments.done"))
    first, second, third = (call["data"] for call in calls)
    assert isinstance(first["arguments"], str)
    assert first["function_name"] == "function_call_judge"
    assert "function_name" not in second
    assert second["arguments"] == {"userInput": "What's the weather in Beijing?"}
    assert calls[1]["raw_data"]["name"] == "function_call_judge"
    assert third["function_name"] == "function_call_judge"
    assert isinstance(third["arguments"], dict)


@pytest.mark.asyncio
async def test_delay_before_session_updated() -> None:
    config = replace(SimulatorConfig.fast(), faults=(FaultSpec.parse("delay_session_updated=0.3"),))
    async with SimulatorServer(config) as sim, connect(url(sim)) as ws:
        await until(ws, "realtime.session.created")
        created_at = time.monotonic()
        await until(ws, "realtime.session.updated")
        waited = time.monotonic() - created_at
    assert waited >= 0.25


@pytest.mark.asyncio
async def test_invalid_fault_in_url_is_a_clear_failure(sim: SimulatorServer) -> None:
    async with connect(url(sim, "&fault=meteor_strike")) as ws:
        texts, _closed = await frames_until_closed(ws)
    fail = json.loads(texts[0])
    assert fail["type"] == "conversation.connected.fail"
    assert "unknown fault 'meteor_strike'" in fail["message"]


# ---------------------------------------------------------------- load mode


@pytest.mark.asyncio
async def test_load_max_streams_a_realistic_mix(sim: SimulatorServer) -> None:
    async with connect(url(sim, "&load=max&load_frames=2000")) as ws:
        await until(ws, "realtime.session.updated")
        frames = []
        while len(frames) < 2000:
            frame = json.loads(await receive(ws))
            if frame["type"] != "webrtc.signaling.offer":
                frames.append(frame)
        end = await wait_note(sim, "load.end")
    counts = Counter(frame["type"] for frame in frames)
    assert counts["realtime.response.audio.delta"] >= 1000
    assert counts["realtime.response.audio_transcript.delta"] > 0
    assert counts["realtime.response.audio_transcript.done"] > 0
    assert counts["realtime.response.function_call_arguments.done"] >= 5
    audio = [f["data"]["delta"] for f in frames if f["type"] == "realtime.response.audio.delta"]
    assert {len(delta) for delta in audio} == {6400}
    assert end.frame["frames"] == 2000
    # Frames are counted, not logged one by one.
    assert len(sim.session_log.entries) < 50


@pytest.mark.asyncio
async def test_load_at_a_rate_and_answers_are_counted(sim: SimulatorServer) -> None:
    # A load stream counts the answers that arrive while it streams. Calls come every 200
    # frames: 599 frames at 150/s end 199 frames (1.3 s) after the last call, room for a
    # loaded machine to answer (at 4000/s it was 12 ms after the last call).
    async with connect(url(sim, "&load=150&load_frames=599")) as ws:
        await until(ws, "realtime.session.updated")
        received = 0
        while received < 599:
            frame = json.loads(await receive(ws))
            if frame["type"] == "webrtc.signaling.offer":
                continue
            received += 1
            if frame["type"] == "realtime.response.function_call_arguments.done":
                await send(
                    ws,
                    {
                        "type": "realtime.function_call_output",
                        "data": {"output": "ok", "call_id": frame["data"]["call_id"]},
                    },
                )
        end = await wait_note(sim, "load.end")
        # The session is still usable for ordinary frames after the stream.
        await send(
            ws, {"type": "webrtc.signaling.offer", "data": {"sdp": {"type": "offer", "sdp": "v=0"}}}
        )
        await until(ws, "webrtc.signaling.answer")
    assert end.frame["frames"] == 599
    assert end.frame["calls"] == end.frame["results"] >= 2
    assert not [e for e in sim.session_log.entries if e.type == "result.unknown_call"]


@pytest.mark.asyncio
async def test_bad_load_option_is_refused(sim: SimulatorServer) -> None:
    async with connect(url(sim, "&load=fast-please")) as ws:
        texts, _closed = await frames_until_closed(ws)
    fail = json.loads(texts[0])
    assert fail["type"] == "conversation.connected.fail"
    assert "load must be 'max' or frames per second" in fail["message"]
