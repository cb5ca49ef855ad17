"""The simulator's avatar media, received by a real aiortc peer over loopback.

The client plays a NavTalk web client: it answers the server's ``webrtc.signaling.offer``
over the session socket, trickles nothing the server needs (the server's candidates are
in its SDP), and records what arrives: video frames (brightness, mouth darkness, a coarse
fingerprint) and audio (per-100 ms RMS), next to the PCM of every audio delta.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from websockets.asyncio.client import ClientConnection, connect

from navtalk_desktop.simulator import SimulatorConfig, SimulatorServer
from navtalk_desktop.simulator.audio import SAMPLE_RATE
from navtalk_desktop.simulator.media.face import HEIGHT, WIDTH
from navtalk_desktop.simulator.media.hosts import loopback_candidates

TIMEOUT = 30.0  # only spent when a test fails
LICENSE = "sk_navtalk_MediaTestLicense"
QUESTION = "Hello there, please tell me a little story about the sea."
WINDOW_S = 0.1


@dataclass
class Received:
    """What the client's peer got."""

    video: list[tuple[float, float, bytes]] = field(default_factory=list)
    """Per frame: mean luma, dark pixels in the mouth area, coarse fingerprint."""
    audio: list[np.ndarray] = field(default_factory=list)
    """Mono 48 kHz float samples, frame by frame."""
    video_size: tuple[int, int] | None = None


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def envelope(samples: np.ndarray, rate: int) -> np.ndarray:
    """RMS per 100 ms window."""
    step = int(rate * WINDOW_S)
    usable = len(samples) // step * step
    blocks = samples[:usable].astype(np.float64).reshape(-1, step)
    return np.sqrt(np.mean(blocks * blocks, axis=1))


def best_alignment(sent: np.ndarray, received: np.ndarray) -> tuple[float, int]:
    """Highest Pearson correlation of ``sent`` against any stretch of ``received``."""
    best, at = -1.0, -1
    for lag in range(len(received) - len(sent) + 1):
        part = received[lag : lag + len(sent)]
        if part.std() == 0:
            continue
        score = float(np.corrcoef(sent, part)[0, 1])
        if score > best:
            best, at = score, lag
    return best, at


class MediaClient:
    """A session socket plus an aiortc peer that answers the server's offer."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.deltas: list[bytes] = []
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.got = Received()
        self._pullers: list[asyncio.Task[None]] = []
        self._taken: Counter[str] = Counter()
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._pullers.append(asyncio.create_task(self._pull(track)))

    async def _pull(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                rgb = frame.to_ndarray(format="rgb24")
                self.got.video_size = (rgb.shape[1], rgb.shape[0])
                luma = _luma(rgb.astype(np.float32))
                h, w = luma.shape
                # The mouth sits around 70 % of the height; an open mouth is dark red.
                mouth = luma[int(h * 0.62) : int(h * 0.8), int(w * 0.35) : int(w * 0.65)]
                coarse = (luma[:: h // 12, :: w // 10] // 16).astype(np.uint8).tobytes()
                self.got.video.append((float(luma.mean()), float((mouth < 70).sum()), coarse))
            else:
                pcm = frame.to_ndarray()  # (1, samples * channels) s16, interleaved
                channels = len(frame.layout.channels)
                self.got.audio.append(pcm[0, ::channels].astype(np.float32))

    async def next(self) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
        self.frames.append(frame)
        if frame["type"] == "realtime.response.audio.delta":
            self.deltas.append(base64.b64decode(frame["data"]["delta"]))
        return frame

    async def until(self, kind: str) -> dict[str, Any]:
        """The next ``kind`` frame not returned before (it may have arrived already)."""
        while True:
            matches = [frame for frame in self.frames if frame["type"] == kind]
            if len(matches) > self._taken[kind]:
                self._taken[kind] += 1
                return matches[self._taken[kind] - 1]
            await self.next()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def answer(self, offer: dict[str, Any]) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(**offer["data"]["sdp"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        local = self.pc.localDescription
        await self.send(
            {
                "type": "webrtc.signaling.answer",
                "data": {"sdp": {"type": "answer", "sdp": local.sdp}},
            }
        )

    async def wait(self, condition: Callable[[], bool], what: str) -> None:
        """Read frames (keeping deltas) until ``condition`` holds."""

        async def loop() -> None:
            while not condition():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.next(), 0.05)

        try:
            await asyncio.wait_for(loop(), TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def close(self) -> None:
        await self.pc.close()
        for task in self._pullers:
            task.cancel()
        await asyncio.gather(*self._pullers, return_exceptions=True)


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    # Fast protocol timings; media is switched on per connection with media=1.
    async with SimulatorServer(SimulatorConfig.fast()) as server:
        yield server


def url(sim: SimulatorServer, extra: str = "&media=1") -> str:
    return f"{sim.ws_url}?license={LICENSE}&name=navtalk.Emily{extra}"


async def session_gone(sim: SimulatorServer, session_id: str) -> None:
    """Wait until the simulator has finished the session (its peer closed)."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while sim.session(session_id) is not None:
        assert asyncio.get_running_loop().time() < deadline, "the session did not end"
        await asyncio.sleep(0.05)


def notes(sim: SimulatorServer, kind: str) -> list[dict[str, Any]]:
    return [e.frame for e in sim.session_log.entries if e.type == kind]


async def connected_client(ws: ClientConnection) -> MediaClient:
    client = MediaClient(ws)
    offer = await client.until("webrtc.signaling.offer")
    await client.answer(offer)
    # DTLS done and media flowing (closing mid-handshake leaves aiortc's RTCP task behind).
    await client.wait(
        lambda: client.pc.connectionState == "connected" and bool(client.got.video), "media"
    )
    return client


@pytest.mark.asyncio
async def test_offer_is_real_and_its_loopback_candidates_connect(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = MediaClient(ws)
        offer = await client.until("webrtc.signaling.offer")
        sdp = offer["data"]["sdp"]["sdp"]
        # A real certificate's fingerprint, and host candidates inside the SDP (NavTalk's web
        # clients ignore trickled server candidates), loopback among them.
        fingerprint = re.search(r"a=fingerprint:sha-256 ([0-9A-F:]{95})", sdp)
        assert fingerprint is not None
        assert re.search(r"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host", sdp)
        assert "m=audio" in sdp
        assert "m=video" in sdp
        await client.answer(offer)
        try:
            await client.wait(lambda: client.pc.connectionState == "connected", "connected")
            await client.wait(lambda: len(client.got.video) >= 30, "30 video frames")
        finally:
            await client.close()
    assert client.got.video_size == (WIDTH, HEIGHT)
    lumas = [luma for luma, _, _ in client.got.video]
    assert min(lumas) > 60, "frames are not black"
    assert len({coarse for _, _, coarse in client.got.video}) > 3, "the picture moves"
    states = [n["state"] for n in notes(sim, "webrtc.state")]
    assert "connected" in states
    assert notes(sim, "webrtc.first_frame")


@pytest.mark.asyncio
async def test_voice_carries_the_audio_deltas_and_the_mouth_follows_it(
    sim: SimulatorServer,
) -> None:
    async with connect(url(sim)) as ws:
        client = await connected_client(ws)
        try:
            await client.until("realtime.session.updated")
            # Idle first: a second of silence with a closed mouth.
            await client.wait(lambda: len(client.got.audio) >= 50, "idle audio")
            idle_frames = len(client.got.video)
            await client.send({"type": "realtime.input_text", "data": {"content": QUESTION}})
            await client.until("realtime.response.audio.done")
            speech_s = sum(len(d) for d in client.deltas) / 2 / SAMPLE_RATE
            heard = len(client.got.audio)
            # Everything the deltas said, plus a second of silence after it.
            await client.wait(
                lambda: len(client.got.audio) >= heard + (speech_s + 1.0) * 50, "the whole reply"
            )
        finally:
            await client.close()
    sent = np.frombuffer(b"".join(client.deltas), "<i2")
    received = np.concatenate(client.got.audio)
    sent_env = envelope(sent, SAMPLE_RATE)
    got_env = envelope(received, 48_000)
    score, lag = best_alignment(sent_env, got_env)
    # Opus and network jitter blur word edges by a few ms; unrelated audio or silence
    # scores near 0, the speech itself 0.8-0.95 here.
    assert score > 0.6, f"received audio does not follow the speech sent (r={score:.2f})"
    voiced_sent = int((sent_env > sent_env.max() * 0.2).sum())
    voiced_got = int((got_env[lag : lag + len(sent_env)] > got_env.max() * 0.2).sum())
    assert abs(voiced_got - voiced_sent) <= max(3, voiced_sent // 5)
    loud = sent_env.max()
    # Silence when idle: before the reply and after it the voice is quiet.
    assert got_env[: max(lag - 2, 1)].max() < loud * 0.05
    assert got_env[lag + len(sent_env) + 2 :].max() < loud * 0.05
    assert got_env[lag : lag + len(sent_env)].max() > loud * 0.3
    # The mouth: shut while idle, open (dark) at times while the voice plays.
    mouths = [dark for _, dark, _ in client.got.video]
    assert max(mouths[:idle_frames]) < 20
    assert max(mouths[idle_frames:]) > 150


@pytest.mark.asyncio
async def test_client_offer_is_answered_by_a_real_peer() -> None:
    # Media on by default (what `simulate` and the app's built-in simulator use).
    config = replace(SimulatorConfig.fast(), media=True)
    async with SimulatorServer(config) as sim, connect(url(sim, "")) as ws:
        client = MediaClient(ws)
        await client.until("webrtc.signaling.offer")  # ignored: the client offers itself
        client.pc.addTransceiver("audio", direction="recvonly")
        client.pc.addTransceiver("video", direction="recvonly")
        await client.pc.setLocalDescription(await client.pc.createOffer())
        await client.send(
            {
                "type": "webrtc.signaling.offer",
                "data": {"sdp": {"type": "offer", "sdp": client.pc.localDescription.sdp}},
            }
        )
        answer = await client.until("webrtc.signaling.answer")
        await client.pc.setRemoteDescription(RTCSessionDescription(**answer["data"]["sdp"]))
        try:
            await client.wait(lambda: len(client.got.video) >= 10, "video after a client offer")
        finally:
            await client.close()
        assert "127.0.0.1" in answer["data"]["sdp"]["sdp"]
        assert notes(sim, "webrtc.glare")


@pytest.mark.asyncio
async def test_bad_signalling_is_logged_and_the_session_goes_on(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = MediaClient(ws)
        await client.until("webrtc.signaling.offer")
        await client.send(
            {"type": "webrtc.signaling.answer", "data": {"sdp": {"type": "answer", "sdp": "v=0"}}}
        )
        await client.send(
            {"type": "webrtc.signaling.iceCandidate", "data": {"candidate": {"candidate": "x"}}}
        )
        await client.send({"type": "webrtc.signaling.offer", "data": {"sdp": "not an object"}})
        await client.until("realtime.session.updated")
        await client.send({"type": "realtime.input_text", "data": {"content": QUESTION}})
        await client.until("realtime.response.audio_transcript.done")
        await client.close()
    errors = notes(sim, "webrtc.error")
    steps = {e["step"] for e in errors}
    assert steps == {"answer", "candidate", "client offer"}, errors
    assert all(e["error"] for e in errors)
    assert not notes(sim, "simulator.error")


@pytest.mark.asyncio
async def test_session_end_closes_the_peer(sim: SimulatorServer) -> None:
    async with connect(url(sim)) as ws:
        client = await connected_client(ws)
        session_id = client.frames[0]["data"]["sessionId"]
        session = sim.session(session_id)
        assert session is not None
        peer = session.media.peer
        assert peer is not None
        await client.close()
    # The session ends with the socket: tracks stop and the connection closes.
    await session_gone(sim, session_id)
    assert peer.face.readyState == "ended"
    assert peer.speech.readyState == "ended"
    assert peer.ice_state == "closed"
    assert session.media.peer is None
    # No media task outlives the session (the client's peer is closed too).
    leftovers = [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and any(name in repr(task.get_coro()) for name in ("aiortc", "aioice", "RTC", "Track"))
    ]
    assert not leftovers, leftovers


@pytest.mark.asyncio
async def test_no_media_keeps_the_canned_offer(sim: SimulatorServer) -> None:
    async with connect(url(sim, "&media=0")) as ws:
        client = MediaClient(ws)
        offer = await client.until("webrtc.signaling.offer")
        await client.close()
    assert "a=ice-ufrag:navt" in offer["data"]["sdp"]["sdp"]
    assert not notes(sim, "webrtc.offer")


def _loopback_only(sdp: str) -> str:
    return "".join(
        line
        for line in sdp.splitlines(keepends=True)
        if not line.startswith("a=candidate:") or " 127.0.0.1 " in line
    )


@pytest.mark.asyncio
async def test_the_loopback_candidate_alone_answers(sim: SimulatorServer) -> None:
    # A loopback-only machine: both sides keep only their 127.0.0.1 candidates.
    async with connect(url(sim)) as ws:
        client = MediaClient(ws)
        offer = await client.until("webrtc.signaling.offer")
        sdp = _loopback_only(offer["data"]["sdp"]["sdp"])
        assert "a=candidate:" in sdp
        await client.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        with loopback_candidates():
            await client.pc.setLocalDescription(await client.pc.createAnswer())
        answer = _loopback_only(client.pc.localDescription.sdp)
        await client.send(
            {"type": "webrtc.signaling.answer", "data": {"sdp": {"type": "answer", "sdp": answer}}}
        )
        try:
            await client.wait(lambda: len(client.got.video) >= 5, "video over loopback")
        finally:
            await client.close()


def _open_ice_sockets(username: str) -> list[object]:
    """Addresses of open UDP sockets of the aioice connection with this ICE username."""
    found: list[object] = []
    for thing in gc.get_objects():
        try:
            if not isinstance(thing, asyncio.DatagramTransport) or thing.is_closing():
                continue
            connection = getattr(thing.get_protocol(), "receiver", None)
            if getattr(connection, "local_username", None) == username:
                found.append(thing.get_extra_info("sockname"))
        except ReferenceError:  # a weak proxy whose object is gone
            continue
    return found


@pytest.mark.asyncio
async def test_a_client_leaving_mid_handshake_leaves_no_sender_behind(
    sim: SimulatorServer,
) -> None:
    async with connect(url(sim)) as ws:
        client = MediaClient(ws)
        offer = await client.until("webrtc.signaling.offer")
        session_id = client.frames[0]["data"]["sessionId"]
        await client.answer(offer)  # ICE and DTLS start on the simulator's side …
    await client.close()  # … and the client is gone before they finish
    await session_gone(sim, session_id)
    senders = [
        task
        for task in asyncio.all_tasks()
        if any(name in repr(task.get_coro()) for name in ("RTCRtpSender", "Track.recv"))
    ]
    assert not senders, senders
    # Every ICE socket of the simulator's peer (its ufrag) is closed.
    ufrag = re.search(r"a=ice-ufrag:(\S+)", offer["data"]["sdp"]["sdp"])
    assert ufrag is not None
    gc.collect()  # a socket dropped unclosed warns now (an error in this suite), not later
    assert not _open_ice_sockets(ufrag.group(1))
