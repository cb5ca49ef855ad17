"""B1: frames through the session engine and timeline store, no UI (plain asyncio loop)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.engine.commands import Connect, Disconnect
from navtalk_desktop.core.engine.engine import Engine
from navtalk_desktop.core.engine.events import CommandFailed, EngineEvent
from navtalk_desktop.core.engine.factory import (
    EngineOptions,
    EnginePorts,
    build_engine,
)
from navtalk_desktop.core.profile import ConnectionProfile, profile_for_url
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from tests.benchmarks.counting import LoadFrameCounter
from tests.benchmarks.measure import rss_bytes

if TYPE_CHECKING:
    from navtalk_desktop.core.responders.factory import ResponderFactory


def bench_profile(url: str) -> ConnectionProfile:
    """A profile for ``url`` without its license (profiles never hold one)."""
    return profile_for_url(url, name="Benchmark")[0]


def bench_engine(
    url: str, responders: Callable[[], ResponderFactory] | None = None, **options: Any
) -> Engine:
    """The app's engine for ``url`` (license from the URL), built by the one factory."""
    profile, license = profile_for_url(url, name="Benchmark")
    settings = EngineOptions(profile=profile, license=license, **options)
    ports = EnginePorts(transport_factory=WebSocketTransport, responders=responders)
    return build_engine(settings, ports)


async def connect_engine(engine: Engine, sink: Callable[[EngineEvent], None]) -> None:
    """Attach ``sink`` and connect; raise when the connect fails."""
    command = Connect()
    failures: list[str] = []

    def receive(event: EngineEvent) -> None:
        if isinstance(event, CommandFailed) and event.command_id == command.command_id:
            failures.append(event.text)
        sink(event)

    engine.attach(receive)
    await engine.handle(command)
    if failures:
        raise RuntimeError(failures[0])


async def engine_ingest(url: str, frames: int, timeout_s: float) -> dict[str, Any]:
    """Connect a real :class:`Session` to ``url`` and time ``frames`` load frames into its timeline.

    Returns:
        ``frames``, ``seconds`` (first to last load frame), ``fps``, RSS before/after.
    """
    rss_start = rss_bytes()
    engine = bench_engine(url, answering=False)
    counter = LoadFrameCounter(None, frames)
    await connect_engine(engine, counter)
    try:
        async with asyncio.timeout(timeout_s):
            await counter.done.wait()
    finally:
        await engine.handle(Disconnect())
    timeline = engine.timeline
    seconds = counter.last - counter.first
    return {
        "frames": counter.count,
        "seconds": seconds,
        "fps": (counter.count - 1) / seconds if seconds > 0 else None,
        "rss_start": rss_start,
        "rss_end": rss_bytes(),
        "timeline_rows": len(timeline),
        "calls": len(engine.calls),
        "wall_s": time.monotonic() - counter.first,
    }


async def engine_answer(url: str, stop: asyncio.Event, timeout_s: float) -> dict[str, Any]:
    """B3 without a GUI: a real :class:`Session` and :class:`Dispatcher` answer until ``stop``.

    Separates the engine's share of the answer latency from what the GUI process adds.

    Returns:
        Calls seen and answered, and the in-app latency (call frame read → answer written).
    """
    # Imported here: the ingest benchmark (B1) must not pay for the responders' imports.
    from navtalk_desktop.core.calls.book import CallState
    from navtalk_desktop.core.calls.dispatcher import DispatchMode
    from navtalk_desktop.core.responders.factory import ResponderFactory
    from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
    from tests.benchmarks.answers import benchmark_toolset, in_app_answer_latencies
    from tests.benchmarks.measure import Distribution

    # As in the app: expressions run in killable workers (started only if a step needs one).
    sandbox = ProcessExpressionSandbox()
    engine = bench_engine(
        url,
        responders=lambda: ResponderFactory(sandbox=sandbox),
        toolset=benchmark_toolset(),
        answer_mode=DispatchMode.AUTO,
        desk=False,
    )
    await connect_engine(engine, lambda _event: None)
    try:
        async with asyncio.timeout(timeout_s):
            await stop.wait()
    finally:
        await engine.close()
        await sandbox.close()
    timeline = engine.timeline
    calls = list(engine.calls)
    in_app = in_app_answer_latencies(timeline)
    return {
        "calls": len(calls),
        "calls_answered": sum(1 for call in calls if call.state is CallState.ANSWERED),
        "in_app_latency": Distribution.of(in_app).to_json() if in_app else None,
        "timeline_rows": len(timeline),
    }
