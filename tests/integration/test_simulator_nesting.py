"""The simulator against deeply nested JSON: a bad frame like any other, the session goes on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
from websockets.asyncio.client import connect

from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer
from tests.integration.test_simulator_ws import (
    RESPONSE_CREATE,
    SEED_CONFIG,
    WEATHER_TEXT,
    notes,
    ready_client,
    url,
    user_text,
)

DEEP = 100_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest_asyncio.fixture
async def logged_sim(tmp_path: Path) -> AsyncIterator[SimulatorServer]:
    # With a log file: every frame is also encoded as JSON for it.
    config = replace(SimulatorConfig.fast(), log_path=tmp_path / "sim.jsonl")
    async with SimulatorServer(config) as server:
        yield server


@pytest.mark.asyncio
async def test_a_100k_deep_array_is_a_bad_frame_and_the_session_goes_on(
    logged_sim: SimulatorServer,
) -> None:
    sim = logged_sim
    async with connect(url(sim), max_size=None) as ws:
        client = await ready_client(ws, SEED_CONFIG)
        await ws.send(nested(DEEP))
        # About as deep as json.loads goes: refused by it, or parsed and then too deep to
        # encode for the log file (which one depends on the stack in use): handled either way.
        await ws.send('{"type":"realtime.input_text","data":{"x":' + nested(985) + "}}")
        # Deep inside a config's content string.
        await client.send(
            {"type": "realtime.input_function_call", "data": {"content": nested(DEEP)}}
        )
        await client.send(user_text(WEATHER_TEXT))
        await client.send(RESPONSE_CREATE)
        call = await client.until("realtime.response.function_call_arguments.done")
        assert ws.close_code is None  # still open: no 1011
    assert call["data"]["function_name"] == "function_call_judge"
    whys = [e.frame["why"] for e in notes(sim, "ignored")]
    assert "not JSON: nested too deeply" in whys
    assert not notes(sim, "simulator.error")
    # The log file has a line for every entry.
    log_path = sim.session_log.path
    assert log_path is not None
    lines = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(sim.session_log.entries)


def test_the_session_log_file_marks_a_frame_too_deep_to_encode(tmp_path: Path) -> None:
    from navtalk_desktop.simulator.session_log import SessionLog

    deep: list[object] = []
    for _ in range(DEEP):  # built without recursion: only encoding it recurses
        deep = [deep]
    log = SessionLog(tmp_path / "sim.jsonl")
    log.record("s1", "in", "realtime.input_text", {"data": deep})
    log.note("s1", "after")
    log.close()
    lines = [json.loads(line) for line in (tmp_path / "sim.jsonl").read_text().splitlines()]
    assert [line["type"] for line in lines] == ["realtime.input_text", "after"]
    assert lines[0]["frame"] == "<not loggable: RecursionError>"
    assert log.entries[0].frame["data"] is deep  # memory keeps the frame itself
