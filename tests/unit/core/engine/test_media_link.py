"""The engine's media link with a real Session and MediaController (frames pushed in order)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable

import pytest

from navtalk_desktop.core.engine import commands as cmd
from navtalk_desktop.core.engine.engine import Engine
from navtalk_desktop.core.engine.events import EngineEvent, Notice
from navtalk_desktop.core.engine.media_link import (
    AUDIO,
    CONTROL,
    LOCAL_MEDIA,
    VIDEO,
    MediaUpdate,
    coalesce_video,
)
from navtalk_desktop.core.media import (
    AudioChunk,
    IceServer,
    MediaError,
    PeerListener,
    PeerPort,
    StopPlayback,
    VideoFrame,
)
from navtalk_desktop.core.profile import ConnectionProfile
from tests.unit.test_session_engine import UPDATED, QueueTransport

SUCCESS = json.dumps(
    {
        "type": "conversation.connected.success",
        "data": {"sessionId": "s", "iceServers": [{"urls": "stun:127.0.0.1:3478"}]},
    }
)
PCM = b"\x10\x27" * 240  # 10 ms of a loud 24 kHz sample
DELTA = json.dumps(
    {"type": "realtime.response.audio.delta", "data": {"delta": base64.b64encode(PCM).decode()}}
)
SPEECH = '{"type":"realtime.input_audio_buffer.speech_started","data":{}}'
BAD_OFFER = '{"type":"webrtc.signaling.offer","data":{"sdp":42}}'


def _frame(index: int) -> MediaUpdate:
    return MediaUpdate.of(VideoFrame(2, 2, bytes(12), index / 25, index))


def _chunk(index: int) -> MediaUpdate:
    return MediaUpdate.of(AudioChunk(PCM, 24_000, 1, index / 100))


def test_coalescing_keeps_the_last_frame_and_every_voice_chunk() -> None:
    batch: list[EngineEvent] = [_frame(0), _chunk(0), _frame(1), _chunk(1), _frame(2)]
    kept = coalesce_video(batch)
    assert [e.stream for e in kept if isinstance(e, MediaUpdate)] == [AUDIO, AUDIO, VIDEO]
    assert kept[-1] is batch[-1]
    assert coalesce_video([_chunk(0)]) == [_chunk(0)]


class _Stream:
    def __init__(self) -> None:
        self.events: list[EngineEvent] = []
        self.changed = asyncio.Event()

    def __call__(self, event: EngineEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def media(self) -> list[object]:
        return [e.value for e in self.events if isinstance(e, MediaUpdate)]

    async def until(self, condition: Callable[[], object]) -> None:
        async with asyncio.timeout(5):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


def _never_built(servers: tuple[IceServer, ...], listener: PeerListener) -> PeerPort:
    raise AssertionError("a malformed offer must not build a peer")


async def _connected(peers: object) -> tuple[Engine, QueueTransport, _Stream]:
    transport = QueueTransport()
    engine = Engine(
        profile=ConnectionProfile(name="p", url="ws://127.0.0.1:1/x", reconnect=False),
        transport_factory=lambda: transport,
        secrets=None,
        license="sk_navtalk_unit",
        media_peers=peers,  # type: ignore[arg-type]
    )
    stream = _Stream()
    engine.attach(stream)
    await engine.handle(cmd.Connect())
    transport.inbox.put_nowait(SUCCESS)
    transport.inbox.put_nowait(UPDATED)
    return engine, transport, stream


@pytest.mark.asyncio
async def test_voice_deltas_and_barge_in_reach_the_stream_in_order() -> None:
    engine, transport, stream = await _connected(_never_built)
    try:
        transport.inbox.put_nowait(DELTA)
        transport.inbox.put_nowait(SPEECH)
        await stream.until(lambda: any(isinstance(v, StopPlayback) for v in stream.media()))
        kinds = [type(v).__name__ for v in stream.media()]
        assert kinds == ["AudioChunk", "StopPlayback"]
        chunk = stream.media()[0]
        assert isinstance(chunk, AudioChunk)
        assert (chunk.pcm, chunk.source) == (PCM, "delta")
        assert [e.stream for e in stream.events if isinstance(e, MediaUpdate)] == [AUDIO, CONTROL]
    finally:
        await engine.close()


@pytest.mark.asyncio
async def test_a_malformed_offer_is_a_media_error_in_the_timeline_and_the_session_goes_on() -> None:
    engine, transport, stream = await _connected(_never_built)
    try:
        transport.inbox.put_nowait(BAD_OFFER)
        await stream.until(lambda: any(isinstance(v, MediaError) for v in stream.media()))
        rows = [e for e in engine.timeline if e.type == LOCAL_MEDIA]
        assert rows
        assert rows[-1].error
        assert "offer" in rows[-1].summary
        await engine.handle(cmd.SendText("still talking"))
        assert any("still talking" in sent for sent in transport.sent)
        assert not [e for e in stream.events if isinstance(e, Notice)]
    finally:
        await engine.close()


@pytest.mark.asyncio
async def test_without_a_peer_port_the_offer_is_refused_once() -> None:
    engine, transport, stream = await _connected(None)
    try:
        transport.inbox.put_nowait(BAD_OFFER)
        transport.inbox.put_nowait(BAD_OFFER)
        transport.inbox.put_nowait(DELTA)
        # Voice deltas need no WebRTC: they still play (a server without media).
        await stream.until(lambda: any(isinstance(v, AudioChunk) for v in stream.media()))
        errors = [v for v in stream.media() if isinstance(v, MediaError)]
        assert [e.reason for e in errors] == ["WebRTC is not available in this run"]
    finally:
        await engine.close()
