"""Counting load frames as they land in a timeline (engine and GUI benchmarks)."""

from __future__ import annotations

import asyncio

from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from tests.benchmarks.measure import AUDIO_TYPE, LOAD_TYPE_PREFIX


class LoadFrameCounter:
    """A timeline listener that counts received load frames and times the first and last.

    Times are the entries' own ``mono_time`` (``time.monotonic`` when the session read the
    frame), so listener batching does not blur them.

    Args:
        timeline: the store to watch.
        target: how many load frames make the run complete.

    Attributes:
        count: load frames seen so far.
        audio: audio delta frames among them.
        first: receive time of the first load frame.
        last: receive time of the ``target``-th load frame.
        done: set once ``target`` frames arrived.
    """

    def __init__(self, timeline: Timeline, target: int) -> None:
        self._timeline = timeline
        self.target = target
        self.count = 0
        self.audio = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()
        timeline.add_listener(self)

    def detach(self) -> None:
        """Stop listening."""
        self._timeline.remove_listener(self)

    def timeline_appended(self, start: int, count: int) -> None:
        """Count the load frames among the new rows."""
        timeline = self._timeline
        for row in range(start, start + count):
            entry = timeline[row]
            if entry.direction is not Direction.IN or not entry.type.startswith(LOAD_TYPE_PREFIX):
                continue
            self.count += 1
            if entry.type == AUDIO_TYPE:
                self.audio += 1
            if self.count == 1:
                self.first = entry.mono_time
            if self.count == self.target:
                self.last = entry.mono_time
                self.done.set()

    def timeline_changed(self, row: int) -> None:
        """Folding does not change the count."""

    def timeline_cleared(self) -> None:
        """Not expected during a run."""
