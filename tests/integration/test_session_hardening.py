"""Session against a real server misbehaving: deep nesting, a stray connected.success, slow opens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from navtalk_desktop.core.ports import TransportError
from navtalk_desktop.core.session.session import LOCAL_WARNING, Session, SessionState
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from tests.helpers.script_server import ScriptConnection, ScriptServer
from tests.integration.test_session_protocol import (
    CALL_DOCS,
    LICENSE,
    SUCCESS,
    greet,
    in_frames,
    make_session,
)

DEEP = 100_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# ---------------------------------------------------------------- deeply nested frames
@pytest.mark.asyncio
async def test_deeply_nested_frames_become_error_rows_and_the_session_goes_on() -> None:
    deep_frames = [
        nested(DEEP),
        '{"type":"realtime.response.created","data":{"x":' + nested(DEEP) + "}}",
        # The audio fast path cuts out the payload and parses the rest: deep there too.
        '{"type":"realtime.response.audio.delta","data":{"delta":"AAAA","x":' + nested(DEEP) + "}}",
    ]

    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        for frame in deep_frames:
            await conn.send(frame)
        await conn.send(CALL_DOCS)
        await conn.wait_closed()

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url)
        await session.connect()
        await rec.until(lambda: len(rec.received) == 1, wait_s=10)
        # Every frame is in the timeline, exactly as received, the deep ones as errors.
        frames = in_frames(timeline)
        assert frames[3:6] == deep_frames
        rows = [r for r in range(len(timeline)) if timeline[r].direction is Direction.IN][3:6]
        for row in rows:
            assert timeline[row].type == "invalid"
            assert timeline[row].error == "not valid JSON: nested too deeply"
        assert not rec.errors  # no "recording a frame failed"
        assert session.state is SessionState.READY
        assert rec.received[0].call_id == "call-123456"
        await session.disconnect()


# ---------------------------------------------------------------- a stray connected.success
@pytest.mark.asyncio
async def test_a_stray_connected_success_keeps_the_session_ready_and_is_noted() -> None:
    stray = SUCCESS.replace("a1b2c3d4", "zz999999")

    async def script(conn: ScriptConnection) -> None:
        await greet(conn)
        await conn.send(stray)
        await conn.send(CALL_DOCS)
        await conn.wait_closed()

    async with ScriptServer([script]) as server:
        session, rec, timeline = make_session(server.url)
        await session.connect()
        await rec.until(lambda: len(rec.received) == 1, wait_s=10)
        assert session.state is SessionState.READY
        # READY came once; nothing after it (no drop back to CONNECTED).
        states = rec.state_names()
        assert states[-1] is SessionState.READY
        assert states.count(SessionState.CONNECTED) == 1
        assert session.session_id == "a1b2c3d4"
        notices = [
            e for e in timeline if e.type == LOCAL_WARNING and "connected.success" in e.summary
        ]
        assert len(notices) == 1
        assert "Unexpected conversation.connected.success" in notices[0].summary
        assert "zz999999" in notices[0].summary
        assert notices[0].summary in rec.warnings
        await session.disconnect()


# ---------------------------------------------------------------- the open timeout
@asynccontextmanager
async def stalled_server() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A TCP server that accepts, reads the HTTP upgrade, and never answers it.

    Yields its URL and an event set once a client that connected has gone away.
    """
    gone = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client closes its side
        gone.set()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/wss/v2/realtime-chat", gone
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
async def test_the_transport_open_timeout_is_the_one_it_is_given() -> None:
    async with stalled_server() as (url, gone):
        transport = WebSocketTransport()
        with pytest.raises(TransportError, match=r"timed out after 0\.3 s") as info:
            await transport.connect(url, open_timeout=0.3)
        assert info.value.transient
        await asyncio.wait_for(gone.wait(), 10)  # the half-open socket was released


@pytest.mark.asyncio
async def test_the_session_connect_timeout_reaches_the_transport() -> None:
    # The transport's own limit used to be a fixed 10 s: with a longer connect timeout
    # it gave up first. Here the server answers the upgrade after more than 10 s.
    answered: list[float] = []

    async def slow_greeting(conn: ScriptConnection) -> None:
        await greet(conn)

    async with ScriptServer([slow_greeting]) as server:
        host, port = server.url.split("//", 1)[1].split("/", 1)[0].split(":")

        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Holds the client's upgrade request for 11 s, then relays both ways.
            request = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(11)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            up_writer.write(request)
            answered.append(1)

            async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
                try:
                    while data := await src.read(65536):
                        dst.write(data)
                        await dst.drain()
                except ConnectionError:
                    pass
                finally:
                    dst.close()

            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        relay_server = await asyncio.start_server(relay, "127.0.0.1", 0)
        relay_port = relay_server.sockets[0].getsockname()[1]
        url = server.url.replace(f":{port}/", f":{relay_port}/")
        session, rec, _ = make_session(url)
        session = Session(
            session.profile,
            WebSocketTransport,
            None,
            Timeline(),
            license=LICENSE,
            connect_timeout_s=30.0,
        )
        session.add_listener(rec)
        try:
            await session.connect()
            await rec.until(lambda: session.state is SessionState.READY, wait_s=30)
            assert answered == [1]
            await session.disconnect()
        finally:
            relay_server.close()
