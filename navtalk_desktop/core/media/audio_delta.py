"""``realtime.response.audio.delta`` payloads (base64 PCM16, 24 kHz, mono) as audio chunks."""

from __future__ import annotations

import base64
import binascii

from navtalk_desktop.core.media.values import AudioChunk

DELTA_RATE = 24_000
DELTA_CHANNELS = 1
# A delta is normally 20-200 ms (1,280-12,800 base64 characters); refuse absurd sizes
# before decoding so a hostile frame cannot make the player buffer minutes of audio.
MAX_DELTA_CHARS = 4_000_000


class AudioDeltaError(ValueError):
    """An audio delta that is not base64 PCM16, with the reason."""


class AudioDeltaDecoder:
    """Turns successive audio deltas into :class:`AudioChunk` values on one media clock.

    The timestamp of each chunk is the stream time of its first sample: the sum of the
    durations before it since :meth:`reset` (a new response restarts the clock).
    """

    def __init__(self) -> None:
        self._samples = 0

    def reset(self) -> None:
        """Restart the media clock (a new response, or after barge-in)."""
        self._samples = 0

    def decode(self, payload: str) -> AudioChunk:
        """One delta as a chunk.

        Raises:
            AudioDeltaError: not base64, too large, or not whole 16-bit samples.
        """
        if len(payload) > MAX_DELTA_CHARS:
            raise AudioDeltaError(
                f"audio delta of {len(payload):,} base64 characters exceeds {MAX_DELTA_CHARS:,}"
            )
        try:
            pcm = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AudioDeltaError(f"audio delta is not valid base64: {exc}") from None
        if len(pcm) % 2:
            raise AudioDeltaError(
                f"audio delta decodes to {len(pcm)} bytes: not whole 16-bit samples"
            )
        chunk = AudioChunk(
            pcm=pcm,
            rate=DELTA_RATE,
            channels=DELTA_CHANNELS,
            timestamp=self._samples / DELTA_RATE,
            source="delta",
        )
        self._samples += len(pcm) // 2
        return chunk
