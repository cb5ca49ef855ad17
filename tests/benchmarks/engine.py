"""B1: frames through the session engine and timeline store, no UI (plain asyncio loop)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from navtalk_desktop.core.profile import ConnectionProfile, license_from_url, profile_for_url
from navtalk_desktop.core.session.session import Session
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.infra.ws_transport import WebSocketTransport
from tests.benchmarks.counting import LoadFrameCounter
from tests.benchmarks.measure import rss_bytes


def bench_profile(url: str) -> ConnectionProfile:
    """A profile for ``url`` without its license (profiles never hold one)."""
    return profile_for_url(url, name="Benchmark")[0]


async def engine_ingest(url: str, frames: int, timeout_s: float) -> dict[str, Any]:
    """Connect a real :class:`Session` to ``url`` and time ``frames`` load frames into its timeline.

    Returns:
        ``frames``, ``seconds`` (first to last load frame), ``fps``, RSS before/after.
    """
    rss_start = rss_bytes()
    timeline = Timeline()
    counter = LoadFrameCounter(timeline, frames)
    session = Session(
        bench_profile(url), WebSocketTransport, None, timeline, license=license_from_url(url)
    )
    await session.connect()
    try:
        async with asyncio.timeout(timeout_s):
            await counter.done.wait()
    finally:
        await session.disconnect()
        counter.detach()
    seconds = counter.last - counter.first
    return {
        "frames": counter.count,
        "seconds": seconds,
        "fps": (counter.count - 1) / seconds if seconds > 0 else None,
        "rss_start": rss_start,
        "rss_end": rss_bytes(),
        "timeline_rows": len(timeline),
        "calls": len(session.calls),
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
    from navtalk_desktop.core.calls.dispatcher import Dispatcher
    from tests.benchmarks.answers import benchmark_toolset, in_app_answer_latencies
    from tests.benchmarks.measure import Distribution

    timeline = Timeline()
    session = Session(
        bench_profile(url), WebSocketTransport, None, timeline, license=license_from_url(url)
    )
    from navtalk_desktop.core.responders.factory import ResponderFactory
    from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox

    # As in the app: expressions run in killable workers (started only if a step needs one).
    sandbox = ProcessExpressionSandbox()
    dispatcher = Dispatcher(
        session, benchmark_toolset(), factory=ResponderFactory(sandbox=sandbox), desk=False
    )
    dispatcher.start()
    await session.connect()
    try:
        async with asyncio.timeout(timeout_s):
            await stop.wait()
    finally:
        await session.disconnect()
        await dispatcher.stop()
        await sandbox.close()
    calls = list(session.calls)
    in_app = in_app_answer_latencies(timeline)
    return {
        "calls": len(calls),
        "calls_answered": sum(1 for call in calls if call.state is CallState.ANSWERED),
        "in_app_latency": Distribution.of(in_app).to_json() if in_app else None,
        "timeline_rows": len(timeline),
    }
