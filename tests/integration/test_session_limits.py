"""Session and dispatcher limits on a real socket: argument deltas per call, repeated call ids."""

from __future__ import annotations

import json

import pytest

from navtalk_desktop.core.calls.dispatcher import Dispatcher, DispatchStatus
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.session.session import Session
from navtalk_desktop.core.timeline.timeline import Direction, Timeline, TimelineFilter
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from tests.helpers.script_server import ScriptConnection, ScriptServer
from tests.integration.test_session_protocol import WEATHER, Recorder, greet


def _delta(call_id: str, text: str) -> str:
    return json.dumps(
        {
            "type": "realtime.response.function_call_arguments.delta",
            "data": {"call_id": call_id, "delta": text},
            "raw_data": {"name": "get_weather", "call_id": call_id},
        }
    )


def _done(call_id: str, arguments: str | None = None) -> str:
    data = {"call_id": call_id, "function_name": "get_weather"}
    if arguments is not None:
        data["arguments"] = arguments
    return json.dumps({"type": "realtime.response.function_call_arguments.done", "data": data})


def _session(url: str, **options: int) -> tuple[Session, Recorder, Timeline]:
    profile = ConnectionProfile(
        name="t",
        url=url,
        avatar_name="navtalk.Emily",
        reconnect=ReconnectPolicy(enabled=False),
        answer_deadline_s=None,
    )
    timeline = Timeline()
    session = Session(
        profile, WebSocketTransport, None, timeline, tools=[WEATHER], license="sk_x", **options
    )
    recorder = Recorder()
    session.add_listener(recorder)
    return session, recorder, timeline


def _static_toolset() -> ToolSet:
    chain = ResponderChain(steps=(ResponderStep(StaticConfig("sunny")),))
    return ToolSet(tools=(ToolEntry(WEATHER, chain=chain),))


@pytest.mark.asyncio
async def test_argument_deltas_past_the_cap_are_dropped_and_the_call_gets_an_error() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        for _ in range(10):
            await conn.send(_delta("call_big", "x" * 30))  # 300 characters, cap 100
        await conn.send(_done("call_big"))
        await conn.send(_delta("call_ok", '{"city":'))
        await conn.send(_delta("call_ok", '"Oslo"}'))
        await conn.send(_done("call_ok"))

    async with ScriptServer([script]) as server:
        session, rec, timeline = _session(server.url, max_argument_chars=100)
        dispatcher = Dispatcher(session, _static_toolset(), desk=False)
        dispatcher.start()
        await session.connect()
        await rec.until(lambda: len(rec.received) == 2)
        big, ok = rec.received
        assert big.argument_error == (
            "arguments too large: 300 characters of argument deltas, more than the 100 "
            "allowed per call (not kept)"
        )
        assert (big.arguments, big.raw_arguments) == (None, "")
        assert ok.argument_error is None
        assert ok.arguments == {"city": "Oslo"}
        await dispatcher.wait_idle()
        assert big.output == "Error: " + big.argument_error
        assert big.is_error
        assert ok.output == "sunny"
        # Nothing lost silently: every delta frame is in the timeline, with a notice.
        rows = timeline.search(TimelineFilter(type_contains="arguments.delta"))
        assert sum(timeline[r].call_id == "call_big" for r in rows) == 10
        notices = [
            e for e in timeline if e.direction is Direction.LOCAL and e.call_id == "call_big"
        ]
        assert any("too large and are not kept" in e.summary and e.error for e in notices)
        assert any("too large and are not kept" in w for w in rec.warnings)
        await dispatcher.stop()
        await session.disconnect()


@pytest.mark.asyncio
async def test_a_repeated_call_id_is_answered_once_and_flagged_in_the_timeline() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(_done("call_same", '{"city":"Oslo"}'))
        await conn.send(_done("call_same", '{"city":"Oslo"}'))

    async with ScriptServer([script]) as server:
        session, rec, timeline = _session(server.url)
        dispatcher = Dispatcher(session, _static_toolset(), desk=False)
        dispatcher.start()
        await session.connect()
        await rec.until(lambda: len(rec.received) == 2)
        await dispatcher.wait_idle()
        first, repeat = rec.received
        assert repeat.duplicate_of == first.key
        assert first.output == "sunny"
        assert repeat.output is None
        record = dispatcher.record(repeat.key)
        assert record is not None
        assert record.status is DispatchStatus.SILENT
        assert "duplicate call_id call_same" in record.messages[-1]
        notices = [
            e
            for e in timeline
            if e.direction is Direction.LOCAL and "this repeat is not answered" in e.summary
        ]
        assert len(notices) == 1
        assert notices[0].error
        sent = [e for e in timeline if e.direction is Direction.OUT and "call_same" in str(e.raw)]
        assert len(sent) == 1
        await dispatcher.stop()
        await session.disconnect()


@pytest.mark.asyncio
async def test_max_calls_is_checked_before_a_call_is_dispatched() -> None:
    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        for n in range(5):
            await conn.send(_done(f"call_{n}", '{"city":"Oslo"}'))

    async with ScriptServer([script]) as server:
        session, rec, timeline = _session(server.url)
        dispatcher = Dispatcher(session, _static_toolset(), desk=False, max_calls=2)
        dispatcher.start()
        await session.connect()
        await rec.until(lambda: len(rec.received) == 5)
        await dispatcher.wait_idle()
        assert [c.output for c in rec.received] == ["sunny", "sunny", None, None, None]
        assert len(dispatcher.records()) == 2
        skipped = [e for e in timeline if "not handled: the run handles at most 2" in e.summary]
        assert len(skipped) == 3
        await dispatcher.stop()
        await session.disconnect()
