"""Latencies the simulator plays: realistic defaults and a fast preset for tests."""

from __future__ import annotations

import random
from dataclasses import dataclass

# A delay in seconds, either fixed or drawn uniformly from (low, high) per use.
Delay = float | tuple[float, float]


def pick(delay: Delay, rng: random.Random) -> float:
    """One concrete delay in seconds from a fixed value or a (low, high) range."""
    if isinstance(delay, tuple):
        low, high = delay
        return low if high <= low else rng.uniform(low, high)
    return delay


@dataclass(frozen=True, slots=True)
class Timings:
    """Every latency the simulator plays, in seconds (ranges are drawn per use).

    The defaults follow the protocol reference's simulator notes so users see realistic
    pacing; :meth:`fast` removes the waiting for tests.

    Attributes:
        connect_latency: socket open to ``conversation.connected.success``.
        config_grace: how long to wait for ``realtime.input_config`` before sending
            ``realtime.session.created`` anyway (official SDKs may send no config).
        session_updated_delay: ``session.created`` to ``session.updated`` (time for history).
        offer_delay: ``connected.success`` to ``webrtc.signaling.offer``.
        response_latency: turn start to the first response event.
        transcription_delay: ``speech_stopped`` to ``input_audio_transcription.completed``.
        delta_interval: pause between transcript delta groups of a response.
        audio_chunk_ms: length of one ``audio.delta`` chunk (100 ms = 6,400 base64 chars).
        vad_threshold: RMS (PCM16 units) above which a 20 ms frame counts as voiced.
        vad_prefix_ms: audio kept before the first voiced frame.
        vad_silence_ms: silence that ends an utterance (``speech_stopped``).
        vad_min_speech_ms: voiced audio needed before ``speech_started`` fires.
        call_timeout: seconds after which an unanswered call is logged (never enforced).
        max_session: close with ``connected.close`` "Session timeout" after this long.
    """

    connect_latency: Delay = (0.05, 0.15)
    config_grace: float = 1.0
    session_updated_delay: Delay = (0.2, 0.5)
    offer_delay: Delay = (0.3, 2.0)
    response_latency: Delay = (0.3, 0.9)
    transcription_delay: Delay = (0.2, 0.8)
    delta_interval: Delay = (0.05, 0.15)
    audio_chunk_ms: int = 100
    vad_threshold: float = 500.0
    vad_prefix_ms: int = 300
    vad_silence_ms: int = 500
    vad_min_speech_ms: int = 60
    call_timeout: float | None = None
    max_session: float | None = None

    @classmethod
    def fast(cls) -> Timings:
        """No artificial waiting: the preset tests and benchmarks use."""
        return cls(
            connect_latency=0.0,
            config_grace=0.05,
            session_updated_delay=0.0,
            offer_delay=0.0,
            response_latency=0.0,
            transcription_delay=0.0,
            delta_interval=0.0,
        )
