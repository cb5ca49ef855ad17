"""The replay server: plays a recording's server side to one client and compares the client.

Server frames go out in recorded order with the recorded gaps (``speed`` scales them;
``None`` sends without waiting). Where the recorded server waited for the client (tool
registration, a user turn, a call's output before the follow-up), the replay waits too.
Call ids are re-keyed: the client sees fresh ids, never the recording's, and its outputs
are matched back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from navtalk_desktop.headless.replay.frames import CallOutput, Registration, UserTurn, classify
from navtalk_desktop.headless.replay.recording import RecordedFrame
from navtalk_desktop.headless.replay.report import CallReport, ReplayReport, TurnReport
from navtalk_desktop.headless.replay.script import (
    Await,
    Send,
    build_script,
    recorded_calls,
    recorded_outputs,
    recorded_tools,
)
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.rest import WS_PATH, handle_http

log = logging.getLogger(__name__)

# Any license, the simulator's avatar roster.
_REST_CONFIG = SimulatorConfig()
_MAX_FRAME_BYTES = 16 * 1024 * 1024
# A client that registers no tools must not stall the replay for the full wait.
_REGISTRATION_WAIT_S = 5.0


@dataclass
class _Client:
    """What the connected client has sent so far."""

    tools: list[str] = field(default_factory=list)
    registered: bool = False
    turns: list[str] = field(default_factory=list)
    outputs: dict[str, tuple[CallOutput, float]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    sent_ids: set[str] = field(default_factory=set)
    closed: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class ReplayServer:
    """Serves one recording to the first client that connects.

    Args:
        frames: the recording.
        speed: time factor for the recorded gaps (``1.0`` as recorded); ``None`` sends
            at once.
        wait_s: longest wait for each client action the recording waited for.
        linger_s: after the last step, how long to wait for the client to close.
    """

    def __init__(
        self,
        frames: list[RecordedFrame],
        *,
        speed: float | None = 1.0,
        wait_s: float = 30.0,
        linger_s: float = 10.0,
    ) -> None:
        self.frames = frames
        self.speed = speed
        self.wait_s = wait_s
        self.linger_s = linger_s
        self.report: ReplayReport | None = None
        self.finished = asyncio.Event()
        self._server: Server | None = None
        self._busy = False

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0: a free port)."""
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._process_request,
            max_size=_MAX_FRAME_BYTES,
            compression=None,
        )
        self.host = host
        self.port = int(self._server.sockets[0].getsockname()[1])

    @property
    def ws_url(self) -> str:
        """The URL to point a client at."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}{WS_PATH}"

    async def stop(self) -> None:
        """Stop listening and close connections; idempotent."""
        server, self._server = self._server, None
        if server is not None:
            server.close(close_connections=True)
            await server.wait_closed()

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        # NavTalk's SDKs look the avatar up over REST before they open the socket: answer
        # as the simulator does, so an SDK-based client reaches the replayed session.
        base = "http://" + (request.headers.get("Host") or f"{self.host}:{self.port}")
        return handle_http(request, _REST_CONFIG, base)

    async def _handle(self, connection: ServerConnection) -> None:
        if self._busy:
            await connection.close(1013, "this replay serves one client")
            return
        self._busy = True
        try:
            self.report = await self._play(connection)
        finally:
            self.finished.set()

    async def _play(self, connection: ServerConnection) -> ReplayReport:
        client = _Client()
        reader = asyncio.create_task(self._read(connection, client))
        calls = recorded_calls(self.frames)
        answers = recorded_outputs(self.frames)
        ids: dict[str, str] = {}
        sent_at: dict[str, float] = {}
        report = ReplayReport(recorded_tools=recorded_tools(self.frames))
        times = [f.time_s for f in self.frames]
        report.recorded_duration_s = max(times) - min(times)
        start = time.monotonic()
        try:
            steps = build_script(self.frames)
            played = 0
            for step in steps:
                if isinstance(step, Send):
                    if self.speed is not None and step.delay_s > 0:
                        await asyncio.sleep(step.delay_s / self.speed)
                    raw = step.frame.raw
                    if step.frame.call_id:
                        new = ids.setdefault(step.frame.call_id, f"call_{secrets.token_hex(8)}")
                        raw = _rekey(raw, step.frame.call_id, new)
                        sent_at.setdefault(new, time.monotonic())
                        client.sent_ids.add(new)
                    try:
                        await connection.send(raw)
                    except ConnectionClosed:
                        break
                elif not await self._await(step, client, ids, report) and client.closed:
                    break  # the client left while the recording waited for it
                played += 1
            # A client that leaves right after the last frame still saw everything.
            report.completed = played == len(steps)
            if report.completed:
                await self._linger(client)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        report.duration_s = time.monotonic() - start
        report.tools = tuple(client.tools)
        for recorded_id, call in calls.items():
            replay_id = ids.get(recorded_id, "")
            item = CallReport(call.name, recorded_id, replay_id)
            if recorded_id in answers:
                answer, answered_at = answers[recorded_id]
                item.recorded_output = answer.output
                item.recorded_style = answer.style
                item.recorded_latency_s = answered_at - call.sent_at
            if replay_id in client.outputs:
                output, arrived = client.outputs[replay_id]
                item.output = output.output
                item.style = output.style
                item.latency_s = arrived - sent_at.get(replay_id, arrived)
            report.calls.append(item)
        report.unknown_outputs = list(client.unknown)
        return report

    async def _await(
        self, step: Await, client: _Client, ids: dict[str, str], report: ReplayReport
    ) -> bool:
        """Wait for what the recorded client did here; whether this client did it."""
        event = step.event
        if isinstance(event, Registration):
            return await self._until(
                lambda: client.registered, client, min(self.wait_s, _REGISTRATION_WAIT_S)
            )
        if isinstance(event, UserTurn):
            index = len(report.turns)
            report.turns.append(TurnReport(event.text))
            if await self._until(lambda: len(client.turns) > index, client, self.wait_s):
                report.turns[index].actual = client.turns[index]
                return True
            return False
        replay_id = ids.get(event.call_id)
        if replay_id is None:
            return True  # an output for a call the recorded server never made
        return await self._until(lambda: replay_id in client.outputs, client, self.wait_s)

    @staticmethod
    async def _until(condition: Callable[[], bool], client: _Client, within: float) -> bool:
        try:
            async with asyncio.timeout(within):
                while not condition():
                    if client.closed:
                        return False
                    client.changed.clear()
                    await client.changed.wait()
        except TimeoutError:
            return False
        return True

    async def _linger(self, client: _Client) -> None:
        await self._until(lambda: client.closed, client, self.linger_s)

    async def _read(self, connection: ServerConnection, client: _Client) -> None:
        try:
            async for message in connection:
                event = classify(message)
                if isinstance(event, Registration):
                    client.registered = True
                    client.tools += [name for name in event.tools if name not in client.tools]
                elif isinstance(event, UserTurn):
                    client.turns.append(event.text)
                elif isinstance(event, CallOutput):
                    if event.call_id in client.outputs:
                        continue  # a repeated answer: the first one counts
                    client.outputs[event.call_id] = (event, time.monotonic())
                    if event.call_id not in client.sent_ids:
                        client.unknown.append(event.call_id)
                client.changed.set()
        except ConnectionClosed:
            pass
        finally:
            client.closed = True
            client.changed.set()


def _rekey(raw: str | bytes, old: str, new: str) -> str | bytes:
    if isinstance(raw, bytes):
        return raw.replace(old.encode(), new.encode())
    return raw.replace(old, new)
