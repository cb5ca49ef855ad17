"""The timeline table's columns and how their values read (Qt-free formatting, the filter)."""

from __future__ import annotations

import dataclasses
import math
import time

from navtalk_desktop.core.timeline.search_pattern import compile_search_pattern
from navtalk_desktop.core.timeline.timeline import Direction, TimelineFilter

COLUMNS = ("Time", "Dir", "Type", "Summary", "Size", "Call")
TIME, DIRECTION, TYPE, SUMMARY, SIZE, CALL = range(len(COLUMNS))
# Longer summaries are cut for the table; the detail pane shows everything.
SUMMARY_DISPLAY_CHARS = 300


def format_size(size: int) -> str:
    """``532`` -> ``"532 B"``, ``20480`` -> ``"20.0 KB"``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_time(wall_time: float) -> str:
    """Local ``HH:MM:SS.mmm`` (milliseconds truncated, as ``datetime.fromtimestamp``)."""
    # Every new row shows its time and thousands arrive per second: the local time of
    # the second is formatted once (as fromtimestamp splits and rounds the fraction).
    fraction, whole = math.modf(wall_time)
    micros = round(fraction * 1_000_000)
    if micros >= 1_000_000:
        whole += 1
        micros -= 1_000_000
    second = int(whole)
    global _time_prefix
    if _time_prefix[0] != second:
        _time_prefix = (second, time.strftime("%H:%M:%S.", time.localtime(second)))
    return f"{_time_prefix[1]}{micros // 1000:03d}"


_time_prefix: tuple[int, str] = (-1, "")


@dataclasses.dataclass(frozen=True, slots=True)
class ViewFilter:
    """The timeline panel's filter, turned into a core :class:`TimelineFilter` per use.

    Attributes:
        type_contains: substring of the event type.
        directions: directions to keep (empty: all).
        call_id: only frames of this call.
        text: search text (plain, or a regular expression when ``regex``).
        regex: treat ``text`` as a regular expression.
        highlight: highlight matching rows instead of hiding the others.
    """

    type_contains: str = ""
    directions: frozenset[Direction] = frozenset()
    call_id: str | None = None
    text: str = ""
    regex: bool = False
    highlight: bool = False

    @property
    def active(self) -> bool:
        """Whether anything is filtered or searched."""
        return bool(self.type_contains or self.directions or self.call_id or self.text)

    def core(self, start: int = 0) -> TimelineFilter:
        """The core filter for rows from ``start`` on.

        Raises:
            ValueError: when ``text`` is an invalid regular expression.
        """
        if self.regex and self.text:
            compile_search_pattern(self.text)  # a clear ValueError before any row is searched
        return TimelineFilter(
            type_contains=self.type_contains,
            directions=self.directions,
            call_id=self.call_id,
            text="" if self.regex else self.text,
            regex=self.text if self.regex else "",
            start=start,
        )


def one_line(text: str) -> str:
    if len(text) > SUMMARY_DISPLAY_CHARS:
        text = text[:SUMMARY_DISPLAY_CHARS] + "…"
    return text.replace("\n", " ⏎ ")


HEADER_TIPS = {
    TIME: "Local time the frame was sent or received",
    DIRECTION: "← received from the server, → sent by us, • local event",
    TYPE: "Event type; ▸ marks a folded run of delta frames",
    SUMMARY: "Parsed summary; transcript deltas are joined into one text",
    SIZE: "Frame size on the wire",
    CALL: "Function call this frame belongs to",
}
