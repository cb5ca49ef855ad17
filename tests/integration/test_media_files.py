"""MediaRecorder writes WAV and MP4 files that real decoders read back as what was sent."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import pytest

from navtalk_desktop.core.media import AudioChunk, VideoFrame
from navtalk_desktop.infra.media_files import MediaRecorder
from tests.helpers.webrtc_offerer import frame_colour


def _frame(index: int, width: int = 64, height: int = 48) -> VideoFrame:
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:, :] = frame_colour(index * 5)
    return VideoFrame(width, height, image.tobytes(), timestamp=10 + index / 25, index=index)


def test_recorder_writes_voice_wavs_and_an_mp4_that_decode_back(tmp_path: Path) -> None:
    recorder = MediaRecorder(tmp_path / "media")
    tone = (np.sin(np.arange(960) / 10) * 8000).astype("<i2")
    stereo = np.repeat(tone, 2).tobytes()
    for i in range(100):  # 1 s of WebRTC audio, 4 s of video, 0.5 s of deltas
        recorder.add(_frame(i))
        if i < 50:
            recorder.add(AudioChunk(stereo, 48_000, 2, i * 0.02))
        if i < 5:
            recorder.add(AudioChunk(tone[:480].tobytes() * 5, 24_000, 1, i * 0.1, "delta"))
    recorder.add(VideoFrame(2, 2, bytes(12), 99.0, 999))  # another size: skipped, said so
    saved = recorder.close()

    names = sorted(p.name for p in saved.files)
    assert names == ["video.mp4", "voice-deltas.wav", "voice-webrtc.wav"]
    assert saved.audio_seconds == pytest.approx({"webrtc": 1.0, "delta": 0.5})
    assert saved.video_frames == 100
    assert saved.skipped == ["video frame 999 is 2x2, the file is 64x48: not written"]

    with wave.open(str(tmp_path / "media" / "voice-webrtc.wav")) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (48_000, 2, 48_000)
        assert wav.readframes(960) == stereo
    with wave.open(str(tmp_path / "media" / "voice-deltas.wav")) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (24_000, 1, 12_000)

    with av.open(str(tmp_path / "media" / "video.mp4")) as container:
        stream = container.streams.video[0]
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(decoded) == 100
    assert decoded[0].shape == (48, 64, 3)
    centre = [tuple(int(v) for v in f[24, 32]) for f in decoded]
    for index in (0, 37, 99):
        expected = np.array(frame_colour(index * 5))
        assert np.abs(np.array(centre[index]) - expected).max() < 24, (index, centre[index])
    assert len({c[0] // 16 for c in centre}) > 8, "the pictures differ as the frames did"
