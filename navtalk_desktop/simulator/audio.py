"""PCM16 24 kHz audio for the simulator: speech synthesis, chunking and an energy VAD.

Speech comes from espeak-ng when it is installed (its 22,050 Hz WAV output resampled in
pure Python), otherwise from a voiced tone with one syllable-like burst per word, so the
audio's length always follows the words.
"""

from __future__ import annotations

import array
import asyncio
import base64
import enum
import functools
import logging
import math
import operator
import re
import shutil
import sys
from dataclasses import dataclass

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
BYTES_PER_SAMPLE = 2
_ESPEAK_TIMEOUT_S = 15.0
_WORD = re.compile(r"\S+")


def ms_to_bytes(ms: float) -> int:
    """Bytes of PCM16 mono 24 kHz audio lasting ``ms`` milliseconds (always even)."""
    return int(SAMPLE_RATE * ms / 1000) * BYTES_PER_SAMPLE


def duration_ms(pcm: bytes) -> float:
    """How long ``pcm`` (PCM16 mono 24 kHz) plays, in milliseconds."""
    return len(pcm) / BYTES_PER_SAMPLE / SAMPLE_RATE * 1000


def chunks_b64(pcm: bytes, chunk_ms: int) -> list[str]:
    """Split ``pcm`` into base64 chunks of ``chunk_ms`` (the last one may be shorter)."""
    size = ms_to_bytes(chunk_ms)
    return [base64.b64encode(pcm[i : i + size]).decode("ascii") for i in range(0, len(pcm), size)]


def _samples(pcm: bytes) -> array.array[int]:
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":  # PCM16 on the wire is little-endian
        samples.byteswap()
    return samples


def _to_bytes(samples: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def rms(pcm: bytes) -> float:
    """Root mean square of PCM16 samples (0 for empty input)."""
    samples = _samples(pcm)
    if not samples:
        return 0.0
    return math.sqrt(sum(map(operator.mul, samples, samples)) / len(samples))


# ------------------------------------------------------------------ voiced tone

_F0_PERIOD = 170  # samples: ~141 Hz, a plausible speaking pitch at 24 kHz
_AMPLITUDE = 9_000
_WORD_GAP_MS = 70
_PAUSE_MS = 220  # after , . ? ! ; :


@functools.cache
def _period() -> tuple[int, ...]:
    # A few decaying harmonics sound voiced rather than like a pure beep.
    weights = [1.0, 0.6, 0.35, 0.2, 0.12]
    raw = [
        sum(w * math.sin(2 * math.pi * (k + 1) * n / _F0_PERIOD) for k, w in enumerate(weights))
        for n in range(_F0_PERIOD)
    ]
    peak = max(abs(x) for x in raw)
    return tuple(int(x / peak * _AMPLITUDE) for x in raw)


@functools.lru_cache(maxsize=64)
def _burst(samples: int) -> bytes:
    period = _period()
    tone = array.array("h", (period * (samples // _F0_PERIOD + 1))[:samples])
    ramp = min(samples // 4, SAMPLE_RATE * 15 // 1000)
    for i in range(ramp):  # fade in and out: no clicks between words
        scale = i / ramp
        tone[i] = int(tone[i] * scale)
        tone[samples - 1 - i] = int(tone[samples - 1 - i] * scale)
    return _to_bytes(tone)


def word_ms(word: str) -> int:
    """Length of the tone burst for one word: longer words take longer."""
    letters = sum(ch.isalnum() for ch in word) or 1
    return min(90 + 55 * letters, 700)


def tone_speech(text: str) -> bytes:
    """PCM16 24 kHz "speech": one voiced burst per word, pauses at punctuation."""
    parts: list[bytes] = []
    for word in _WORD.findall(text):
        parts.append(_burst(ms_to_bytes(word_ms(word)) // BYTES_PER_SAMPLE))
        gap = _PAUSE_MS if word[-1] in ",.?!;:" else _WORD_GAP_MS
        parts.append(bytes(ms_to_bytes(gap)))
    return b"".join(parts)


# ------------------------------------------------------------------ espeak-ng


def espeak_path() -> str | None:
    """The espeak-ng executable, when installed."""
    return shutil.which("espeak-ng")


def wav_to_pcm24k(wav: bytes) -> bytes:
    """Decode a PCM16 mono WAV (as espeak-ng writes to stdout) and resample to 24 kHz.

    espeak-ng streams its WAV to a pipe, so the RIFF and data sizes in its header are
    placeholders; the data runs to the end of the buffer.

    Raises:
        ValueError: not a PCM16 mono WAV.
    """
    if wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    offset, rate, data = 12, 0, b""
    while offset + 8 <= len(wav):
        chunk_id, size = (
            wav[offset : offset + 4],
            int.from_bytes(wav[offset + 4 : offset + 8], "little"),
        )
        body = offset + 8
        if chunk_id == b"fmt ":
            fmt, channels = (int.from_bytes(wav[body + i : body + i + 2], "little") for i in (0, 2))
            rate = int.from_bytes(wav[body + 4 : body + 8], "little")
            bits = int.from_bytes(wav[body + 14 : body + 16], "little")
            if fmt != 1 or channels != 1 or bits != 16:
                raise ValueError("WAV is not PCM16 mono")
        elif chunk_id == b"data":
            data = wav[body : min(len(wav), body + size) if size < 0xFFFF_FFF0 else len(wav)]
            break
        offset = body + size + (size & 1)
    if not rate:
        raise ValueError("WAV has no fmt chunk")
    return resample(data, rate, SAMPLE_RATE)


def resample(pcm: bytes, source_rate: int, target_rate: int) -> bytes:
    """Linear-interpolation resampling of PCM16 mono (good enough for speech previews)."""
    samples = _samples(pcm)
    if source_rate == target_rate or not samples:
        return _to_bytes(samples)
    count = len(samples) * target_rate // source_rate
    step = source_rate / target_rate
    last = len(samples) - 1
    out = array.array("h", bytes(count * BYTES_PER_SAMPLE))
    for i in range(count):
        pos = i * step
        j = int(pos)
        frac = pos - j
        a = samples[j]
        b = samples[j + 1] if j < last else a
        out[i] = int(a + (b - a) * frac)
    return _to_bytes(out)


async def espeak_speech(text: str, voice: str = "en-us", executable: str | None = None) -> bytes:
    """Synthesise ``text`` with espeak-ng; PCM16 24 kHz.

    Raises:
        RuntimeError: espeak-ng is missing, failed or timed out.
    """
    exe = executable or espeak_path()
    if exe is None:
        raise RuntimeError("espeak-ng is not installed")
    try:
        process = await asyncio.create_subprocess_exec(
            exe,
            "--stdout",
            "-v",
            voice,
            "-s",
            "170",
            "--",
            text,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except (OSError, NotImplementedError) as exc:  # some event loops cannot spawn processes
        raise RuntimeError(f"espeak-ng could not start: {exc}") from None
    try:
        wav, err = await asyncio.wait_for(process.communicate(), _ESPEAK_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError("espeak-ng timed out") from None
    if process.returncode != 0:
        message = err.decode(errors="replace").strip()
        raise RuntimeError(f"espeak-ng failed ({process.returncode}): {message}")
    try:
        return wav_to_pcm24k(wav)
    except ValueError as exc:
        raise RuntimeError(f"espeak-ng output unreadable: {exc}") from None


class Speaker:
    """Turns reply text into PCM16 24 kHz: espeak-ng when wanted and present, else a tone.

    Args:
        engine: ``auto`` (espeak-ng if installed), ``espeak`` or ``tone``.
        executable: the espeak-ng program (default: found on ``PATH``).
    """

    def __init__(self, engine: str = "auto", executable: str | None = None) -> None:
        self._executable = executable or espeak_path()
        self._use_espeak = engine != "tone" and self._executable is not None
        if engine == "espeak" and not self._use_espeak:
            log.warning("espeak-ng not found; the simulator speaks with a voiced tone")

    @property
    def engine(self) -> str:
        """``espeak-ng`` or ``tone``: what :meth:`speak` uses."""
        return "espeak-ng" if self._use_espeak else "tone"

    async def speak(self, text: str) -> bytes:
        """PCM16 24 kHz audio of ``text``."""
        if self._use_espeak:
            try:
                return await espeak_speech(text, executable=self._executable)
            except RuntimeError as exc:
                # Keep the conversation going; the words matter more than the voice.
                log.warning("%s; falling back to a voiced tone", exc)
        return tone_speech(text)


# ------------------------------------------------------------------ VAD


class VadEventKind(enum.Enum):
    """What the VAD noticed."""

    STARTED = "speech_started"
    STOPPED = "speech_stopped"


@dataclass(frozen=True, slots=True)
class VadEvent:
    """One VAD transition.

    Attributes:
        kind: speech started or stopped.
        audio_ms: position in the input stream (``audio_start_ms`` / ``audio_end_ms``).
    """

    kind: VadEventKind
    audio_ms: int


class EnergyVad:
    """Server-side voice activity detection by frame energy (20 ms frames).

    ``speech_started`` fires once ``min_speech_ms`` of voiced frames arrived (reported
    ``prefix_ms`` earlier, like OpenAI's prefix padding); ``speech_stopped`` after
    ``silence_ms`` without voice.

    Args:
        threshold: RMS in PCM16 units that counts as voiced.
        prefix_ms: padding reported before the first voiced frame.
        silence_ms: silence that ends the utterance.
        min_speech_ms: voiced audio needed to start (ignores clicks).
    """

    FRAME_MS = 20

    def __init__(
        self, threshold: float, prefix_ms: int, silence_ms: int, min_speech_ms: int
    ) -> None:
        self._threshold = threshold
        self._prefix_ms = prefix_ms
        self._silence_ms = silence_ms
        self._min_speech_ms = max(self.FRAME_MS, min_speech_ms)
        self._frame_bytes = ms_to_bytes(self.FRAME_MS)
        self._pending = b""
        self._position_ms = 0
        self._in_speech = False
        self._voiced_ms = 0
        self._voice_start_ms = 0
        self._silent_ms = 0
        self._last_voice_ms = 0

    @property
    def in_speech(self) -> bool:
        """Whether an utterance is in progress."""
        return self._in_speech

    def reset(self) -> None:
        """Forget buffered audio and any utterance in progress (``input_audio_buffer.clear``)."""
        self._pending = b""
        self._in_speech = False
        self._voiced_ms = 0
        self._silent_ms = 0

    def feed(self, pcm: bytes) -> list[VadEvent]:
        """Add audio; return the transitions it caused, in order."""
        events: list[VadEvent] = []
        data = self._pending + pcm
        usable = len(data) - len(data) % self._frame_bytes
        self._pending = data[usable:]
        for offset in range(0, usable, self._frame_bytes):
            voiced = rms(data[offset : offset + self._frame_bytes]) >= self._threshold
            start_ms = self._position_ms
            self._position_ms += self.FRAME_MS
            if voiced:
                if self._voiced_ms == 0:
                    self._voice_start_ms = start_ms
                self._voiced_ms += self.FRAME_MS
                self._silent_ms = 0
                self._last_voice_ms = self._position_ms
                if not self._in_speech and self._voiced_ms >= self._min_speech_ms:
                    self._in_speech = True
                    begin = max(0, self._voice_start_ms - self._prefix_ms)
                    events.append(VadEvent(VadEventKind.STARTED, begin))
            else:
                self._silent_ms += self.FRAME_MS
                if not self._in_speech:
                    self._voiced_ms = 0
                elif self._silent_ms >= self._silence_ms:
                    self._in_speech = False
                    self._voiced_ms = 0
                    events.append(VadEvent(VadEventKind.STOPPED, self._last_voice_ms))
        return events
