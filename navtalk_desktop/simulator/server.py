"""SimulatorServer: the local NavTalk v2 server (WebSocket + avatar REST on one port)."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import uuid
from collections import Counter
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from navtalk_desktop.simulator.audio import Speaker
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.faults import FaultSpec, FaultSpecError
from navtalk_desktop.simulator.load import LoadSpec
from navtalk_desktop.simulator.media.link import load_media_stack
from navtalk_desktop.simulator.rest import REST_PREFIX, WS_PATH, handle_http
from navtalk_desktop.simulator.roster import find_avatar
from navtalk_desktop.simulator.session import SessionOptions, SimulatedSession, masked_path
from navtalk_desktop.simulator.session_log import SessionLog

log = logging.getLogger(__name__)

# Base64 audio slices of 4096 chars, images of several hundred kB: stay generous.
_MAX_FRAME_BYTES = 16 * 1024 * 1024


class SimulatorServer:
    """A faithful local NavTalk v2 server for offline demos, tests and benchmarks.

    One port serves the realtime socket (``/wss/v2/realtime-chat``) and the avatar REST
    endpoints (``/api/open/v1/avatar/...``). Besides the documented URL parameters, a
    connection may add simulator-only ones: ``fault=SPEC`` (repeatable, see
    :mod:`navtalk_desktop.simulator.faults`), ``load=RATE|max`` with optional
    ``load_frames=N``, ``arguments=string`` and ``media=0|1`` (real WebRTC media or canned
    SDPs, overriding :attr:`SimulatorConfig.media`).

    Usage::

        async with SimulatorServer(SimulatorConfig.fast()) as sim:
            url = sim.ws_url + "?license=sk_test&name=navtalk.Emily"

    Args:
        config: behaviour of every connection (default: realistic timings).

    Attributes:
        config: the configuration.
        session_log: every frame received and sent, per session.
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.session_log = SessionLog(
            self.config.log_path, self.config.log_capacity, keep_audio=self.config.log_audio
        )
        self._speaker = Speaker(self.config.speech)
        self._server: Server | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self._active: Counter[str] = Counter()
        self._sessions: dict[str, SimulatedSession] = {}
        self._counter = 0
        # Without a configured seed every server (every run) draws its own, so ids never
        # repeat across runs; a configured seed keeps them reproducible.
        self._run_seed = self.config.seed if self.config.seed is not None else secrets.randbits(63)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port``; port 0 picks a free port (see :attr:`port`).

        Raises:
            RuntimeError: already started.
            OSError: the address is unavailable (e.g. the port is taken).
        """
        if self._server is not None:
            raise RuntimeError("simulator already started")
        if self.config.media:
            await load_media_stack()  # off the event loop; the first offer is not late
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            compression="deflate" if self.config.compression else None,
            max_size=_MAX_FRAME_BYTES,
        )
        self._host = host
        self._port = int(self._server.sockets[0].getsockname()[1])
        log.info("simulator listening on %s (speech: %s)", self.ws_url, self._speaker.engine)

    async def stop(self) -> None:
        """Close every session (code 1001) and stop listening; idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.close(close_connections=True)
            await server.wait_closed()
        self.session_log.close()

    async def serve_forever(self) -> None:
        """Wait until :meth:`stop` is called (or the task is cancelled)."""
        if self._server is None:
            raise RuntimeError("simulator not started")
        await self._server.wait_closed()

    async def __aenter__(self) -> SimulatorServer:
        if self._server is None:
            await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def host(self) -> str:
        """The host it listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The bound TCP port (after :meth:`start`).

        Raises:
            RuntimeError: not started.
        """
        if self._port is None:
            raise RuntimeError("simulator not started")
        return self._port

    @property
    def ws_url(self) -> str:
        """``ws://HOST:PORT/wss/v2/realtime-chat`` (add ``?license=…&name=…``)."""
        return f"ws://{self._url_host}:{self.port}{WS_PATH}"

    @property
    def http_url(self) -> str:
        """Base of the REST endpoints: ``http://HOST:PORT/api/open/v1``."""
        return f"http://{self._url_host}:{self.port}{REST_PREFIX}"

    @property
    def _url_host(self) -> str:
        return f"[{self._host}]" if ":" in self._host else self._host

    @property
    def active_sessions(self) -> int:
        """Connections currently admitted (past license and avatar checks)."""
        return sum(self._active.values())

    def session(self, session_id: str) -> SimulatedSession | None:
        """The live session with this ``sessionId`` (for tests and the app's inspector)."""
        return self._sessions.get(session_id)

    # ------------------------------------------------------------------ connections

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        base = "http://" + (request.headers.get("Host") or f"{self._url_host}:{self.port}")
        return handle_http(request, self.config, base)

    async def _handle(self, connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None
        options = self._options(request.path)
        admitted = options.refusal is None and not options.limit_exceeded
        license_key = _first(parse_qs(urlsplit(request.path).query), "license") or ""
        if admitted:
            self._active[license_key] += 1
        session = SimulatedSession(
            connection, self.config, options, self.session_log, self._speaker
        )
        self._sessions[session.id] = session
        try:
            await session.run()
        except asyncio.CancelledError:
            raise
        finally:
            self._sessions.pop(session.id, None)
            if admitted:
                self._active[license_key] -= 1
                if self._active[license_key] <= 0:
                    del self._active[license_key]

    def _options(self, path: str) -> SessionOptions:
        """Decide everything about a connection from its URL, before the session runs."""
        self._counter += 1
        seed = f"{self._run_seed}:{self._counter}"
        session_id = str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))
        query = parse_qs(urlsplit(path).query)

        def refuse(message: str) -> SessionOptions:
            return SessionOptions(
                session_id, seed, None, refusal=message, host=self._host, path=masked_path(path)
            )

        license_key = _first(query, "license")
        avatar_id, name = _first(query, "avatarId"), _first(query, "name")
        if not self.config.accepts_license(license_key):
            return refuse("Invalid license key")
        if not avatar_id and not name:
            return refuse("Missing avatarId or name")
        match = find_avatar(self.config.roster, avatar_id=avatar_id, name=name)
        if match is None:
            return refuse("Avatar not found")
        try:
            faults = self.config.faults + tuple(FaultSpec.parse(s) for s in query.get("fault", []))
            load = self.config.load
            if "load" in query:
                load = LoadSpec.parse(query["load"][-1])
            if load is not None and "load_frames" in query:
                load = LoadSpec(load.rate, int(query["load_frames"][-1]), load.call_every)
        except (FaultSpecError, ValueError) as exc:
            return refuse(f"Simulator option error: {exc}")
        limit = self._active[license_key or ""] >= self.config.max_connections_per_license
        as_string = self.config.arguments_as_string or _first(query, "arguments") == "string"
        media = _switch(_first(query, "media"), self.config.media)
        return SessionOptions(
            session_id,
            seed,
            match,
            limit_exceeded=limit,
            faults=faults,
            load=load,
            arguments_as_string=as_string,
            host=self._host,
            path=masked_path(path),
            media=media,
        )


def _switch(value: str | None, default: bool) -> bool:
    """A simulator URL switch: ``1/on/true/yes`` or ``0/off/false/no/none``; else the default."""
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "on", "true", "yes"):
        return True
    if lowered in ("0", "off", "false", "no", "none"):
        return False
    return default


def _first(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None
