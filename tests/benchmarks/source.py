"""The load source: the built-in simulator's load mode, with a probe on function calls.

B3 measures answer latency *at the simulator*: from the moment it hands a
``function_call_arguments.done`` frame to its socket to the moment the matching
``function_call_output`` arrives back. The simulator has no public hook for that, so
:class:`ProbedSimulator` wraps each accepted connection before the simulated session
sees it: ``send`` timestamps outgoing call frames and iteration timestamps incoming
outputs. Everything else passes through unchanged, except in *small-frame* mode (B2's
"≥ 20,000 small frames/s"): the load mode has no small mix, so the wrapper swaps each
100 ms audio delta (6,400 base64 characters) for a 2 ms one (128 characters), keeping the
simulator's pacing, transcript deltas and calls.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.server import ServerConnection

from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.load import LoadSpec
from navtalk_desktop.simulator.server import SimulatorServer
from navtalk_desktop.simulator.session_log import LogEntry
from tests.benchmarks.measure import CALL_TYPE

BENCH_LICENSE = "sk_navtalk_bench"
BENCH_AVATAR = "navtalk.Emily"
_OUTPUT_MARK = "function_call_output"
_AUDIO_PREFIX = '{"type":"realtime.response.audio.delta"'
# 2 ms of silent PCM16 at 24 kHz: 96 bytes, 128 base64 characters.
SMALL_AUDIO_FRAME = json.dumps(
    {
        "type": "realtime.response.audio.delta",
        "data": {"delta": base64.b64encode(bytes(96)).decode("ascii")},
    },
    separators=(",", ":"),
)


@dataclass(slots=True)
class CallProbe:
    """Send and answer times (``time.perf_counter``) of load-mode calls, by ``call_id``.

    Attributes:
        sent: when each call frame was handed to the socket.
        answered: when its first output frame arrived.
        load_ends: the simulator's ``load.end`` notes (frames, audio frames, calls, seconds).
        load_done: set when a load stream ended.
        settled: set whenever every call sent so far has been answered.
    """

    sent: dict[str, float] = field(default_factory=dict)
    answered: dict[str, float] = field(default_factory=dict)
    load_ends: list[dict[str, Any]] = field(default_factory=list)
    load_done: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        """Forget everything measured so far."""
        self.sent.clear()
        self.answered.clear()
        self.load_ends.clear()
        self.load_done.clear()
        self.settled.set()

    def load_ended(self, note: dict[str, Any]) -> None:
        """Record a ``load.end`` note."""
        self.load_ends.append(note)
        self.load_done.set()

    def latencies(self) -> list[float]:
        """Answer latency of every answered call, in seconds, in sending order."""
        sent = sorted(self.sent.items(), key=lambda item: item[1])
        return [self.answered[cid] - at for cid, at in sent if cid in self.answered]

    def unanswered(self) -> int:
        """Calls sent but not (yet) answered."""
        return sum(1 for cid in self.sent if cid not in self.answered)

    def call_sent(self, frame: str) -> None:
        """Record a call frame about to be sent."""
        now = time.perf_counter()
        call_id = _call_id_of_call(frame)
        if call_id is not None:
            self.sent.setdefault(call_id, now)
            self.settled.clear()

    def output_received(self, frame: str) -> None:
        """Record an output frame that just arrived."""
        now = time.perf_counter()
        call_id = _call_id_of_output(frame)
        if call_id is not None:
            self.answered.setdefault(call_id, now)
            if len(self.answered) >= len(self.sent) and not self.unanswered():
                self.settled.set()


def _call_id_of_call(frame: str) -> str | None:
    try:
        data = json.loads(frame).get("data") or {}
    except (ValueError, AttributeError):
        return None
    call_id = data.get("call_id") if isinstance(data, dict) else None
    return call_id if isinstance(call_id, str) else None


def _call_id_of_output(frame: str) -> str | None:
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    for holder in (message.get("item"), message.get("data"), message):
        if isinstance(holder, dict) and isinstance(holder.get("call_id"), str):
            return str(holder["call_id"])
    return None


class _ProbedConnection:
    """A server connection whose call frames and outputs are timestamped on the way."""

    def __init__(self, connection: ServerConnection, probe: CallProbe, small: bool) -> None:
        self._connection = connection
        self._probe = probe
        self._small = small

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def send(self, message: Any) -> None:
        # Load frames are pre-encoded strings; only call frames carry this type near the start.
        if isinstance(message, str):
            if self._small and message.startswith(_AUDIO_PREFIX):
                message = SMALL_AUDIO_FRAME
            elif CALL_TYPE in message[:80]:
                self._probe.call_sent(message)
        await self._connection.send(message)

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        async for message in self._connection:
            if isinstance(message, str) and _OUTPUT_MARK in message:
                self._probe.output_received(message)
            yield message


class ProbedSimulator(SimulatorServer):
    """The real :class:`SimulatorServer` with a :class:`CallProbe` on every connection.

    Args:
        config: simulator configuration (``SimulatorConfig.fast()`` plus a load spec).
        small_frames: replace every 100 ms audio delta by a 2 ms one.

    Attributes:
        probe: call timestamps and ``load.end`` notes of every connection.
    """

    def __init__(self, config: SimulatorConfig, *, small_frames: bool = False) -> None:
        super().__init__(config)
        self.small_frames = small_frames
        self.probe = CallProbe()
        self.session_log.add_listener(self._on_log_entry)

    async def _handle(self, connection: ServerConnection) -> None:
        # WORKAROUND: SimulatorServer has no public per-frame hook; wrapping the accepted
        # connection is the least invasive way to timestamp frames at the simulator.
        await super()._handle(_ProbedConnection(connection, self.probe, self.small_frames))  # type: ignore[arg-type]

    def _on_log_entry(self, entry: LogEntry) -> None:
        if entry.direction == "note" and entry.type == "load.end" and isinstance(entry.frame, dict):
            self.probe.load_ended(dict(entry.frame))

    def load_url(self, **params: str | int) -> str:
        """The WebSocket URL (with the bench license) for a load-mode session."""
        query = {"license": BENCH_LICENSE, "name": BENCH_AVATAR, **params}
        return f"{self.ws_url}?{urlencode(query)}"


def source_config(*, rate: float | None = None, call_every: int = 200) -> SimulatorConfig:
    """A fast simulator whose every session streams the load mix (URL may override)."""
    return SimulatorConfig(
        timings=SimulatorConfig.fast().timings,
        speech="tone",
        load=LoadSpec(rate=rate, frames=None, call_every=call_every),
        # Thousands of calls must not fill the log ring with ids we never read.
        log_capacity=10_000,
        # The load benchmarks measure frames, not the avatar's WebRTC media.
        media=False,
    )
