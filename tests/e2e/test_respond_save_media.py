"""``respond --save-media DIR`` as a real process against ``simulate`` with real WebRTC media."""

from __future__ import annotations

import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from tests.e2e.test_respond_cli import READY, _env, respond


@pytest.fixture(scope="module")
def media_simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("sim-home")
    process = subprocess.Popen(
        [sys.executable, "-m", "navtalk_desktop", "simulate", "--fast", "--speech", "tone"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(home),
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(READY), line
        yield line[len(READY) :].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()


def _voiced_windows(path: Path) -> int:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        window = wav.getframerate() * wav.getnchannels() // 10  # 100 ms
    rms = [
        float(np.sqrt(np.mean(samples[i : i + window].astype(np.float64) ** 2)))
        for i in range(0, len(samples) - window, window)
    ]
    return sum(1 for value in rms if value > 300)


def test_save_media_writes_voice_and_a_playable_video(media_simulator: str, tmp_path: Path) -> None:
    out = tmp_path / "media"
    result = respond(
        tmp_path / "home",
        "--url",
        media_simulator,
        "--tools",
        "example:use-cases",
        "--say",
        "Hello, how are you?",
        "--save-media",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    # The avatar's voice over the WebRTC track, and the audio.delta frames' copy of it.
    assert _voiced_windows(out / "voice-webrtc.wav") >= 5, result.stderr
    assert _voiced_windows(out / "voice-deltas.wav") >= 5, result.stderr
    with av.open(str(out / "video.mp4")) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) >= 25, result.stderr
    assert min(frames[0].shape[:2]) >= 200  # the simulator draws a 320 x 384 face
    distinct = {hash(frame[::8, ::8].tobytes()) for frame in frames}
    assert len(distinct) >= 5  # the face moves
    assert f"saved media: {out / 'video.mp4'}" in result.stderr
