"""A live session for tools tests: built-in simulator + Session + Dispatcher over real sockets.

Waits are for states, with generous limits: a limit only costs time when a test fails,
and the suite must pass on a machine whose cores are busy with other work.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from navtalk_desktop.core.calls.dispatcher import (
    Dispatcher,
    DispatchMode,
    DispatchRecord,
    DispatchStatus,
)
from navtalk_desktop.core.profile import ConnectionProfile, ResultStyle
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.session.session import Session, SessionState
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.server import SimulatorServer

SETTLED = frozenset(
    {
        DispatchStatus.ANSWERED,
        DispatchStatus.SILENT,
        DispatchStatus.DRAFT,
        DispatchStatus.WAITING,
        DispatchStatus.CLOSED,
    }
)


@dataclass
class Live:
    """Everything a test needs to drive and inspect one session."""

    simulator: SimulatorServer
    session: Session
    dispatcher: Dispatcher
    history: list[tuple[str, DispatchStatus]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def dispatch_changed(self, record: DispatchRecord) -> None:
        self.history.append((record.key, record.status))
        self.changed.set()

    def statuses(self, key: str) -> list[DispatchStatus]:
        """Every status a call's record went through, in order."""
        return [status for k, status in self.history if k == key]

    async def wait_for(
        self, statuses: Iterable[DispatchStatus] = SETTLED, *, count: int = 1, within: float = 30.0
    ) -> list[DispatchRecord]:
        """Wait until ``count`` calls have a record in one of ``statuses``."""
        wanted = frozenset(statuses)
        async with asyncio.timeout(within):
            while True:
                matching = [r for r in self.dispatcher.records() if r.status in wanted]
                if len(matching) >= count:
                    return matching
                self.changed.clear()
                await self.changed.wait()

    async def say(
        self, text: str, statuses: Iterable[DispatchStatus] = SETTLED, within: float = 30.0
    ) -> DispatchRecord:
        """Type ``text`` and wait until the call it causes settles; returns its record."""
        before = len(self.dispatcher.records())
        await self.session.send_text(text)
        wanted = frozenset(statuses)
        async with asyncio.timeout(within):
            while True:
                records = self.dispatcher.records()
                if len(records) > before and records[before].status in wanted:
                    return records[before]
                self.changed.clear()
                await self.changed.wait()

    def output_frames(self, call_id: str) -> list[dict[str, Any]]:
        """Every result frame sent for ``call_id``, parsed (function_call_output and friends)."""
        frames = []
        for entry in self.session.timeline:
            if (
                entry.direction is Direction.OUT
                and entry.call_id == call_id
                and isinstance(entry.raw, str)
            ):
                frames.append(json.loads(entry.raw))
        return frames

    async def simulator_receives(self, call_id: str, within: float = 30.0) -> list[dict[str, Any]]:
        """Wait until the simulator logged a received frame mentioning ``call_id``."""
        arrived = asyncio.Event()

        def listener(entry: Any) -> None:
            if entry.direction == "in" and call_id in json.dumps(entry.frame):
                arrived.set()

        self.simulator.session_log.add_listener(listener)
        try:
            if not self.simulator_saw(call_id):
                async with asyncio.timeout(within):
                    await arrived.wait()
        finally:
            self.simulator.session_log.remove_listener(listener)
        return self.simulator_saw(call_id)

    def simulator_saw(self, call_id: str) -> list[dict[str, Any]]:
        """Frames the simulator received mentioning ``call_id`` (what reached the server)."""
        return [
            entry.frame
            for entry in self.simulator.session_log.entries
            if entry.direction == "in" and call_id in json.dumps(entry.frame)
        ]


@asynccontextmanager
async def live_session(
    toolset: ToolSet,
    *,
    factory: ResponderFactory | None = None,
    mode: DispatchMode = DispatchMode.AUTO,
    unanswered_error: bool = False,
    config: SimulatorConfig | None = None,
    result_style: ResultStyle = ResultStyle.FUNCTION_CALL_OUTPUT,
) -> AsyncIterator[Live]:
    """Start a fast simulator, connect a session with ``toolset``'s tools and dispatch its calls."""
    simulator = SimulatorServer(config or SimulatorConfig.fast())
    await simulator.start()
    profile = ConnectionProfile(
        name="tools-test",
        url=simulator.ws_url,
        avatar_name="navtalk.Emily",
        reconnect=ReconnectPolicy(enabled=False),
        answer_deadline_s=None,
        result_style=result_style,
    )
    session = Session(
        profile,
        WebSocketTransport,
        None,
        Timeline(),
        tools=toolset.definitions(),
        license="sk_test_tools",
    )
    dispatcher = Dispatcher(
        session, toolset, factory=factory, mode=mode, unanswered_error=unanswered_error
    )
    live = Live(simulator, session, dispatcher)
    dispatcher.add_listener(live)
    dispatcher.start()
    try:
        await session.connect()
        await session.wait_for_state(SessionState.READY, timeout=30)
        yield live
    finally:
        await dispatcher.stop()
        await session.disconnect()
        await simulator.stop()
