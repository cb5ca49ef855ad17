"""One simulated NavTalk v2 session: handshake, config, turns, calls, audio, faults, load."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import random
import string
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.simulator.audio import EnergyVad, Speaker, VadEventKind, ms_to_bytes
from navtalk_desktop.simulator.brain import Brain, ReplyPlan, ToolCallPlan
from navtalk_desktop.simulator.client_content import decode_content, message_text, parse_tools
from navtalk_desktop.simulator.config import SimulatorConfig
from navtalk_desktop.simulator.faults import (
    CALL_SHAPE_FAULTS,
    SERVICE_STOPS,
    FaultKind,
    FaultSpec,
    FaultTrigger,
    ServiceStop,
)
from navtalk_desktop.simulator.load import LoadFrames, LoadSpec
from navtalk_desktop.simulator.media.link import SessionMedia
from navtalk_desktop.simulator.roster import AvatarMatch
from navtalk_desktop.simulator.scenario import fill
from navtalk_desktop.simulator.session_log import SessionLog
from navtalk_desktop.simulator.signaling import ice_servers
from navtalk_desktop.simulator.timings import Delay, pick

log = logging.getLogger(__name__)

_ALNUM = string.ascii_letters + string.digits
_MALFORMED = '{"type":"realtime.response.audio_transcript.delta","data":{"id":"resp_'
# Faults that shape frames instead of happening at a moment.
_MODIFIERS = CALL_SHAPE_FAULTS | {FaultKind.DELAY_SESSION_UPDATED}
_SECRET_PARAMS = frozenset({"license", "apikey", "api_key", "token", "key"})
# Why a frame nested deeper than json.loads goes is ignored (as the session log says).
_TOO_DEEP = "nested too deeply"


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


_Handler = Callable[["SimulatedSession", dict[str, Any], dict[str, Any]], Awaitable[None]]


class SimulatedSession:
    """Plays the NavTalk server for one WebSocket connection.

    The reader loop handles every client frame in order; everything that takes time
    (handshake pacing, responses, timers, load) runs in tasks the session owns and
    cancels when the socket closes.

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

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Serve the connection until it closes; never raises for client behaviour."""
        match = self._opts.match
        self._log.note(
            self.id,
            "session.open",
            path=self._opts.path,
            avatar=match.avatar.name if match else None,
            faults=[str(f) for f in self._opts.faults],
        )
        self._spawn(self._handshake(), "handshake")
        try:
            async for message in self._conn:
                try:
                    await self._on_message(message)
                except ConnectionClosed:
                    raise
                except Exception as exc:
                    # Whatever a client sends, the session reads on (a bug shows in the log).
                    log.exception("simulator session %s: a frame failed", self.id)
                    self._log.note(self.id, "simulator.error", error=repr(exc)[:500])
        except ConnectionClosed:
            pass
        finally:
            self._ended = True
            tasks = [task for task in self._tasks if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.media.close()
            self._note_unanswered()
            self._log.note(
                self.id,
                "session.closed",
                code=self._conn.close_code,
                reason=self._conn.close_reason,
            )

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

    # ------------------------------------------------------------------ handshake

    async def _handshake(self) -> None:
        timings = self._cfg.timings
        await self._sleep(timings.connect_latency)
        if self._opts.refusal is not None:
            await self._send(
                {"type": "conversation.connected.fail", "data": {}, "message": self._opts.refusal}
            )
            await self._close(self._cfg.fail_close_code, self._opts.refusal)
            return
        if self._opts.limit_exceeded:
            await self._stop_service(SERVICE_STOPS[FaultKind.CONNECTION_LIMIT_EXCEEDED])
            return
        if await self._fire_all(FaultTrigger.CONNECT):
            return
        match = self._opts.match
        assert match is not None
        await self._send(
            {
                "type": "conversation.connected.success",
                "data": {"sessionId": self.id, "iceServers": ice_servers(self._opts.host)},
            }
        )
        if match.duplicates > 1:
            await self._send(
                {
                    "type": "conversation.connected.warning",
                    "data": {"avatarId": match.avatar.id},
                    "message": (
                        f"{match.duplicates} avatars are named {match.avatar.name}; using the "
                        f"most recently updated one ({match.avatar.id})"
                    ),
                }
            )
        self._spawn(self._offer(), "offer")
        try:
            await asyncio.wait_for(self._config_received.wait(), timings.config_grace)
        except TimeoutError:
            self._log.note(self.id, "config.none", waited_s=timings.config_grace)
        await self._send({"type": "realtime.session.created", "data": {}})
        await self._sleep(timings.session_updated_delay)
        for fault in self._opts.faults:
            if fault.kind is FaultKind.DELAY_SESSION_UPDATED:
                self._log.note(self.id, "fault", fault=str(fault))
                await asyncio.sleep(fault.seconds)
        await self._send({"type": "realtime.session.updated", "data": {}})
        self._ready = True
        if await self._fire_all(FaultTrigger.READY):
            return
        for fault in self._opts.faults:
            if fault.trigger is FaultTrigger.AFTER and fault.kind not in _MODIFIERS:
                self._spawn(self._fault_later(fault), f"fault-{fault.kind.value}")
        if timings.max_session is not None:
            self._spawn(self._session_timer(timings.max_session), "max-session")
        if self._opts.load is not None:
            self._spawn(self._stream_load(self._opts.load), "load")

    async def _offer(self) -> None:
        await self._sleep(self._cfg.timings.offer_delay)
        await self.media.send_offer()

    async def _fault_later(self, fault: FaultSpec) -> None:
        await asyncio.sleep(fault.at)
        await self._fire(fault)

    async def _session_timer(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._log.note(self.id, "session.max_duration", seconds=seconds)
        await self._stop_service(SERVICE_STOPS[FaultKind.SESSION_TIMEOUT])

    # ------------------------------------------------------------------ receiving

    async def _on_message(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            self._log.record(self.id, "in", "<binary>", {"bytes": len(message)})
            self._log.note(self.id, "ignored", why="binary frames carry nothing in v2")
            return
        try:
            frame = json.loads(message)
        except (ValueError, RecursionError) as exc:
            # A frame nested deeper than the parser goes is bad JSON like any other.
            if isinstance(exc, json.JSONDecodeError):
                why = exc.msg
            else:
                why = _TOO_DEEP if isinstance(exc, RecursionError) else str(exc)
            self._log.record(self.id, "in", "<invalid json>", message[:2000])
            self._log.note(self.id, "ignored", why=f"not JSON: {why}")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            self._log.record(self.id, "in", "<no type>", frame)
            self._log.note(self.id, "ignored", why="frame has no string 'type'")
            return
        kind = frame["type"]
        self._log.record(self.id, "in", kind, frame)
        handler = self._handlers.get(kind)
        if handler is None:
            # The real server's reaction to unknown types is undocumented: ignore, but say so.
            self._log.note(self.id, "ignored", why=f"unknown type {kind}")
            return
        data = frame.get("data")
        try:
            await handler(self, frame, data if isinstance(data, dict) else {})
        except ConnectionClosed:
            raise
        except Exception as exc:
            # An odd frame must never take the session down: log it and read on.
            log.exception("simulator session %s: handling %s failed", self.id, kind)
            self._log.note(self.id, "simulator.error", type=kind, error=repr(exc))

    async def _on_input_config(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        content = decode_content(data.get("content"))
        if not isinstance(content, dict):
            self._log.note(self.id, "ignored", why="input_config content is not a JSON object")
        else:
            if isinstance(content.get("voice"), str):
                self.voice = content["voice"]
            prompt = content.get("prompt", content.get("instructions"))
            if isinstance(prompt, str):
                self.prompt = prompt
            if "tools" in content:
                self._register_tools(content["tools"], "realtime.input_config")
        self._config_received.set()

    async def _on_input_function_call(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        content = decode_content(data.get("content"))
        if isinstance(content, dict) and "tools" in content:
            content = content["tools"]
        self._register_tools(content, "realtime.input_function_call")
        self._config_received.set()

    async def _on_session_update(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        session = frame.get("session")
        if isinstance(session, dict):
            if isinstance(session.get("voice"), str):
                self.voice = session["voice"]
            if isinstance(session.get("instructions"), str):
                self.prompt = session["instructions"]
            if "tools" in session:
                self._register_tools(session["tools"], "session.update")
        self._config_received.set()

    def _register_tools(self, value: object, source: str) -> None:
        tools, problems = parse_tools(value)
        for problem in problems:
            self._log.note(self.id, "tool.ignored", source=source, why=problem)
        for tool in tools:
            self._tools[tool.name] = tool
        match = self._opts.match
        if match is not None and not match.avatar.supports_tools and tools:
            self._log.note(
                self.id,
                "tools.ignored",
                why=f"{match.avatar.provider} avatars take tools from their own dashboard",
                tools=[tool.name for tool in tools],
            )
        else:
            self._log.note(self.id, "tools.registered", source=source, tools=list(self._tools))

    async def _on_item_create(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        item = frame.get("item", data.get("item"))
        if not isinstance(item, dict):
            self._log.note(self.id, "ignored", why="conversation.item.create without an item")
            return
        if item.get("type") == "function_call_output":
            await self._on_result(item.get("call_id"), item.get("output"), False, "item")
            return
        if item.get("type", "message") != "message":
            self._log.note(self.id, "ignored", why=f"item type {item.get('type')}")
            return
        text = message_text(item)
        if item.get("role") != "user":
            self._log.note(self.id, "history.other_role", role=item.get("role"), text=text)
            return
        if not self._ready:
            self.history.append(text)
            self._log.note(self.id, "history", text=text)
        else:
            self._pending_text = text

    async def _on_response_create(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        if self._awaiting_reply:
            calls, self._awaiting_reply = self._awaiting_reply, []
            self._start_response(lambda: self._follow_up(calls), "follow-up")
        elif self._pending_text is not None:
            text, self._pending_text = self._pending_text, None
            self._start_response(lambda: self._turn(text), "turn")
        elif self._ready and not self._responded:
            self._responded = True
            match = self._opts.match
            greeting = self._cfg.scenario.greeting or (match.avatar.first_message if match else "")
            self._start_response(lambda: self._reply(greeting), "greeting")
        else:
            # Never answer twice: nothing new arrived since the last response.
            self._log.note(self.id, "ignored", why="response.create with nothing new to answer")

    async def _on_function_call_output(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        source = data if "call_id" in data else frame
        reply = source.get("reply") in (1, True, "1")
        await self._on_result(source.get("call_id"), source.get("output"), reply, frame["type"])

    async def _on_result(self, call_id: object, output: object, reply: bool, style: str) -> None:
        call = self._calls.get(call_id) if isinstance(call_id, str) else None
        if call is None:
            if self._load_active:
                self._load_results += 1
                return
            self._log.note(self.id, "result.unknown_call", call_id=call_id, style=style)
            return
        if call.answered:
            self._log.note(self.id, "result.duplicate", call_id=call.call_id, style=style)
            return
        call.answered = True
        call.output = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
        call.style = style
        self._log.note(self.id, "result", call_id=call.call_id, style=style, reply=reply)
        if reply:
            self._start_response(lambda: self._follow_up([call]), "follow-up")
        else:
            self._awaiting_reply.append(call)

    async def _on_audio(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        audio = data.get("audio", frame.get("audio"))
        if not self._ready:
            self._early_audio += 1
            if self._early_audio == 1:
                self._log.note(self.id, "ignored", why="audio before realtime.session.updated")
            return
        if not isinstance(audio, str):
            self._log.note(self.id, "ignored", why="audio append without base64 'audio'")
            return
        try:
            pcm = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            self._log.note(self.id, "ignored", why="audio is not valid base64")
            return
        for event in self._vad.feed(pcm):
            if event.kind is VadEventKind.STARTED:
                await self._send({"type": "realtime.input_audio_buffer.speech_started", "data": {}})
                self._interrupt()
            else:
                await self._send({"type": "realtime.input_audio_buffer.speech_stopped", "data": {}})
                self._spawn(self._transcribe(), "transcription")

    async def _on_audio_commit(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        if self._vad.in_speech:
            self._vad.reset()
            await self._send({"type": "realtime.input_audio_buffer.speech_stopped", "data": {}})
            self._spawn(self._transcribe(), "transcription")

    async def _on_audio_clear(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        self._vad.reset()

    async def _on_input_text(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        text = data.get("content", data.get("text"))
        if isinstance(text, str) and text.strip() and self._ready:
            self._start_response(lambda: self._turn(text), "turn")
        else:
            self._log.note(self.id, "ignored", why="input_text without text, or before ready")

    async def _on_input_image(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        match = self._opts.match
        if match is not None and not match.avatar.supports_tools:
            self._log.note(self.id, "ignored", why=f"{match.avatar.provider} avatars ignore images")
            return
        if data.get("reply") in (1, True, "1") and self._ready:
            self._start_response(lambda: self._reply("I can see the picture you sent."), "image")

    async def _on_signaling_offer(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        await self.media.on_offer(data)

    async def _on_signaling_answer(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        await self.media.on_answer(data)

    async def _on_signaling_candidate(self, frame: dict[str, Any], data: dict[str, Any]) -> None:
        await self.media.on_candidate(data)

    _handlers: ClassVar[dict[str, _Handler]] = {
        "realtime.input_config": _on_input_config,
        "realtime.input_function_call": _on_input_function_call,
        "session.update": _on_session_update,
        "conversation.item.create": _on_item_create,
        "response.create": _on_response_create,
        "realtime.function_call_output": _on_function_call_output,
        "realtime.input_audio_buffer.append": _on_audio,
        "input_audio_buffer.append": _on_audio,
        "realtime.input_audio_buffer.commit": _on_audio_commit,
        "input_audio_buffer.commit": _on_audio_commit,
        "realtime.input_audio_buffer.clear": _on_audio_clear,
        "input_audio_buffer.clear": _on_audio_clear,
        "realtime.input_text": _on_input_text,
        "realtime.input_image": _on_input_image,
        "webrtc.signaling.offer": _on_signaling_offer,
        "webrtc.signaling.answer": _on_signaling_answer,
        "webrtc.signaling.iceCandidate": _on_signaling_candidate,
    }

    # ------------------------------------------------------------------ turns

    def _start_response(self, factory: Callable[[], Awaitable[None]], what: str) -> None:
        self._responded = True
        self._spawn(self._serialised(factory), what)

    async def _serialised(self, factory: Callable[[], Awaitable[None]]) -> None:
        # One response at a time, in request order, like the upstream model.
        async with self._response_lock:
            if self._ended:
                return
            self._response_task = asyncio.current_task()
            try:
                await factory()
            finally:
                self._response_task = None

    def _interrupt(self) -> None:
        self.media.hush()  # the voice may still be playing after the deltas were all sent
        if self._response_task is not None and not self._response_task.done():
            self._barge_in = True
            self._response_task.cancel()

    async def _transcribe(self) -> None:
        await self._sleep(self._cfg.timings.transcription_delay)
        transcripts = self._cfg.scenario.speech_transcripts
        text = transcripts[self._utterances % len(transcripts)]
        self._utterances += 1
        await self._send(
            {
                "type": "realtime.conversation.item.input_audio_transcription.completed",
                "data": {"content": text},
            }
        )
        self._start_response(lambda: self._turn(text), "turn")

    async def _turn(self, text: str) -> None:
        self._turns += 1
        if await self._fire_all(FaultTrigger.TURN, self._turns):
            return
        match = self._opts.match
        plan = self._brain.decide(
            text,
            self.tools,
            tools_enabled=match is not None and match.avatar.supports_tools,
        )
        self._log.note(self.id, "turn", text=text, plan=_describe(plan))
        await self._sleep(self._cfg.timings.response_latency)
        if isinstance(plan, ToolCallPlan):
            await self._call(plan)
        else:
            await self._speak(plan.text)

    async def _reply(self, text: str) -> None:
        await self._sleep(self._cfg.timings.response_latency)
        await self._speak(text)

    async def _follow_up(self, calls: list[SimCall]) -> None:
        template = self._cfg.scenario.result_reply
        text = " ".join(fill(template, {"output": c.output, "name": c.name}) for c in calls)
        await self._reply(text)

    async def _call(self, plan: ToolCallPlan) -> None:
        self._call_count += 1
        ordinal = self._call_count
        shape = {
            f.kind
            for f in self._opts.faults
            if f.kind in (FaultKind.ARGUMENTS_AS_STRING, FaultKind.MISSING_FUNCTION_NAME)
            and f.fires_on(FaultTrigger.CALL, ordinal)
        }
        as_string = (
            plan.arguments_as_string
            if plan.arguments_as_string is not None
            else self._opts.arguments_as_string or FaultKind.ARGUMENTS_AS_STRING in shape
        )
        omit_name = plan.omit_function_name or FaultKind.MISSING_FUNCTION_NAME in shape
        call_id = self._new_id("call_", 16)
        arguments_json = json.dumps(plan.arguments, ensure_ascii=False)
        call = SimCall(call_id, plan.name, plan.arguments)
        self._calls[call_id] = call
        if self._cfg.emit_argument_deltas:
            step = max(1, len(arguments_json) // 3 + 1)
            for start in range(0, len(arguments_json), step):
                await self._send(
                    {
                        "type": "realtime.response.function_call_arguments.delta",
                        "data": {"call_id": call_id, "delta": arguments_json[start : start + step]},
                    }
                )
        data: dict[str, Any] = {
            "function_name": plan.name,
            "call_id": call_id,
            "arguments": arguments_json if as_string else plan.arguments,
        }
        if omit_name:
            del data["function_name"]
        raw = {
            "type": "response.function_call_arguments.done",
            "event_id": self._new_id("event_", 21),
            "response_id": self._new_id("resp_", 21),
            "item_id": self._new_id("item_", 21),
            "output_index": 0,
            "call_id": call_id,
            "name": plan.name,
            "arguments": arguments_json,
        }
        await self._send(
            {
                "type": "realtime.response.function_call_arguments.done",
                "data": data,
                "raw_data": raw,
            }
        )
        if self._cfg.timings.call_timeout is not None:
            self._spawn(self._call_timer(call, self._cfg.timings.call_timeout), "call-timeout")
        await self._fire_all(FaultTrigger.CALL, ordinal)

    async def _call_timer(self, call: SimCall, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if not call.answered:
            # Only logged: the real service keeps the session up without a result.
            self._log.note(self.id, "call.timeout", call_id=call.call_id, seconds=seconds)

    async def _speak(self, text: str) -> None:
        """Stream one spoken response: transcript deltas interleaved with audio deltas."""
        response_id = self._new_id("resp_", 21)
        timings = self._cfg.timings
        pcm = await self._speaker.speak(text)
        words = text.split()
        groups: list[str] = []
        while words:
            size = min(len(words), self._rng.randint(1, 3))
            groups.append(" ".join(words[:size]))
            words = words[size:]
        total_chars = sum(len(g) for g in groups) or 1
        chunk = ms_to_bytes(timings.audio_chunk_ms)
        sent_audio = 0
        spoken: list[str] = []
        done_chars = 0
        self._barge_in = False
        try:
            for index, group in enumerate(groups):
                piece = (" " if index else "") + group
                await self._send(
                    {
                        "type": "realtime.response.audio_transcript.delta",
                        "data": {"id": response_id, "content": piece},
                    }
                )
                spoken.append(piece)
                done_chars += len(group)
                last = index == len(groups) - 1
                until = len(pcm) if last else len(pcm) * done_chars // total_chars
                while sent_audio < until and (last or sent_audio + chunk <= until):
                    part = pcm[sent_audio : sent_audio + chunk]
                    sent_audio += len(part)
                    await self._send(
                        {
                            "type": "realtime.response.audio.delta",
                            "data": {"delta": base64.b64encode(part).decode("ascii")},
                        }
                    )
                    self.media.say(part)  # the WebRTC voice, with the deltas' timing
                if not last:
                    await self._sleep(timings.delta_interval)
            await self._finish_response(response_id, text)
        except asyncio.CancelledError:
            if self._barge_in and not self._ended:
                self._barge_in = False
                self._log.note(self.id, "response.interrupted", id=response_id)
                if self._cfg.finish_cancelled_responses:
                    await self._finish_response(response_id, "".join(spoken))
            raise

    async def _finish_response(self, response_id: str, text: str) -> None:
        await self._send({"type": "realtime.response.audio.done", "data": {}})
        await self._send(
            {
                "type": "realtime.response.audio_transcript.done",
                "data": {"id": response_id, "content": text},
            }
        )
        if self._cfg.emit_response_completed:
            await self._send({"type": "realtime.response.completed", "data": {"id": response_id}})

    def _note_unanswered(self) -> None:
        open_calls = [c.call_id for c in self._calls.values() if not c.answered]
        if open_calls:
            self._log.note(self.id, "calls.unanswered", call_ids=open_calls)

    # ------------------------------------------------------------------ load

    async def _stream_load(self, spec: LoadSpec) -> None:
        """Stream the load-mode mix; frames are counted, not logged one by one."""
        self._load_active = True
        frames = LoadFrames(spec.call_every, seed=self._rng.randrange(2**32))
        source = iter(frames)
        send = self._conn.send
        limit = spec.frames
        started = time.perf_counter()
        sent = 0
        self._log.note(self.id, "load.start", rate=spec.rate or "max", frames=limit)
        try:
            if spec.rate is None:
                while limit is None or sent < limit:
                    await send(next(source))
                    sent += 1
                    if sent % 256 == 0:
                        await asyncio.sleep(0)  # let the reader see a close
            else:
                rate = spec.rate
                while limit is None or sent < limit:
                    due = int((time.perf_counter() - started) * rate) + 1
                    if limit is not None:
                        due = min(due, limit)
                    while sent < due:
                        await send(next(source))
                        sent += 1
                    wait = (sent / rate) - (time.perf_counter() - started)
                    await asyncio.sleep(max(wait, 0.001))
        finally:
            elapsed = time.perf_counter() - started
            self._log.note(
                self.id,
                "load.end",
                frames=sent,
                audio_frames=frames.audio_frames,
                calls=frames.calls,
                results=self._load_results,
                seconds=round(elapsed, 3),
            )


def _describe(plan: ToolCallPlan | ReplyPlan) -> dict[str, Any]:
    if isinstance(plan, ToolCallPlan):
        return {"tool": plan.name, "arguments": plan.arguments}
    return {"reply": plan.text}
