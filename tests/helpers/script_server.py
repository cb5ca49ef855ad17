"""A real ``websockets`` server on 127.0.0.1 that plays scripted frames to the client under test.

Each accepted connection runs the next script in the list; a script is a coroutine function
taking a :class:`ScriptConnection`. Frames are sent exactly as given (tests write them as
literal JSON strings copied from the protocol reference).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

Script = Callable[["ScriptConnection"], Awaitable[None]]


class ScriptConnection:
    """One accepted client connection as seen by a script."""

    def __init__(self, ws: ServerConnection, index: int) -> None:
        self.ws = ws
        self.index = index
        self.path = ws.request.path if ws.request is not None else ""
        self.received: list[str | bytes] = []
        self._inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._arrived = asyncio.Event()

    async def wait_received(self, count: int, wait_s: float = 30.0) -> list[str | bytes]:
        """Wait until the client has sent at least ``count`` frames; return them all."""
        async with asyncio.timeout(wait_s):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return list(self.received)

    async def send(self, frame: str | bytes) -> None:
        """Send one frame exactly as given."""
        await self.ws.send(frame)

    async def recv(self, wait_s: float = 30.0) -> str | bytes:
        """The next frame from the client."""
        async with asyncio.timeout(wait_s):
            frame = await self._inbox.get()
        if frame is None:
            raise ConnectionError("client closed the connection")
        return frame

    async def expect(self, type_: str, wait_s: float = 30.0) -> dict[str, Any]:
        """Skip client frames until one of ``type_`` arrives; return it parsed."""
        while True:
            frame = await self.recv(wait_s)
            if isinstance(frame, str):
                value = json.loads(frame)
                if value.get("type") == type_:
                    return value  # type: ignore[no-any-return]

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with a close frame."""
        await self.ws.close(code, reason)

    def drop(self) -> None:
        """Vanish without a close frame (a network drop)."""
        self.ws.transport.abort()

    async def wait_closed(self) -> None:
        """Wait until the client is gone."""
        await self.ws.wait_closed()


class ScriptServer:
    """Serves scripts on ``ws://127.0.0.1:<port>/wss/v2/realtime-chat``."""

    def __init__(self, scripts: list[Script], *, max_size: int | None = 64 * 1024 * 1024) -> None:
        self.scripts = scripts
        self.connections: list[ScriptConnection] = []
        self._server: Server | None = None
        self._max_size = max_size
        self.errors: list[BaseException] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/wss/v2/realtime-chat"

    async def __aenter__(self) -> ScriptServer:
        self._server = await serve(self._handle, "127.0.0.1", 0, max_size=self._max_size)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, ws: ServerConnection) -> None:
        conn = ScriptConnection(ws, len(self.connections))
        self.connections.append(conn)
        script = self.scripts[conn.index] if conn.index < len(self.scripts) else None

        async def pump() -> None:
            try:
                async for frame in ws:
                    conn.received.append(frame)
                    conn._inbox.put_nowait(frame)
                    conn._arrived.set()
            except ConnectionClosed:
                pass
            finally:
                conn._inbox.put_nowait(None)

        reader = asyncio.create_task(pump())
        try:
            if script is None:
                await ws.close(1013, "no script for this connection")
            else:
                await script(conn)
                await ws.wait_closed()
        except (ConnectionError, ConnectionClosed):
            pass
        except Exception as error:
            self.errors.append(error)
            raise
        finally:
            await reader
