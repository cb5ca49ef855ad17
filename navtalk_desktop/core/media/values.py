"""Avatar media values: what the media path reports, as frozen, picklable dataclasses.

Every value here can cross a process pipe (the engine may run in its own process) and is
safe to share between threads: fields are immutable (``bytes``, ``str``, numbers, tuples).
The engine puts them, in order, on its one event stream; the GUI only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# --------------------------------------------------------------------------- state


class MediaPhase(StrEnum):
    """Where the avatar's media stands, from the user's point of view."""

    NOT_OFFERED = "not_offered"
    NEGOTIATING = "negotiating"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"
    CLOSED = "closed"


# What the avatar view says for each phase when there is no picture (the reason follows).
PHASE_TEXT: dict[MediaPhase, str] = {
    MediaPhase.NOT_OFFERED: "No video yet: the server has not offered WebRTC media",
    MediaPhase.NEGOTIATING: "Answering the server's WebRTC offer…",
    MediaPhase.CONNECTING: "Connecting to the avatar's media (ICE/DTLS)…",
    MediaPhase.CONNECTED: "Connected: waiting for the first video frame…",
    MediaPhase.FAILED: "No video: the media connection failed",
    MediaPhase.CLOSED: "No video: the media connection is closed",
}


@dataclass(frozen=True, slots=True)
class MediaState:
    """Where the media path is and, when there is no picture or sound, why.

    Attributes:
        phase: the overall phase.
        reason: human explanation (``"ICE failed: no candidate pair answered…"``); empty
            when the phase says it all.
        has_video: the accepted offer carries a video track (``False``: the provider sends
            no video, or nothing was offered yet).
        has_audio: the accepted offer carries an audio track.
    """

    phase: MediaPhase
    reason: str = ""
    has_video: bool = False
    has_audio: bool = False

    def describe(self) -> str:
        """One line for the avatar view and the timeline."""
        if self.phase is MediaPhase.CONNECTED and not self.has_video:
            text = "No video: this avatar's provider sends no video track"
            if self.has_audio:
                text += " (voice only)"
            return text + (f" — {self.reason}" if self.reason else "")
        text = PHASE_TEXT[self.phase]
        return f"{text} — {self.reason}" if self.reason else text


@dataclass(frozen=True, slots=True)
class PeerStateChanged:
    """One state change of the WebRTC peer, for the timeline.

    Attributes:
        layer: ``signaling``, ``ice-gathering``, ``ice``, ``dtls`` or ``connection``.
        state: the new state as the WebRTC stack names it (``checking``, ``connected``…).
        reason: why, for ``failed``/``closed`` when known.
    """

    layer: str
    state: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MediaError:
    """Something in the media path went wrong; nothing else is affected.

    Attributes:
        stage: ``offer``, ``candidate``, ``answer``, ``audio-delta``, ``stats``, ``peer``…
        reason: a clear, human explanation.
    """

    stage: str
    reason: str


# --------------------------------------------------------------------------- media


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One decoded video frame, tightly packed RGB (3 bytes a pixel, no row padding).

    Attributes:
        width: pixels.
        height: pixels.
        rgb: ``width * height * 3`` bytes, rows top to bottom.
        timestamp: media time in seconds (the stream's presentation time), or the arrival
            time on the monotonic clock when the stream had none.
        index: 0-based count of frames received on this track.
    """

    width: int
    height: int
    rgb: bytes
    timestamp: float
    index: int = 0

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0 or len(self.rgb) != self.width * self.height * 3:
            raise ValueError(
                f"video frame {self.width}x{self.height} needs {self.width * self.height * 3} "
                f"RGB bytes, got {len(self.rgb)}"
            )


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """Interleaved signed 16-bit little-endian PCM.

    Attributes:
        pcm: the samples (``frames * channels * 2`` bytes).
        rate: sample rate in Hz (48,000 from WebRTC, 24,000 from audio deltas).
        channels: 1 or 2.
        timestamp: media time in seconds of the first sample (stream time), or arrival time.
        source: ``webrtc`` (the audio track) or ``delta`` (``realtime.response.audio.delta``).
    """

    pcm: bytes
    rate: int
    channels: int
    timestamp: float
    source: str = "webrtc"

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.channels not in (1, 2) or len(self.pcm) % (2 * self.channels):
            raise ValueError(
                f"audio chunk of {len(self.pcm)} bytes is not whole s16 frames of "
                f"{self.channels} channel(s) at {self.rate} Hz"
            )

    @property
    def frames(self) -> int:
        """Samples per channel."""
        return len(self.pcm) // (2 * self.channels)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.rate


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Stop the avatar's voice now and drop what is queued (barge-in).

    Attributes:
        reason: ``barge-in`` (``speech_started``), ``closed``…
    """

    reason: str


@dataclass(frozen=True, slots=True)
class MediaStats:
    """A snapshot of the received media, taken on demand.

    Attributes:
        fps: video frames a second over the last few seconds (0 without video).
        width: last frame's width (0 without video).
        height: last frame's height.
        video_kbps: received video bitrate since the previous snapshot (RTP payload bytes
            are not exposed separately, so this is the transport's bytes attributed by
            packet share), kilobits a second.
        total_kbps: everything received on the media transport, kilobits a second.
        packets_lost: RTP packets lost, all streams.
        jitter_ms: the largest interarrival jitter of the streams, milliseconds.
        frames_received: video frames decoded since the start.
        audio_chunks: audio frames decoded since the start.
    """

    fps: float = 0.0
    width: int = 0
    height: int = 0
    video_kbps: float = 0.0
    total_kbps: float = 0.0
    packets_lost: int = 0
    jitter_ms: float = 0.0
    frames_received: int = 0
    audio_chunks: int = 0

    def lines(self) -> list[tuple[str, str]]:
        """Label/value pairs for display."""
        resolution = f"{self.width} x {self.height}" if self.width else "—"
        return [
            ("Frame rate", f"{self.fps:.1f} fps"),
            ("Resolution", resolution),
            ("Video bitrate", f"{self.video_kbps:.0f} kbit/s"),
            ("Total bitrate", f"{self.total_kbps:.0f} kbit/s"),
            ("Packets lost", str(self.packets_lost)),
            ("Jitter", f"{self.jitter_ms:.1f} ms"),
            ("Frames received", str(self.frames_received)),
            ("Audio frames", str(self.audio_chunks)),
        ]


# --------------------------------------------------------------------------- signalling


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """An SDP offer or answer (``data.sdp`` of ``webrtc.signaling.offer``/``answer``)."""

    type: str
    sdp: str


@dataclass(frozen=True, slots=True)
class IceCandidate:
    """A trickled ICE candidate (``data.candidate`` of ``webrtc.signaling.iceCandidate``).

    Attributes:
        candidate: ``candidate:…`` line without the ``a=`` prefix.
        sdp_mid: media id the candidate belongs to.
        sdp_mline_index: index of its m-line.
        username_fragment: ICE ufrag, when known.
    """

    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int | None
    username_fragment: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object NavTalk's clients send (``usernameFragment`` only when known)."""
        out: dict[str, Any] = {
            "candidate": self.candidate,
            "sdpMid": self.sdp_mid,
            "sdpMLineIndex": self.sdp_mline_index,
        }
        if self.username_fragment is not None:
            out["usernameFragment"] = self.username_fragment
        return out


@dataclass(frozen=True, slots=True)
class IceServer:
    """One entry of ``iceServers`` from ``conversation.connected.success``."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True, slots=True)
class SignalToSend:
    """A ``webrtc.signaling.*`` message the engine must send on the session socket.

    Attributes:
        kind: ``answer``, ``iceCandidate`` or ``offer``.
        description: the SDP for ``answer``/``offer``.
        candidate: the candidate for ``iceCandidate``.
    """

    kind: str
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None

    def message(self) -> dict[str, Any]:
        """The exact JSON object to send."""
        if self.kind == "iceCandidate" and self.candidate is not None:
            return {
                "type": "webrtc.signaling.iceCandidate",
                "data": {"candidate": self.candidate.to_json()},
            }
        if self.description is None:
            raise ValueError(f"signal {self.kind!r} has nothing to send")
        return {
            "type": f"webrtc.signaling.{self.kind}",
            "data": {"sdp": {"type": self.description.type, "sdp": self.description.sdp}},
        }


MediaEvent = (
    MediaState
    | PeerStateChanged
    | MediaError
    | VideoFrame
    | AudioChunk
    | StopPlayback
    | MediaStats
    | SignalToSend
)
