"""Baselines: what the same work costs with nothing of ours in the way.

* :func:`bare_ingest` — a bare ``websockets`` client that only ``json.loads`` each frame
  (B1, B2).
* :func:`bare_bot` — a bare ``websockets`` bot that parses each frame and answers every
  function call with a fixed output, as the static responder does (B3).

Both speak just enough of the protocol for the simulator's load mode to start: the
simulator sends ``session.updated`` after a short grace period even without a config.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.benchmarks.measure import CALL_TYPE, LOAD_TYPE_PREFIX, rss_bytes

MAX_FRAME_BYTES = 16 * 1024 * 1024
STATIC_OUTPUT = '{"verdict": "ok", "source": "benchmark"}'


async def read_load_frames(ws: ClientConnection, frames: int) -> tuple[int, float, float]:
    """Read ``ws`` until ``frames`` load frames came, ``json.loads``-ing every frame.

    Returns:
        Load frames counted, and the ``time.monotonic()`` of the first and of the last
        (0.0 while not reached: the stream ended first).
    """
    counted = 0
    first = last = 0.0
    async for message in ws:
        frame = json.loads(message)
        if frame.get("type", "").startswith(LOAD_TYPE_PREFIX):
            counted += 1
            if counted == 1:
                first = time.monotonic()
            if counted >= frames:
                last = time.monotonic()
                break
    return counted, first, last


async def bare_ingest(url: str, frames: int) -> dict[str, Any]:
    """Receive ``frames`` load frames, ``json.loads`` each; time first to last.

    Returns:
        ``frames`` counted, ``seconds`` between the first and the last load frame,
        ``fps``, and RSS before and after.
    """
    rss_start = rss_bytes()
    async with connect(url, max_size=MAX_FRAME_BYTES, ping_interval=None, proxy=None) as ws:
        counted, first, last = await read_load_frames(ws, frames)
    seconds = last - first
    return {
        "frames": counted,
        "seconds": seconds,
        # The first frame starts the clock, so frames - 1 intervals were timed.
        "fps": (counted - 1) / seconds if seconds > 0 else None,
        "rss_start": rss_start,
        "rss_end": rss_bytes(),
    }


async def bare_bot(url: str, stop: asyncio.Event) -> dict[str, Any]:
    """Answer every call with :data:`STATIC_OUTPUT` + ``response.create`` until ``stop``.

    Returns:
        How many frames arrived and how many calls were answered.
    """
    received = answered = 0
    async with connect(url, max_size=MAX_FRAME_BYTES, ping_interval=None, proxy=None) as ws:
        closer = asyncio.create_task(_close_when(stop, ws.close))
        try:
            async for message in ws:
                frame = json.loads(message)
                received += 1
                if frame.get("type") != CALL_TYPE:
                    continue
                data = frame.get("data") or {}
                call_id = data.get("call_id") or (frame.get("raw_data") or {}).get("call_id")
                item = {"type": "function_call_output", "call_id": call_id, "output": STATIC_OUTPUT}
                await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
                await ws.send('{"type": "response.create"}')
                answered += 1
        finally:
            closer.cancel()
    return {"received": received, "answered": answered}


async def _close_when(stop: asyncio.Event, close: Callable[[], Awaitable[None]]) -> None:
    await stop.wait()
    await close()
