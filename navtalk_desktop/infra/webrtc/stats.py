"""On-demand media stats: aiortc's ``getStats`` counters plus the frame rate seen here."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from navtalk_desktop.core.media.values import MediaStats

# RTP clock rates of the codecs aiortc negotiates (jitter is reported in clock ticks).
_CLOCK = {"video": 90_000, "audio": 48_000}
FPS_WINDOW_S = 2.0


class StatsMeter:
    """Counts decoded frames and turns aiortc stats reports into :class:`MediaStats`.

    Bitrates are measured between two snapshots (the first one: since the first frame).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.video_frames = 0
        self.audio_chunks = 0
        self.width = 0
        self.height = 0
        self._recent: deque[float] = deque(maxlen=600)
        self._started: float | None = None
        self._last: tuple[float, int, int] | None = None  # time, transport bytes, all packets
        self._last_video = 0

    def saw_video(self, width: int, height: int) -> None:
        """One decoded video frame."""
        now = self._clock()
        if self._started is None:
            self._started = now
        self.video_frames += 1
        self.width, self.height = width, height
        self._recent.append(now)

    def saw_audio(self) -> None:
        """One decoded audio frame."""
        if self._started is None:
            self._started = self._clock()
        self.audio_chunks += 1

    def fps(self) -> float:
        """Video frames a second over the last :data:`FPS_WINDOW_S` seconds."""
        now = self._clock()
        recent = [t for t in self._recent if now - t <= FPS_WINDOW_S]
        if len(recent) < 2:
            return 0.0
        span = recent[-1] - recent[0]
        return (len(recent) - 1) / span if span > 0 else 0.0

    def snapshot(self, report: Mapping[str, Any]) -> MediaStats:
        """A snapshot from an ``RTCStatsReport`` (a mapping of id → stats object)."""
        now = self._clock()
        lost = 0
        jitter_ms = 0.0
        transport_bytes = 0
        packets = {"video": 0, "audio": 0}
        for stats in report.values():
            kind_of = getattr(stats, "type", "")
            if kind_of == "inbound-rtp":
                kind = getattr(stats, "kind", "")
                lost += max(0, int(getattr(stats, "packetsLost", 0) or 0))
                ticks = float(getattr(stats, "jitter", 0) or 0)
                jitter_ms = max(jitter_ms, ticks / _CLOCK.get(kind, 90_000) * 1000)
                packets[kind] = packets.get(kind, 0) + int(getattr(stats, "packetsReceived", 0))
            elif kind_of == "transport":
                transport_bytes = max(transport_bytes, int(getattr(stats, "bytesReceived", 0)))
        total_packets = packets["video"] + packets["audio"]
        since, old_bytes, old_packets = self._last or (self._started or now, 0, 0)
        elapsed = now - since
        total_kbps = (transport_bytes - old_bytes) * 8 / 1000 / elapsed if elapsed > 0 else 0.0
        # The transport does not split bytes by stream; attribute them by packet share.
        new_packets = total_packets - old_packets
        new_video = packets["video"] - self._last_video
        video_share = new_video / new_packets if new_packets > 0 else 0.0
        self._last = (now, transport_bytes, total_packets)
        self._last_video = packets["video"]
        return MediaStats(
            fps=self.fps(),
            width=self.width,
            height=self.height,
            video_kbps=max(0.0, total_kbps * video_share),
            total_kbps=max(0.0, total_kbps),
            packets_lost=lost,
            jitter_ms=jitter_ms,
            frames_received=self.video_frames,
            audio_chunks=self.audio_chunks,
        )
