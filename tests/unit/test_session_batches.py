"""The session reads frames in batches: order, per-frame isolation, and the end of a session."""

from __future__ import annotations

import asyncio
import logging

import pytest

from navtalk_desktop.core.calls.book import FunctionCall
from navtalk_desktop.core.ports import TransportClosed
from navtalk_desktop.core.profile import ConnectionProfile
from navtalk_desktop.core.session import incoming, protocol
from navtalk_desktop.core.session.reconnect import ReconnectPolicy
from navtalk_desktop.core.session.session import (
    LOCAL_ERROR,
    Session,
    SessionListenerBase,
    SessionState,
)
from navtalk_desktop.core.timeline.timeline import Direction, Timeline

SUCCESS = '{"type":"conversation.connected.success","data":{"sessionId":"s"}}'
UPDATED = '{"type":"realtime.session.updated","data":{}}'
AUDIO = '{"type":"realtime.response.audio.delta","data":{"delta":"' + "QUJD" * 400 + '"}}'
TEXT = '{"type":"realtime.response.audio_transcript.delta","data":{"id":"r","content":"hi"}}'
CALL = (
    '{"type":"realtime.response.function_call_arguments.done","data":{"function_name":"f",'
    '"call_id":"call_%d","arguments":{}}}'
)
CLOSE = '{"type":"conversation.connected.close","data":{"message":"bye"}}'


class BatchTransport:
    """Hands out the batches queued by the test, each as one ``receive_many`` result."""

    def __init__(self) -> None:
        self.batches: asyncio.Queue[list[str | bytes] | None] = asyncio.Queue()
        self.sent: list[str] = []
        self.single_reads = 0

    async def connect(self, url: str, *, open_timeout: float | None = None) -> None:
        return None

    async def send(self, text: str) -> None:
        self.sent.append(text)

    async def receive(self) -> str | bytes:
        self.single_reads += 1
        raise AssertionError("the session reads in batches when it can")

    async def receive_many(self) -> list[str | bytes]:
        batch = await self.batches.get()
        if batch is None:
            raise TransportClosed(1000, "")
        return batch

    async def close(self) -> None:
        self.batches.put_nowait(None)


async def _session(transport: BatchTransport) -> tuple[Session, Timeline]:
    timeline = Timeline()
    no_retry = ReconnectPolicy(max_attempts=0)
    profile = ConnectionProfile(
        name="p", url="ws://127.0.0.1:1/x", answer_deadline_s=None, reconnect=no_retry
    )
    session = Session(profile, lambda: transport, None, timeline, license="k")
    await session.connect()
    return session, timeline


async def _until_calls(session: Session, count: int) -> None:
    arrived = asyncio.Event()

    class Listener(SessionListenerBase):
        def call_received(self, call: FunctionCall) -> None:
            if len(session.calls) >= count:
                arrived.set()

    listener = Listener()
    session.add_listener(listener)
    try:
        if len(session.calls) < count:
            async with asyncio.timeout(5):
                await arrived.wait()
    finally:
        session.remove_listener(listener)


def _received(timeline: Timeline) -> list[str | bytes]:
    return [
        timeline.raw_frame(r) for r in range(len(timeline)) if timeline[r].direction is Direction.IN
    ]


@pytest.mark.asyncio
async def test_a_batch_is_recorded_and_handled_in_order() -> None:
    transport = BatchTransport()
    session, timeline = await _session(transport)
    batch: list[str | bytes] = [SUCCESS, UPDATED, AUDIO, TEXT, b"\x00\x01", CALL % 1, AUDIO, TEXT]
    waiting = asyncio.ensure_future(_until_calls(session, 1))
    await asyncio.sleep(0)
    transport.batches.put_nowait(batch)
    await session.wait_for_state(SessionState.READY, timeout=30)
    await waiting
    assert _received(timeline) == batch
    assert timeline.is_spilled(
        next(r for r in range(len(timeline)) if timeline[r].type == protocol.AUDIO_DELTA)
    )
    call = session.calls.get("call_1")
    assert call is not None
    assert timeline[call.timeline_row].raw == CALL % 1
    assert transport.single_reads == 0
    await session.disconnect()


@pytest.mark.asyncio
async def test_one_bad_frame_or_handler_bug_spares_the_rest_of_the_batch(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = BatchTransport()
    session, timeline = await _session(transport)
    transport.batches.put_nowait([SUCCESS, UPDATED])
    await session.wait_for_state(SessionState.READY, timeout=30)

    real_on_call = incoming.on_call

    def on_call(owner: Session, event: protocol.CallArgumentsDone, *args: object) -> None:
        if event.call_id == "call_2":
            raise RuntimeError("handler bug")
        real_on_call(owner, event, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(incoming, "on_call", on_call)
    real_append = timeline.append

    def append(*args: object, **kwargs: object) -> int:
        if args[2] == TEXT.replace("hi", "boom"):
            raise OSError("disk full")
        return real_append(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(timeline, "append", append)
    batch: list[str | bytes] = [
        "not json",
        CALL % 1,
        CALL % 2,
        TEXT.replace("hi", "boom"),
        CALL % 3,
        AUDIO,
    ]
    with caplog.at_level(logging.ERROR):
        waiting = asyncio.ensure_future(_until_calls(session, 2))
        await asyncio.sleep(0)
        transport.batches.put_nowait(batch)
        await waiting
    assert sorted(c.call_id for c in session.calls) == ["call_1", "call_3"]
    received = _received(timeline)
    assert received[2:] == ["not json", CALL % 1, CALL % 2, CALL % 3, AUDIO]
    errors = [timeline[r].summary for r in range(len(timeline)) if timeline[r].type == LOCAL_ERROR]
    assert any("handler bug" in e for e in errors)
    assert any("disk full" in e for e in errors)
    assert session.state is SessionState.READY
    await session.disconnect()


@pytest.mark.asyncio
async def test_frames_after_the_server_ended_the_session_are_recorded_not_acted_on() -> None:
    transport = BatchTransport()
    session, timeline = await _session(transport)
    transport.batches.put_nowait([SUCCESS, UPDATED, CALL % 1, CLOSE, CALL % 2, TEXT])
    await session.wait_for_state(SessionState.CLOSED, SessionState.FAILED, timeout=30)
    assert _received(timeline)[-3:] == [CLOSE, CALL % 2, TEXT]
    assert [c.call_id for c in session.calls] == ["call_1"]
    assert session.last_change.event_type == "conversation.connected.close"
