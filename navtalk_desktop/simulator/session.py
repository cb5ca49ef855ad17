"""One simulated NavTalk v2 session: handshake, config, turns, calls, audio, faults, load."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from websockets.exceptions import ConnectionClosed

from navtalk_desktop.simulator.audio import VadEventKind
from navtalk_desktop.simulator.client_content import decode_content, message_text, parse_tools
from navtalk_desktop.simulator.faults import SERVICE_STOPS, FaultKind, FaultSpec, FaultTrigger
from navtalk_desktop.simulator.session_core import _MODIFIERS, SessionOptions, masked_path
from navtalk_desktop.simulator.session_turns import SessionTurns
from navtalk_desktop.simulator.signaling import ice_servers

# Re-exported: the server and tests import these from here.
__all__ = ["SessionOptions", "SimulatedSession", "masked_path", "parse_tools"]

log = logging.getLogger(__name__)

# Why a frame nested deeper than json.loads goes is ignored (as the session log says).
_TOO_DEEP = "nested too deeply"

_Handler = Callable[["SimulatedSession", dict[str, Any], dict[str, Any]], Awaitable[None]]


class SimulatedSession(SessionTurns):
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
