"""WebSocketTransport against real websockets/HTTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from navtalk_desktop.core.ports import Transport, TransportClosed, TransportError
from navtalk_desktop.infra.ws_transport import WebSocketTransport
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
