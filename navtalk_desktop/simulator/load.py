"""Load mode: a cheap, realistic stream of server frames for benchmarks.

The mix is what a talking avatar sends: per response 12 ``audio.delta`` frames of 100 ms
(6,400 base64 characters each) interleaved with 6 transcript deltas, then ``audio.done`` and
``audio_transcript.done``; every ``call_every`` frames a ``function_call_arguments.done``.
Frames are pre-encoded strings joined by concatenation, so the simulator stays far cheaper
than any client it measures.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass

from navtalk_desktop.simulator.audio import chunks_b64, tone_speech

_ALNUM = string.ascii_letters + string.digits
_WORDS = [
    "Sure,",
    "here",
    "is",
    "the",
    "latest",
    "update",
    "on",
    "your",
    "request",
    "and",
    "everything",
    "looks",
    "fine",
    "today",
]


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """Load mode: stream a realistic frame mix after ``session.updated``.

    Attributes:
        rate: frames per second; ``None`` means as fast as the socket drains.
        frames: stop after this many frames (``None``: until the client leaves).
        call_every: one ``function_call_arguments.done`` per this many frames (0: none).
    """

    rate: float | None = None
    frames: int | None = None
    call_every: int = 200

    @classmethod
    def parse(cls, text: str) -> LoadSpec:
        """``"max"`` or a positive rate in frames per second (``"2000"``).

        Raises:
            ValueError: the text is neither.
        """
        value = text.strip().lower()
        if value in {"max", "inf", "unlimited"}:
            return cls(rate=None)
        try:
            rate = float(value)
        except ValueError:
            raise ValueError(f"load must be 'max' or frames per second, not {text!r}") from None
        if not rate > 0:
            raise ValueError(f"load rate must be positive, not {text!r}")
        return cls(rate=rate)


class LoadFrames:
    """An endless iterator of pre-encoded load-mode frames.

    Args:
        call_every: one function call per this many frames (0: none).
        seed: seed for ids, so runs are reproducible.
    """

    AUDIO_PER_RESPONSE = 12
    TEXT_PER_RESPONSE = 6

    def __init__(self, call_every: int = 200, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._call_every = call_every
        # Four distinct 100 ms chunks of voiced audio, each encoded exactly once.
        pcm = tone_speech("load mode audio sample")
        chunks = [c for c in chunks_b64(pcm, 100) if len(c) == 6400][:4]
        self._audio = [
            '{"type":"realtime.response.audio.delta","data":{"delta":"' + c + '"}}' for c in chunks
        ]
        self._audio_done = '{"type":"realtime.response.audio.done","data":{}}'
        self.sent = 0
        self.audio_frames = 0
        self.calls = 0

    def _id(self, prefix: str, length: int) -> str:
        return prefix + "".join(self._rng.choices(_ALNUM, k=length))

    def _response(self) -> Iterator[str]:
        response_id = self._id("resp_", 21)
        head = '{"type":"realtime.response.audio_transcript.delta","data":{"id":"' + response_id
        words: list[str] = []
        for i in range(self.AUDIO_PER_RESPONSE):
            if i % 2 == 0:
                word = _WORDS[(len(words) + self.sent) % len(_WORDS)]
                words.append(word)
                yield head + '","content":"' + (" " if len(words) > 1 else "") + word + '"}}'
            self.audio_frames += 1
            yield self._audio[i % len(self._audio)]
        yield self._audio_done
        yield (
            '{"type":"realtime.response.audio_transcript.done","data":{"id":"'
            + response_id
            + '","content":"'
            + " ".join(words)
            + '"}}'
        )

    def _call(self) -> str:
        call_id = self._id("call_", 16)
        arguments = {"userInput": "load test call"}
        raw = {
            "type": "response.function_call_arguments.done",
            "event_id": self._id("event_", 21),
            "response_id": self._id("resp_", 21),
            "item_id": self._id("item_", 21),
            "output_index": 0,
            "call_id": call_id,
            "name": "function_call_judge",
            "arguments": json.dumps(arguments),
        }
        self.calls += 1
        return json.dumps(
            {
                "type": "realtime.response.function_call_arguments.done",
                "data": {
                    "function_name": "function_call_judge",
                    "call_id": call_id,
                    "arguments": arguments,
                },
                "raw_data": raw,
            }
        )

    def __iter__(self) -> Iterator[str]:
        while True:
            for frame in self._response():
                if self._call_every and self.sent and self.sent % self._call_every == 0:
                    self.sent += 1
                    yield self._call()
                self.sent += 1
                yield frame
