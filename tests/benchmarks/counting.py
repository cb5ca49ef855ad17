"""Counting load frames as they land in a timeline (engine and GUI benchmarks)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from navtalk_desktop.core.engine.events import EngineEvent, FramesAppended
from navtalk_desktop.core.timeline.timeline import Direction, Timeline, TimelineEntry
from tests.benchmarks.measure import AUDIO_TYPE, LOAD_TYPE_PREFIX


class LoadFrameCounter:
    """Counts received load frames and times the first and last.

    Either a timeline listener (``timeline`` given) or an engine event sink (call it with
    each event: the rows of ``FramesAppended`` are counted).

    Times are the entries' own ``mono_time`` (``time.monotonic`` when the session read the
    frame), so listener batching does not blur them.

    Args:
        timeline: the store to watch (None: used as an engine event sink).
        target: how many load frames make the run complete.

    Attributes:
        count: load frames seen so far.
        audio: audio delta frames among them.
        first: receive time of the first load frame.
        last: receive time of the ``target``-th load frame.
        done: set once ``target`` frames arrived.
    """

    def __init__(self, timeline: Timeline | None, target: int) -> None:
        self._timeline = timeline
        self.target = target
        self.count = 0
        self.audio = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()
        if timeline is not None:
            timeline.add_listener(self)

    def detach(self) -> None:
        """Stop listening."""
        if self._timeline is not None:
            self._timeline.remove_listener(self)

    def __call__(self, event: EngineEvent) -> None:
        """Engine event sink: count the load frames among appended rows."""
        if isinstance(event, FramesAppended):
            self._count(event.rows)

    def timeline_appended(self, start: int, count: int) -> None:
        """Count the load frames among the new rows."""
        timeline = self._timeline
        assert timeline is not None
        self._count(timeline[row] for row in range(start, start + count))

    def _count(self, entries: Iterable[TimelineEntry]) -> None:
        for entry in entries:
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
