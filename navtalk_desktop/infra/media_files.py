"""Evidence of what the avatar said and showed: WAV audio and MP4 video (for ``--save-media``).

:class:`MediaRecorder` takes the media path's :class:`AudioChunk` and :class:`VideoFrame`
values in stream order and writes, into one directory:

- ``voice-webrtc.wav`` — the WebRTC audio track (48 kHz stereo s16);
- ``voice-deltas.wav`` — ``realtime.response.audio.delta`` audio (24 kHz mono s16);
- ``video.mp4`` — the video track, H.264 (``libx264``, ``yuv420p``) at the frames' own
  timing, through PyAV.

Files are only created when media of their kind arrives. Writing happens on the caller's
thread; a headless run calls it from its engine loop (a 512x512 H.264 frame costs a few ms).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.container
import av.video.stream
import numpy as np

from navtalk_desktop.core.media.values import AudioChunk, VideoFrame

_WAV_NAMES = {"webrtc": "voice-webrtc.wav", "delta": "voice-deltas.wav"}
VIDEO_NAME = "video.mp4"
_TIME_BASE = Fraction(1, 1000)  # millisecond pts: frames keep their own timing


@dataclass
class SavedMedia:
    """What a recorder wrote.

    Attributes:
        files: every file written, in the order they were started.
        audio_seconds: seconds of audio written per source.
        video_frames: frames written to the MP4.
        skipped: why some media was not written (format changes, encoder errors).
    """

    files: list[Path] = field(default_factory=list)
    audio_seconds: dict[str, float] = field(default_factory=dict)
    video_frames: int = 0
    skipped: list[str] = field(default_factory=list)


class MediaRecorder:
    """Writes the avatar's audio to WAV files and video to an MP4 in ``directory``."""

    def __init__(self, directory: Path, *, fps_hint: int = 25) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._fps_hint = fps_hint
        self._wavs: dict[str, tuple[wave.Wave_write, int, int]] = {}
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._size: tuple[int, int] | None = None
        self._first_ts: float | None = None
        self._last_pts = -1
        self.saved = SavedMedia()

    def add(self, value: AudioChunk | VideoFrame) -> None:
        """Write one chunk or frame (other sizes/formats than the first are skipped)."""
        if isinstance(value, AudioChunk):
            self._add_audio(value)
        else:
            self._add_video(value)

    def _add_audio(self, chunk: AudioChunk) -> None:
        name = _WAV_NAMES.get(chunk.source, f"voice-{chunk.source}.wav")
        entry = self._wavs.get(chunk.source)
        if entry is None:
            path = self.directory / name
            writer = wave.open(str(path), "wb")  # noqa: SIM115  (closed in close())
            writer.setnchannels(chunk.channels)
            writer.setsampwidth(2)
            writer.setframerate(chunk.rate)
            entry = (writer, chunk.rate, chunk.channels)
            self._wavs[chunk.source] = entry
            self.saved.files.append(path)
        writer, rate, channels = entry
        if (rate, channels) != (chunk.rate, chunk.channels):
            self.saved.skipped.append(
                f"{chunk.source} audio changed to {chunk.rate} Hz/{chunk.channels} ch: not written"
            )
            return
        writer.writeframes(chunk.pcm)
        seconds = self.saved.audio_seconds.get(chunk.source, 0.0)
        self.saved.audio_seconds[chunk.source] = seconds + chunk.duration

    def _add_video(self, frame: VideoFrame) -> None:
        if self._container is None:
            path = self.directory / VIDEO_NAME
            self._container = av.open(str(path), mode="w")
            stream = self._container.add_stream("libx264", rate=self._fps_hint)
            # yuv420p needs even sizes; the encoder pads nothing by itself.
            stream.width = frame.width - frame.width % 2
            stream.height = frame.height - frame.height % 2
            stream.pix_fmt = "yuv420p"
            stream.time_base = _TIME_BASE
            stream.codec_context.time_base = _TIME_BASE
            self._stream = stream
            self._size = (frame.width, frame.height)
            self._first_ts = frame.timestamp
            self.saved.files.append(path)
        assert self._stream is not None
        if (frame.width, frame.height) != self._size:
            self.saved.skipped.append(
                f"video frame {frame.index} is {frame.width}x{frame.height}, "
                f"the file is {self._size[0]}x{self._size[1]}: not written"
                if self._size
                else "video size unknown"
            )
            return
        pixels = np.frombuffer(frame.rgb, dtype=np.uint8).reshape(frame.height, frame.width, 3)
        pixels = pixels[: self._stream.height, : self._stream.width]
        image = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
        pts = round((frame.timestamp - (self._first_ts or 0.0)) * 1000)
        image.pts = max(pts, self._last_pts + 1)  # strictly increasing, as the muxer needs
        image.time_base = _TIME_BASE
        self._last_pts = image.pts
        for packet in self._stream.encode(image):
            self._container.mux(packet)
        self.saved.video_frames += 1

    def close(self) -> SavedMedia:
        """Finish every file (flush the encoder, write WAV headers) and say what was saved."""
        for writer, _, _ in self._wavs.values():
            writer.close()
        self._wavs.clear()
        if self._container is not None and self._stream is not None:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
            self._container = None
        return self.saved
