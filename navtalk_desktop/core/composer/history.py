"""The frames the composer sent (newest first), to look at and send again."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

HISTORY_LIMIT = 100


@dataclass(frozen=True, slots=True)
class SentFrame:
    """One frame the user sent.

    Attributes:
        time: wall-clock time it was sent (seconds since the epoch).
        type: its ``type`` (or ``?``).
        text: the exact text sent.
        confirmed: sent after the user agreed to an unknown or invalid frame.
        failure: why it could not be sent (empty when it was).
    """

    time: float
    type: str
    text: str
    confirmed: bool = False
    failure: str = ""


class FrameHistory:
    """The last :data:`HISTORY_LIMIT` frames sent, newest first."""

    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self._frames: deque[SentFrame] = deque(maxlen=limit)

    def add(self, frame: SentFrame) -> None:
        """Remember ``frame`` as the newest."""
        self._frames.appendleft(frame)

    def __iter__(self) -> Iterator[SentFrame]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def __getitem__(self, index: int) -> SentFrame:
        return self._frames[index]
