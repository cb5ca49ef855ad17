"""What a simulated session says: responses, tool calls, speech and load streams."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from navtalk_desktop.simulator.audio import ms_to_bytes
from navtalk_desktop.simulator.brain import ReplyPlan, ToolCallPlan
from navtalk_desktop.simulator.faults import FaultKind, FaultTrigger
from navtalk_desktop.simulator.load import LoadFrames, LoadSpec
from navtalk_desktop.simulator.scenario import fill
from navtalk_desktop.simulator.session_core import SessionCore, SimCall


class SessionTurns(SessionCore):
    """Turns of a simulated session: answers in words, tool calls, speech, load."""

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
