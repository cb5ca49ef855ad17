"""WebSocketTransport against real websockets/HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from navtalk_desktop.core.ports import Transport, TransportClosed, TransportError
from navtalk_desktop.infra.ws_transport import WebSocketTransport, _BatchConnection
from tests.helpers.script_server import ScriptConnection, ScriptServer

LICENSE = "sk_navtalk_TransportSecret7"


@pytest.mark.asyncio
async def test_text_binary_and_5_mb_frames_and_close_code() -> None:
    big = (
        '{"type":"realtime.response.audio.delta","data":{"delta":"'
        + "B" * (5 * 1024 * 1024)
        + '"}}'
    )

    async def script(conn: ScriptConnection) -> None:
        assert await conn.recv() == "hello"
        await conn.send(big)
        await conn.send(b"\x00\x01\x02")
        await conn.close(4001, "Insufficient points")

    async with ScriptServer([script]) as server:
        transport = WebSocketTransport()
        assert isinstance(transport, Transport)
        await transport.connect(server.url + "?license=" + LICENSE)
        await transport.send("hello")
        assert await transport.receive() == big
        assert await transport.receive() == b"\x00\x01\x02"
        with pytest.raises(TransportClosed) as info:
            await transport.receive()
        assert (info.value.code, info.value.reason) == (4001, "Insufficient points")
        with pytest.raises(TransportClosed):
            await transport.send("after close")
        await transport.close()
        await transport.close()


@pytest.mark.asyncio
async def test_frame_over_the_limit_closes_with_a_clear_message() -> None:
    async def script(conn: ScriptConnection) -> None:
        await conn.send("x" * 2048)

    async with ScriptServer([script]) as server:
        transport = WebSocketTransport(max_size=1024 * 1024)
        transport.max_size = 1024  # a tiny limit keeps the test fast; the message names it
        await transport.connect(server.url)
        with pytest.raises(TransportClosed) as info:
            await transport.receive()
        assert info.value.code == 1009
        assert "limit" in info.value.reason


@pytest.mark.asyncio
async def test_drop_without_close_frame() -> None:
    async def script(conn: ScriptConnection) -> None:
        conn.drop()

    async with ScriptServer([script]) as server:
        transport = WebSocketTransport()
        await transport.connect(server.url)
        with pytest.raises(TransportClosed) as info:
            await transport.receive()
        assert info.value.code == 1006


@pytest.mark.asyncio
async def test_refused_port_is_transient_and_license_free(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = WebSocketTransport()
    with pytest.raises(TransportError) as info:
        await transport.connect(f"ws://127.0.0.1:{port}/wss/v2/realtime-chat?license={LICENSE}")
    assert info.value.transient
    assert "127.0.0.1" in info.value.message
    assert LICENSE not in info.value.message
    assert all(LICENSE not in r.getMessage() for r in caplog.records)


@pytest.mark.asyncio
async def test_invalid_url_is_not_transient_and_masked() -> None:
    with pytest.raises(TransportError) as info:
        await WebSocketTransport().connect(f"ws://[bad/x?license={LICENSE}")
    assert not info.value.transient
    assert LICENSE not in info.value.message


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "transient"), [(401, False), (403, False), (500, True), (503, True)]
)
async def test_http_refusal(status: int, transient: bool, caplog: pytest.LogCaptureFixture) -> None:
    from websockets.asyncio.server import serve

    caplog.set_level(logging.DEBUG, logger="navtalk_desktop")

    def refuse(connection: ServerConnection, request: Request) -> Response:
        return Response(status, "Refused", Headers(), b"no")

    async def handler(connection: ServerConnection) -> None:
        await asyncio.sleep(0)

    async with serve(handler, "127.0.0.1", 0, process_request=refuse) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        transport = WebSocketTransport()
        with pytest.raises(TransportError) as info:
            await transport.connect(f"ws://127.0.0.1:{port}/wss/v2/realtime-chat?license={LICENSE}")
    assert info.value.status == status
    assert info.value.transient is transient
    assert f"HTTP {status}" in info.value.message
    assert LICENSE not in info.value.message
    ours = [r for r in caplog.records if r.name.startswith("navtalk_desktop")]
    assert any("license=***" in r.getMessage() for r in ours)
    assert all(LICENSE not in r.getMessage() for r in ours)


# ---------------------------------------------------------------------------- batch reading
# The simulator and NavTalk send uncompressed frames: the transport then splits frames
# itself; with permessage-deflate negotiated, websockets parses them. Both must behave alike.


async def _serve_script(
    script: Callable[[ServerConnection], Awaitable[None]], *, compression: str | None
) -> AsyncIterator[str]:
    from websockets.asyncio.server import serve

    async def handler(connection: ServerConnection) -> None:
        await script(connection)
        await connection.wait_closed()

    async with serve(handler, "127.0.0.1", 0, compression=compression) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/wss/v2/realtime-chat"


async def _read_all(transport: WebSocketTransport) -> tuple[list[str | bytes], TransportClosed]:
    frames: list[str | bytes] = []
    while True:
        try:
            frames.extend(await transport.receive_many())
        except TransportClosed as closed:
            return frames, closed


@pytest.mark.asyncio
@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_receive_many_keeps_every_frame_in_order(compression: str | None) -> None:
    small = [f'{{"type":"t","n":{n}}}' for n in range(300)]
    medium = "m" * 70_000  # 2-byte length header
    large = "L" * 200_000  # 8-byte length header, spans several reads
    pinged: list[float] = []

    async def script(ws: ServerConnection) -> None:
        await ws.send("first")
        await ws.send(["frag", "mented ", "text"])  # one message in three frames
        pong = await ws.ping()
        pinged.append(await pong)  # the client answered the ping in the middle of the stream
        await ws.send(b"\x00\x01binary")
        for frame in small:
            await ws.send(frame)
        await ws.send([b"bin", b"ary parts"])
        await ws.send(medium)
        await ws.send(large)
        await ws.send("\u00e9t\u00e9 \U0001f600")  # multi-byte UTF-8
        await ws.close(4000, "done here")

    async for url in _serve_script(script, compression=compression):
        transport = WebSocketTransport()
        await transport.connect(url)
        assert transport._ws is not None
        assert transport._ws._splitting is (compression is None)
        frames, closed = await _read_all(transport)
        await transport.close()
    assert frames == [
        "first",
        "fragmented text",
        b"\x00\x01binary",
        *small,
        b"binary parts",
        medium,
        large,
        "\u00e9t\u00e9 \U0001f600",
    ]
    assert (closed.code, closed.reason) == (4000, "done here")
    assert len(pinged) == 1


@pytest.mark.asyncio
async def test_receive_and_receive_many_can_be_mixed() -> None:
    read = asyncio.Event()

    async def script(ws: ServerConnection) -> None:
        for n in range(5):
            await ws.send(str(n))
        await read.wait()  # closed only once the client has read (the close is no frame)
        await ws.close()

    async for url in _serve_script(script, compression=None):
        transport = WebSocketTransport()
        await transport.connect(url)
        # All five are in the transport's buffer before the client reads (a state, not a
        # time: on a loaded machine they may take a while).
        connection = transport._ws
        assert connection is not None
        async with asyncio.timeout(30):
            while len(connection._batch) < 5:  # noqa: ASYNC110  (internal state, no event)
                await asyncio.sleep(0.01)
        assert await transport.receive() == "0"
        read.set()
        rest, closed = await _read_all(transport)
    assert rest == ["1", "2", "3", "4"]
    assert closed.code == 1000


@pytest.mark.asyncio
@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_invalid_utf8_fails_the_connection_with_1007(compression: str | None) -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send("good")
        async with ws.send_context():
            ws.protocol.send_text(b"\xff\xfe not UTF-8")
        await ws.send("never delivered")

    async for url in _serve_script(script, compression=compression):
        transport = WebSocketTransport()
        await transport.connect(url)
        frames, closed = await _read_all(transport)
    assert frames == ["good"]
    assert closed.code == 1007


@pytest.mark.asyncio
async def test_a_frame_over_the_limit_mid_stream_closes_with_1009() -> None:
    async def script(ws: ServerConnection) -> None:
        await ws.send("fine")
        await ws.send("x" * 5000)

    async for url in _serve_script(script, compression=None):
        transport = WebSocketTransport()
        transport.max_size = 4096
        await transport.connect(url)
        frames, closed = await _read_all(transport)
    assert frames == ["fine"]
    assert closed.code == 1009
    assert "limit" in closed.reason


@pytest.mark.asyncio
async def test_a_slow_reader_pauses_the_socket_instead_of_buffering_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_BatchConnection, "high_messages", 50)
    total = 3000
    sent = asyncio.Event()

    async def script(ws: ServerConnection) -> None:
        for n in range(total):
            await ws.send(f"{n:06d}" + "p" * 2000)
        sent.set()
        await ws.close()

    async for url in _serve_script(script, compression=None):
        transport = WebSocketTransport()
        await transport.connect(url)
        # The reader is busy elsewhere: wait until the buffer reaches its high-water mark.
        connection = transport._ws
        assert connection is not None
        async with asyncio.timeout(30):
            while not connection._reading_paused:  # noqa: ASYNC110  (internal state, no event)
                await asyncio.sleep(0.01)
        assert not sent.is_set()  # the server is held back by TCP flow control
        assert len(connection._batch) < total // 2
        frames, closed = await _read_all(transport)
    assert [int(str(frame)[:6]) for frame in frames] == list(range(total))
    assert closed.code == 1000
