"""The state of one simulated session and what every part of it uses: tasks, sending, faults.

``SessionCore`` holds a connection's state; the turns (``session_turns``) and the reader and
handshake (``session``) build on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import string
from collections.abc import Awaitable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.simulator.audio import EnergyVad, Speaker
from navtalk_desktop.simulator.brain import Brain
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.faults import (
    CALL_SHAPE_FAULTS,
    SERVICE_STOPS,
    FaultKind,
    FaultSpec,
    FaultTrigger,
    ServiceStop,
)
from navtalk_desktop.simulator.load import LoadSpec
from navtalk_desktop.simulator.media.link import SessionMedia
from navtalk_desktop.simulator.roster import AvatarMatch
from navtalk_desktop.simulator.session_log import SessionLog
from navtalk_desktop.simulator.timings import Delay, pick

log = logging.getLogger(__name__)

_ALNUM = string.ascii_letters + string.digits
_MALFORMED = '{"type":"realtime.response.audio_transcript.delta","data":{"id":"resp_'
# Faults that shape frames instead of happening at a moment.
_MODIFIERS = CALL_SHAPE_FAULTS | {FaultKind.DELAY_SESSION_UPDATED}
_SECRET_PARAMS = frozenset({"license", "apikey", "api_key", "token", "key"})


def masked_path(path: str) -> str:
    """The request path with the license (and anything key-like) replaced by ``***``."""
    parts = urlsplit(path)
    query = [
        (key, "***" if key.lower() in _SECRET_PARAMS else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return parts.path + ("?" + urlencode(query, safe="*.") if query else "")


@dataclass(slots=True)
class SimCall:
    """A function call the simulator made.

    Attributes:
        call_id: ``call_`` + 16 alphanumerics.
        name: function name.
        arguments: arguments object.
        answered: a result arrived (a second one is ignored).
        output: the result text.
        style: how the result arrived (message type).
    """

    call_id: str
    name: str
    arguments: dict[str, Any]
    answered: bool = False
    output: str = ""
    style: str = ""


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """What the server decided about one connection before the session starts.

    Attributes:
        session_id: ``sessionId`` sent in ``connected.success``.
        seed: seed of the session's random generator.
        match: the avatar, or ``None`` when the connection is refused.
        refusal: ``connected.fail`` message (invalid license, no avatar, bad option).
        limit_exceeded: send ``connection_limit_exceeded`` instead of success.
        faults: faults of this session (configured + ``fault`` query parameters).
        load: load mode of this session.
        arguments_as_string: encode arguments as a JSON string.
        host: the simulator's host, for ICE servers and SDP candidates.
        path: the request path, license masked.
        media: real WebRTC media (else canned SDPs).
    """

    session_id: str
    seed: str
    match: AvatarMatch | None
    refusal: str | None = None
    limit_exceeded: bool = False
    faults: tuple[FaultSpec, ...] = ()
    load: LoadSpec | None = None
    arguments_as_string: bool = False
    host: str = "127.0.0.1"
    path: str = ""
    media: bool = False


class SessionCore:
    """The state of one simulated connection and the helpers every part of the session uses.

    Args:
        connection: the accepted websockets connection.
        config: server configuration.
        options: per-connection decisions (avatar, faults, load …).
        session_log: where every frame and decision is recorded.
        speaker: text-to-PCM for responses.
    """

    def __init__(
        self,
        connection: ServerConnection,
        config: SimulatorConfig,
        options: SessionOptions,
        session_log: SessionLog,
        speaker: Speaker,
    ) -> None:
        self.id = options.session_id
        self._conn = connection
        self._cfg = config
        self._opts = options
        self._log = session_log
        self._speaker = speaker
        self._rng = random.Random(options.seed)
        self._brain = Brain(config.scenario)
        timings = config.timings
        self._vad = EnergyVad(
            timings.vad_threshold,
            timings.vad_prefix_ms,
            timings.vad_silence_ms,
            timings.vad_min_speech_ms,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._config_received = asyncio.Event()
        self._response_lock = asyncio.Lock()
        self._response_task: asyncio.Task[None] | None = None
        self._barge_in = False
        self._ready = False
        self._ended = False
        self._load_active = False
        self._load_results = 0
        self._early_audio = 0
        self._tools: dict[str, ToolDefinition] = {}
        self.voice: str | None = None
        self.prompt: str | None = None
        self.history: list[str] = []
        self._pending_text: str | None = None
        self._responded = False
        self._calls: dict[str, SimCall] = {}
        self._awaiting_reply: list[SimCall] = []
        self._turns = 0
        self._call_count = 0
        self._utterances = 0
        self.media = SessionMedia(
            session_id=self.id,
            host=options.host,
            avatar=options.match.avatar if options.match else None,
            enabled=options.media,
            send=self._send,
            note=lambda kind, **fields: self._log.note(self.id, kind, **fields),
        )

    @property
    def tools(self) -> list[ToolDefinition]:
        """Tools the client registered (an ElevenLabs avatar records but never calls them)."""
        return list(self._tools.values())

    @property
    def calls(self) -> dict[str, SimCall]:
        """Every call made in this session, by ``call_id``."""
        return dict(self._calls)

    def _spawn(self, coro: Coroutine[Any, Any, None], what: str) -> asyncio.Task[None]:
        task = asyncio.create_task(self._guard(coro, what), name=f"sim-{self.id[:8]}-{what}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, coro: Awaitable[None], what: str) -> None:
        try:
            await coro
        except ConnectionClosed:
            pass  # the client left; nothing to tell it
        except Exception as exc:
            # A simulator bug must show up in the log, not silently end the task.
            log.exception("simulator session %s: %s failed", self.id, what)
            self._log.note(self.id, "simulator.error", task=what, error=repr(exc))

    async def _sleep(self, delay: Delay) -> None:
        seconds = pick(delay, self._rng)
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _new_id(self, prefix: str, length: int) -> str:
        return prefix + "".join(self._rng.choices(_ALNUM, k=length))

    # ------------------------------------------------------------------ sending

    async def _send(self, event: dict[str, Any]) -> None:
        await self._conn.send(json.dumps(event, ensure_ascii=False))
        self._log.record(self.id, "out", str(event["type"]), event)

    async def _close(self, code: int, reason: str) -> None:
        self._ended = True
        # Close reasons are limited to 123 bytes by RFC 6455.
        await self._conn.close(code, reason.encode()[:123].decode(errors="ignore"))

    async def _stop_service(self, stop: ServiceStop) -> None:
        await self._send({"type": stop.event_type, "data": {}, "message": stop.message})
        await self._close(stop.close_code, stop.close_reason)

    async def _fire(self, fault: FaultSpec) -> bool:
        """Inject one fault; return whether the session is over."""
        self._log.note(self.id, "fault", fault=str(fault))
        stop = SERVICE_STOPS.get(fault.kind)
        if stop is not None:
            await self._stop_service(stop)
            return True
        if fault.kind is FaultKind.DROP:
            self._ended = True
            # No close frame: the client sees an abnormal closure (1006).
            self._conn.transport.abort()
            return True
        if fault.kind is FaultKind.MALFORMED_FRAME:
            await self._conn.send(_MALFORMED)
            self._log.record(self.id, "out", "<malformed>", _MALFORMED)
        return False

    async def _fire_all(self, trigger: FaultTrigger, ordinal: int = 0) -> bool:
        for fault in self._opts.faults:
            if fault.kind in _MODIFIERS:
                continue
            if fault.fires_on(trigger, ordinal) and await self._fire(fault):
                return True
        return False
