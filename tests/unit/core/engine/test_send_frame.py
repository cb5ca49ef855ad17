"""SendFrame: the Frame Composer's raw frames go out through the engine, unchanged."""

from __future__ import annotations

import json
import pickle

import pytest

from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.events import CallReceived, CommandFailed, FramesAppended
from navtalk_desktop.core.session.session import SessionState
from navtalk_desktop.core.timeline.timeline import Direction
from navtalk_desktop.simulator.server import SimulatorServer
from tests.unit.core.engine.test_engine_stream import (
    QUESTION,
    Stream,
    make_engine,
    sim,
    static_toolset,
)

__all__ = ["sim"]  # the fixture, imported for pytest

USER_TURN = json.dumps(
    {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": QUESTION}],
        },
    }
)


def _sent(stream: Stream) -> list[tuple[str, str]]:
    rows = [row for e in stream.of(FramesAppended) for row in e.rows]  # type: ignore[attr-defined]
    return [(row.type, row.raw) for row in rows if row.direction is Direction.OUT]


@pytest.mark.asyncio
async def test_raw_frames_go_out_unchanged_and_the_simulator_acts_on_them(
    sim: SimulatorServer,
) -> None:
    # The simulator calls the tool the question matches: it acted on the raw frames.
    engine = make_engine(sim, toolset=static_toolset())
    stream = Stream()
    engine.attach(stream)
    engine.submit(cmd.Connect())
    await stream.until(lambda: SessionState.READY in stream.states())
    turn = cmd.SendFrame(USER_TURN)
    # The command crosses the process host as it is.
    assert pickle.loads(pickle.dumps(turn)) == turn
    engine.submit(turn)
    engine.submit(cmd.SendFrame('{"type":"response.create"}'))
    await stream.until(lambda: bool(stream.of(CallReceived)))
    sent = _sent(stream)
    assert ("conversation.item.create", USER_TURN) in sent
    assert ("response.create", '{"type":"response.create"}') in sent
    await engine.handle(cmd.Disconnect())


@pytest.mark.asyncio
async def test_a_frame_that_cannot_go_out_fails_as_an_event(sim: SimulatorServer) -> None:
    engine = make_engine(sim)
    stream = Stream()
    engine.attach(stream)
    idle = cmd.SendFrame('{"type":"response.create"}')
    engine.submit(idle)
    await stream.until(lambda: bool(stream.of(CommandFailed)))
    failed = stream.of(CommandFailed)[0]
    assert failed.command_id == idle.command_id  # type: ignore[attr-defined]
    assert "cannot send a frame" in failed.message  # type: ignore[attr-defined]
    engine.submit(cmd.Connect())
    await stream.until(lambda: SessionState.READY in stream.states())
    engine.submit(cmd.SendFrame("[1, 2]"))
    await stream.until(lambda: len(stream.of(CommandFailed)) == 2)
    assert "a frame must be a JSON object" in stream.of(CommandFailed)[1].message  # type: ignore[attr-defined]
    await engine.handle(cmd.Disconnect())
