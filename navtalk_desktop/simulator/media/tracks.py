"""The avatar's two WebRTC tracks: its voice (the speech of the audio deltas) and its face.

:class:`SpeechTrack` plays PCM16 24 kHz mono on a wall-clock schedule: audio handed to
:meth:`SpeechTrack.say` is due the moment it is handed over (or right after audio still
playing), exactly like the ``realtime.response.audio.delta`` frames it mirrors, so a client
hears the voice with the deltas' timing. Audio whose moment passed while no client was
pulling frames is dropped, never played late. Between utterances the track sends silence.

:class:`FaceTrack` sends 25 fps frames of :class:`FacePainter`; the mouth opens with the
energy of the audio the speech track most recently sent.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from collections.abc import Callable

import numpy as np
from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame, VideoFrame

from navtalk_desktop.simulator.audio import BYTES_PER_SAMPLE, SAMPLE_RATE
from navtalk_desktop.simulator.media.face import FPS, FacePainter

_FRAME_SAMPLES = SAMPLE_RATE // 50  # 20 ms, one Opus frame
_FRAME_BYTES = _FRAME_SAMPLES * BYTES_PER_SAMPLE
_VIDEO_CLOCK = 90_000
# RMS (PCM16 units) at which the mouth is fully open; the tone voice peaks near 6,000.
_FULL_MOUTH_RMS = 5_000.0


class SpeechTrack(MediaStreamTrack):
    """Audio track carrying the avatar's speech, 20 ms frames of PCM16 24 kHz mono."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        self._pending_at = 0.0  # monotonic time at which _pending[0] is due
        self._start: float | None = None
        self._sent = 0
        self.level = 0.0
        """RMS of the last frame sent (PCM16 units): what the mouth follows."""

    def say(self, pcm: bytes) -> None:
        """Schedule ``pcm`` to play now, or right after the speech still queued."""
        now = time.monotonic()
        if not self._pending or self._pending_at + self._queued_s() < now:
            self._pending = bytearray(pcm)
            self._pending_at = now
        else:
            self._pending += pcm

    def hush(self) -> None:
        """Stop speaking at once (barge-in): queued speech is dropped."""
        self._pending.clear()

    @property
    def speaking(self) -> bool:
        """Whether speech is still queued to play."""
        return bool(self._pending) and self._pending_at + self._queued_s() > time.monotonic()

    def _queued_s(self) -> float:
        return len(self._pending) / BYTES_PER_SAMPLE / SAMPLE_RATE

    async def recv(self) -> AudioFrame:
        """The next 20 ms frame, paced in real time."""
        if self.readyState != "live":
            from aiortc.mediastreams import MediaStreamError

            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._sent * _FRAME_SAMPLES / SAMPLE_RATE
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        pcm = self._take(due)
        frame = AudioFrame(format="s16", layout="mono", samples=_FRAME_SAMPLES)
        frame.planes[0].update(pcm)
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._sent * _FRAME_SAMPLES
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._sent += 1
        samples = np.frombuffer(pcm, "<i2").astype(np.float32)
        self.level = math.sqrt(float(np.mean(samples * samples)))
        return frame

    def _take(self, due: float) -> bytes:
        """The frame's 20 ms of audio starting at monotonic time ``due``."""
        if not self._pending:
            return bytes(_FRAME_BYTES)
        # Where in the queue the frame starts; negative means the speech starts later.
        offset = round((due - self._pending_at) * SAMPLE_RATE) * BYTES_PER_SAMPLE
        if offset >= len(self._pending):
            self._pending.clear()  # its moment passed while nobody listened
            return bytes(_FRAME_BYTES)
        lead = min(max(-offset, 0), _FRAME_BYTES)
        start = max(offset, 0)
        body = bytes(self._pending[start : start + _FRAME_BYTES - lead])
        consumed = start + len(body)
        del self._pending[:consumed]
        self._pending_at += consumed / BYTES_PER_SAMPLE / SAMPLE_RATE
        return bytes(lead) + body + bytes(_FRAME_BYTES - lead - len(body))


class FaceTrack(MediaStreamTrack):
    """Video track of the avatar's face at 25 fps.

    Args:
        painter: draws the frames.
        speech: the voice whose level opens the mouth.
        on_first_frame: called once, when the encoder takes the first frame.
    """

    kind = "video"

    def __init__(
        self,
        painter: FacePainter,
        speech: SpeechTrack,
        on_first_frame: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._on_first_frame = on_first_frame
        self._painter = painter
        self._speech = speech
        self._start: float | None = None
        self._index = 0
        self._mouth = 0.0
        self.frames_sent = 0
        self.first_frame_at: float | None = None
        """Monotonic time the first frame was handed to the encoder."""

    async def recv(self) -> VideoFrame:
        """The next frame, paced at 25 fps."""
        if self.readyState != "live":
            from aiortc.mediastreams import MediaStreamError

            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
            self.first_frame_at = now
            if self._on_first_frame is not None:
                self._on_first_frame()
        else:
            due = self._start + self._index / FPS
            if due > now:
                await asyncio.sleep(due - now)
        # Open fast, close a little slower: reads as speech rather than flicker.
        target = min(1.0, self._speech.level / _FULL_MOUTH_RMS) if self._speech.speaking else 0.0
        rate = 0.7 if target > self._mouth else 0.45
        self._mouth += (target - self._mouth) * rate
        frame = VideoFrame.from_ndarray(self._painter.frame(self._index, self._mouth), "rgb24")
        frame.pts = self._index * (_VIDEO_CLOCK // FPS)
        frame.time_base = fractions.Fraction(1, _VIDEO_CLOCK)
        self._index += 1
        self.frames_sent += 1
        return frame
