"""The app's answering WebRTC peer against a real aiortc offerer on 127.0.0.1.

The offerer plays the NavTalk server: it offers a synthetic video track (a different
picture every frame) and a tone-burst audio track; messages travel as the exact JSON
objects the session socket would carry.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from navtalk_desktop.core.media import (
    AudioChunk,
    IceServer,
    MediaController,
    MediaError,
    MediaEvent,
    MediaPhase,
    MediaState,
    PeerListener,
    PeerStateChanged,
    SignalToSend,
    VideoFrame,
)
from navtalk_desktop.infra.webrtc import AnsweringPeer
from tests.helpers.webrtc_offerer import Offerer

LOOPBACK = ("127.0.0.1",)


class Collector:
    """Every media event in order, with a way to wait for a state of the stream."""

    def __init__(self) -> None:
        self.events: list[MediaEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: MediaEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, predicate: Callable[[], bool], what: str, limit: float = 20) -> None:
        async def wait() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(wait(), limit)
        except TimeoutError:
            states = [e for e in self.events if isinstance(e, MediaState | PeerStateChanged)]
            pytest.fail(f"never reached: {what}; states: {states}")


def controller(
    events: Collector, *, ice_timeout: float = 20
) -> tuple[MediaController, list[AnsweringPeer]]:
    peers: list[AnsweringPeer] = []

    def factory(servers: tuple[IceServer, ...], listener: PeerListener) -> AnsweringPeer:
        peer = AnsweringPeer(servers, listener, addresses=LOOPBACK, ice_timeout=ice_timeout)
        peers.append(peer)
        return peer

    return MediaController(factory, events), peers


async def deliver(events: Collector, offerer: Offerer, start: int = 0) -> int:
    """Send every signalling message the app emitted since ``start`` to the offerer."""
    signals = [e for e in events.events[start:] if isinstance(e, SignalToSend)]
    for signal in signals:
        await offerer.accept(signal.message())
    return len(events.events)


def phase(events: Collector) -> MediaPhase | None:
    states = events.of(MediaState)
    return states[-1].phase if states else None


def distinct_pictures(frames: list[VideoFrame]) -> int:
    """How many different flat colours (the synthetic track's per-frame colour) arrived."""
    seen = set()
    for frame in frames:
        pixels = np.frombuffer(frame.rgb, dtype=np.uint8).reshape(frame.height, frame.width, 3)
        seen.add(tuple(int(v) // 16 for v in pixels[frame.height // 2, frame.width - 4]))
    return len(seen)


@pytest.mark.asyncio
async def test_offer_is_answered_ice_connects_and_video_and_audio_arrive() -> None:
    events = Collector()
    media, _peers = controller(events)
    offerer = Offerer()
    try:
        await media.handle_signal("webrtc.signaling.offer", await offerer.offer())
        signals = events.of(SignalToSend)
        assert [s.kind for s in signals][:2] == ["answer", "iceCandidate"]
        answer = signals[0].message()
        assert answer["type"] == "webrtc.signaling.answer"
        assert answer["data"]["sdp"]["type"] == "answer"
        trickled = signals[1].message()["data"]["candidate"]
        assert trickled["candidate"].startswith("candidate:")
        assert " 127.0.0.1 " in trickled["candidate"]
        assert trickled["sdpMid"] == "0"
        assert trickled["sdpMLineIndex"] == 0
        assert trickled["usernameFragment"]
        await deliver(events, offerer)

        await events.until(lambda: phase(events) is MediaPhase.CONNECTED, "connected")
        await events.until(lambda: len(events.of(VideoFrame)) >= 12, "12 video frames")
        await events.until(lambda: len(events.of(AudioChunk)) >= 40, "40 audio chunks")

        frames = events.of(VideoFrame)
        assert (frames[0].width, frames[0].height) == (320, 240)
        assert distinct_pictures(frames) >= 6, "the picture must change from frame to frame"
        assert [f.index for f in frames] == list(range(len(frames)))
        chunks = events.of(AudioChunk)
        assert {(c.rate, c.channels, c.source) for c in chunks} == {(48_000, 2, "webrtc")}
        samples = np.frombuffer(b"".join(c.pcm for c in chunks), dtype="<i2")
        assert np.abs(samples).max() > 3_000, "the tone bursts must be audible"
        state = events.of(MediaState)[-1]
        assert state.has_video
        assert state.has_audio
        layers = {(e.layer, e.state) for e in events.of(PeerStateChanged)}
        assert {("ice", "checking"), ("dtls", "connected"), ("connection", "connected")} <= layers

        stats = await media.stats()
        assert stats is not None
        assert (stats.width, stats.height) == (320, 240)
        assert stats.fps > 5
        assert stats.total_kbps > 0
        assert stats.frames_received >= 12
        assert stats.packets_lost == 0
    finally:
        await media.close()
        await offerer.close()
    assert phase(events) is MediaPhase.CLOSED
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("webrtc-")]


@pytest.mark.asyncio
async def test_renegotiation_offer_gets_a_new_answer_and_media_keeps_flowing() -> None:
    events = Collector()
    media, peers = controller(events)
    offerer = Offerer()
    try:
        await media.handle_signal("webrtc.signaling.offer", await offerer.offer())
        mark = await deliver(events, offerer)
        await events.until(lambda: len(events.of(VideoFrame)) >= 3, "first frames")

        await media.handle_signal("webrtc.signaling.offer", await offerer.offer())
        answers = [s for s in events.of(SignalToSend) if s.kind == "answer"]
        assert len(answers) == 2
        await deliver(events, offerer, mark)
        before = len(events.of(VideoFrame))
        await events.until(lambda: len(events.of(VideoFrame)) >= before + 10, "frames after")
        assert len(peers) == 1, "a renegotiation reuses the connection"
        assert phase(events) is MediaPhase.CONNECTED
        assert not events.of(MediaError)
    finally:
        await media.close()
        await offerer.close()


@pytest.mark.asyncio
async def test_server_candidates_trickled_after_an_offer_without_any() -> None:
    events = Collector()
    media, _ = controller(events)
    offerer = Offerer()
    try:
        data = await offerer.offer()
        sdp = data["sdp"]["sdp"]
        candidates = re.findall(r"a=(candidate:[^\r\n]+)", sdp)
        bare = "".join(
            line + "\r\n"
            for line in sdp.splitlines()
            if not line.startswith(("a=candidate:", "a=end-of-candidates"))
        )
        # The server trickles one candidate before its offer (kept) and the rest after.
        first = {"candidate": {"candidate": candidates[0], "sdpMid": "0", "sdpMLineIndex": 0}}
        await media.handle_signal("webrtc.signaling.iceCandidate", first)
        await media.handle_signal("webrtc.signaling.offer", {"sdp": {"type": "offer", "sdp": bare}})
        await deliver(events, offerer)
        await events.until(lambda: len(events.of(VideoFrame)) >= 3, "frames")
        assert phase(events) is MediaPhase.CONNECTED
        assert not events.of(MediaError)
    finally:
        await media.close()
        await offerer.close()


@pytest.mark.asyncio
async def test_candidates_that_go_nowhere_fail_ice_with_a_reason() -> None:
    events = Collector()
    media, _ = controller(events, ice_timeout=2)
    offerer = Offerer()
    try:
        data = await offerer.offer()
        # Point every candidate at the discard port, where nothing answers.
        dead = re.sub(r"(127\.0\.0\.1) \d+ typ", r"\1 9 typ", data["sdp"]["sdp"])
        await media.handle_signal("webrtc.signaling.offer", {"sdp": {"type": "offer", "sdp": dead}})
        await events.until(lambda: phase(events) is MediaPhase.FAILED, "ICE failed")
        state = events.of(MediaState)[-1]
        assert "ICE failed" in state.reason
        assert "127.0.0.1:9/udp host" in state.reason
        assert "no candidate pair answered" in state.reason
        assert "ICE failed" in state.describe() or "failed" in state.describe()
        assert not events.of(VideoFrame)
    finally:
        await media.close()
        await offerer.close()


@pytest.mark.asyncio
async def test_malformed_offers_give_clear_errors_and_a_good_offer_still_connects() -> None:
    events = Collector()
    media, peers = controller(events)
    offerer = Offerer()
    try:
        await media.handle_signal("webrtc.signaling.offer", {"sdp": {"type": "offer"}})
        await media.handle_signal("webrtc.signaling.offer", {"sdp": "hello"})
        assert not peers, "nothing that is not SDP reaches the WebRTC stack"
        broken = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video nonsense\r\n"
        await media.handle_signal(
            "webrtc.signaling.offer", {"sdp": {"type": "offer", "sdp": broken}}
        )
        await media.handle_signal("webrtc.signaling.iceCandidate", {"candidate": {"x": 1}})
        errors = events.of(MediaError)
        assert [e.stage for e in errors] == ["offer", "offer", "offer", "candidate"]
        assert "no SDP text" in errors[0].reason
        assert "not SDP" in errors[1].reason
        assert errors[2].reason.startswith("could not answer the offer")
        assert phase(events) is MediaPhase.FAILED

        await media.handle_signal("webrtc.signaling.offer", await offerer.offer())
        await deliver(events, offerer)
        await events.until(lambda: len(events.of(VideoFrame)) >= 3, "frames after errors")
        assert phase(events) is MediaPhase.CONNECTED
    finally:
        await media.close()
        await offerer.close()


@pytest.mark.asyncio
async def test_offer_without_video_says_the_provider_sends_no_video() -> None:
    events = Collector()
    media, _ = controller(events)
    offerer = Offerer(video=False)
    try:
        await media.handle_signal("webrtc.signaling.offer", await offerer.offer())
        await deliver(events, offerer)
        await events.until(lambda: len(events.of(AudioChunk)) >= 5, "audio")
        await events.until(lambda: phase(events) is MediaPhase.CONNECTED, "connected")
        state = events.of(MediaState)[-1]
        assert not state.has_video
        assert state.has_audio
        assert "sends no video" in state.describe()
    finally:
        await media.close()
        await offerer.close()


@pytest.mark.asyncio
async def test_a_loopback_offer_is_answered_on_loopback_without_configuration() -> None:
    # The built-in simulator offers 127.0.0.1 only; aioice alone would never gather there.
    events = Collector()
    media = MediaController(lambda servers, listener: AnsweringPeer(servers, listener), events)
    offerer = Offerer()
    try:
        await media.handle_signal("webrtc.signaling.offer", await offerer.offer())
        trickled = [s.candidate for s in events.of(SignalToSend) if s.candidate is not None]
        assert trickled
        assert all(" 127.0.0.1 " in c.candidate for c in trickled)
        await deliver(events, offerer)
        await events.until(lambda: len(events.of(VideoFrame)) >= 3, "frames")
    finally:
        await media.close()
        await offerer.close()
