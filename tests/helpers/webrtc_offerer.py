"""A real aiortc offerer for media tests: it plays the server's part on loopback.

It sends a synthetic video track whose picture changes every frame (a colour that walks
through the hue circle and a bar that moves) and an audio track with tone bursts and
silences, and exchanges SDP/candidates with the app's answering peer exactly like the
NavTalk server does on the session socket (offer with candidates inside, answer back,
trickled candidates accepted).
"""

from __future__ import annotations

import asyncio
import fractions
import math
from typing import Any

import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from navtalk_desktop.infra.webrtc.ice_addresses import host_addresses

VIDEO_CLOCK = 90_000
FPS = 25
AUDIO_RATE = 48_000
AUDIO_FRAME = 960  # 20 ms


def frame_colour(index: int) -> tuple[int, int, int]:
    """The flat colour of synthetic frame ``index`` (changes every frame)."""
    return ((index * 37) % 256, (index * 11 + 80) % 256, (255 - index * 23) % 256)


class SyntheticVideo(MediaStreamTrack):
    """Changing frames at 25 fps: flat colour per frame plus a moving white bar."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.sent = 0
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self.sent / FPS
        await asyncio.sleep(max(0.0, due - loop.time()))
        image = np.empty((self.height, self.width, 3), dtype=np.uint8)
        image[:, :] = frame_colour(self.sent)
        x = (self.sent * 8) % self.width
        image[:, x : x + 8] = 255
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = self.sent * (VIDEO_CLOCK // FPS)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.sent += 1
        return frame


class ToneBursts(MediaStreamTrack):
    """440 Hz stereo tone, ``on_s`` seconds on, ``off_s`` seconds off, forever."""

    kind = "audio"

    def __init__(self, on_s: float = 0.3, off_s: float = 0.3, amplitude: int = 12_000) -> None:
        super().__init__()
        self.on_s, self.off_s, self.amplitude = on_s, off_s, amplitude
        self.sent = 0
        self._start: float | None = None

    def samples(self, first: int, count: int) -> np.ndarray:
        """Mono samples ``first…first+count`` of the burst pattern."""
        n = np.arange(first, first + count)
        period = (self.on_s + self.off_s) * AUDIO_RATE
        on = (n % period) < self.on_s * AUDIO_RATE
        tone = np.sin(2 * math.pi * 440 * n / AUDIO_RATE) * self.amplitude
        return np.where(on, tone, 0).astype(np.int16)

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        due = self._start + self.sent / AUDIO_RATE
        await asyncio.sleep(max(0.0, due - loop.time()))
        mono = self.samples(self.sent, AUDIO_FRAME)
        stereo = np.repeat(mono, 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self.sent += AUDIO_FRAME
        return frame


class Offerer:
    """The server side of a media session, on 127.0.0.1 only."""

    def __init__(self, *, video: bool = True, audio: bool = True) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.video = SyntheticVideo() if video else None
        self.audio = ToneBursts() if audio else None
        for track in (self.video, self.audio):
            if track is not None:
                self.pc.addTransceiver(track, direction="sendonly")

    async def offer(self) -> dict[str, Any]:
        """``data`` of a ``webrtc.signaling.offer`` with loopback candidates inside."""
        offer = await self.pc.createOffer()
        with host_addresses(["127.0.0.1"]):
            await self.pc.setLocalDescription(offer)
        local = self.pc.localDescription
        return {"sdp": {"type": local.type, "sdp": local.sdp}}

    async def accept(self, message: dict[str, Any]) -> None:
        """Apply a ``webrtc.signaling.answer`` or ``iceCandidate`` message from the app."""
        data = message["data"]
        if message["type"] == "webrtc.signaling.answer":
            sdp = data["sdp"]
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp["sdp"], sdp["type"]))
        elif message["type"] == "webrtc.signaling.iceCandidate":
            raw = data["candidate"]
            candidate = candidate_from_sdp(raw["candidate"].removeprefix("candidate:"))
            candidate.sdpMid = raw["sdpMid"]
            candidate.sdpMLineIndex = raw["sdpMLineIndex"]
            await self.pc.addIceCandidate(candidate)

    async def close(self) -> None:
        """Close the connection."""
        await self.pc.close()


def without_candidates(data: dict[str, Any]) -> dict[str, Any]:
    """The same offer with every candidate removed (ICE can then never connect)."""
    lines = [
        line for line in data["sdp"]["sdp"].splitlines() if not line.startswith("a=candidate:")
    ]
    return {"sdp": {"type": "offer", "sdp": "\r\n".join(lines) + "\r\n"}}
