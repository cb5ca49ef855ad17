"""``respond --save-media DIR``: the avatar's video and voice from the engine's stream to files.

The engine answers the server's WebRTC offer with infra's ``AnsweringPeer``; its media events
(:class:`~navtalk_desktop.core.engine.media_link.MediaUpdate`) reach this consumer on the
engine's loop, and :class:`~navtalk_desktop.infra.media_files.MediaRecorder` writes the
voice as WAV (``voice-webrtc.wav`` from the media track, ``voice-deltas.wav`` from the
``audio.delta`` frames) and the video as ``video.mp4``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from navtalk_desktop.core.engine.events import EngineEvent
from navtalk_desktop.core.engine.media_link import MediaUpdate
from navtalk_desktop.core.media import (
    AudioChunk,
    MediaError,
    MediaPhase,
    MediaState,
    PeerFactory,
    VideoFrame,
)
from navtalk_desktop.headless.cli_support import command_output
from navtalk_desktop.infra.media_files import MediaRecorder
from navtalk_desktop.infra.media_peers import answering_peer, webrtc_missing

# After the last scripted turn the WebRTC voice is still being played out in real time: the
# run waits this long past the last voice chunk that was not silence before it stops.
QUIET_TAIL_S = 1.0


_err, _ = command_output("respond")


class MediaSaver:
    """Writes the media events of one run to ``directory``.

    Args:
        directory: where the WAV and MP4 files go (created).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._recorder: MediaRecorder | None = None
        self.connected = asyncio.Event()
        self.failed: str | None = None
        self._last_voice = 0.0

    def peers(self) -> PeerFactory | None:
        """The engine's peer port (None, with a message, when WebRTC cannot run here)."""
        missing = webrtc_missing()
        if missing is not None:
            _err(f"warning: {missing}; --save-media writes nothing")
            return None
        return answering_peer

    def start(self) -> str | None:
        """Create the folder; why it failed, or None."""
        try:
            self._recorder = MediaRecorder(self.directory)
        except OSError as exc:
            return f"cannot write media to {self.directory}: {exc.strerror or exc}"
        return None

    def on_event(self, event: EngineEvent) -> None:
        """The engine's stream (media events only)."""
        if not isinstance(event, MediaUpdate):
            return
        value = event.value
        if isinstance(value, AudioChunk | VideoFrame):
            if self._recorder is not None:
                self._recorder.add(value)
            if isinstance(value, AudioChunk) and value.source == "webrtc" and _loud(value.pcm):
                self._last_voice = asyncio.get_running_loop().time()
        elif isinstance(value, MediaState):
            if value.phase is MediaPhase.CONNECTED:
                self.connected.set()
            elif value.phase is MediaPhase.FAILED:
                self.failed = value.reason or "the media connection failed"
                _err(f"warning: media: {self.failed}")
                self.connected.set()  # nothing more to wait for
        elif isinstance(value, MediaError):
            _err(f"warning: media {value.stage}: {value.reason}")

    async def quiet(self, cap_s: float) -> None:
        """Wait until the WebRTC voice has been silent for :data:`QUIET_TAIL_S` (at most ``cap_s``)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + cap_s
        while loop.time() < end:
            idle = loop.time() - self._last_voice
            if self._last_voice and idle >= QUIET_TAIL_S:
                return
            await asyncio.sleep(min(QUIET_TAIL_S, max(0.05, QUIET_TAIL_S - idle)))

    def close(self) -> None:
        """Finish the files and say what was written."""
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        saved = recorder.close()
        for path in saved.files:
            _err(f"saved media: {path}")
        seconds = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(saved.audio_seconds.items()))
        _err(f"saved {saved.video_frames} video frames; audio: {seconds or 'none'}")
        for reason in saved.skipped[:5]:
            _err(f"warning: media not saved: {reason}")


def _loud(pcm: bytes) -> bool:
    # 16-bit little-endian samples: any above ~1% of full scale counts as voice.
    view = memoryview(pcm).cast("h") if len(pcm) % 2 == 0 else memoryview(b"").cast("h")
    return any(abs(sample) > 300 for sample in view[::8])
