"""The timeline table's columns and how their values read (Qt-free formatting, the filter)."""

from __future__ import annotations

import dataclasses
import math
import time
from array import array
from datetime import datetime

from navtalk_desktop.core.timeline.search_pattern import compile_search_pattern
from navtalk_desktop.core.timeline.timeline import (
    Direction,
    FoldedEntry,
    TimelineEntry,
    TimelineFilter,
)
from navtalk_desktop.ui.shell.theme import ThemeColors

COLUMNS = ("Time", "Dir", "Type", "Summary", "Size", "Call")
TIME, DIRECTION, TYPE, SUMMARY, SIZE, CALL = range(len(COLUMNS))
# Longer summaries are cut for the table; the detail pane shows everything.
SUMMARY_DISPLAY_CHARS = 300
DIRECTION_TEXT = {Direction.IN: "← in", Direction.OUT: "→ out", Direction.LOCAL: "• local"}


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


def fold_text(
    fold: FoldedEntry, first: TimelineEntry, column: int, *, expanded: bool
) -> str | None:
    """What ``column`` shows for a logical row (``first``: its first frame)."""
    if column == TIME:
        return format_time(first.wall_time)
    if column == DIRECTION:
        return DIRECTION_TEXT.get(fold.direction, str(fold.direction))
    if column == TYPE:
        if fold.count > 1:
            arrow = "▾" if expanded else "▸"
            # The count goes first so eliding a long type never hides it.
            return f"{arrow} {fold.count}× {fold.type}"  # noqa: RUF001  (typographic times sign)
        return fold.type
    if column == SUMMARY:
        text = fold.text
        if first.error and fold.count == 1:
            text = f"⚠ {first.error}" + (f" — {text}" if text else "")
        return one_line(text)
    if column == SIZE:
        return format_size(fold.size)
    if column == CALL:
        return fold.call_id or ""
    return None


def frame_text(entry: TimelineEntry, column: int) -> str | None:
    """What ``column`` shows for one frame of an expanded group."""
    if column == TIME:
        return format_time(entry.wall_time)
    if column == DIRECTION:
        return ""
    if column == TYPE:
        return f"    ↳ frame {entry.seq}"
    if column == SUMMARY:
        return one_line(f"⚠ {entry.error}" if entry.error else entry.summary)
    if column == SIZE:
        return format_size(entry.size)
    if column == CALL:
        return entry.call_id or ""
    return None


def foreground_color(
    entry: TimelineEntry, column: int, is_frame: bool, theme: ThemeColors
) -> str | None:
    """The text colour of a cell (``entry``: the row's frame, or its group's first)."""
    if entry.error and column in (TYPE, SUMMARY):
        return theme.error
    if column == DIRECTION:
        return {
            Direction.IN: theme.inbound,
            Direction.OUT: theme.outbound,
            Direction.LOCAL: theme.local,
        }.get(entry.direction, theme.text)
    if is_frame or column in (TIME, SIZE):
        return theme.muted_text
    if column == TYPE and entry.direction is Direction.LOCAL:
        return theme.local
    return None


def full_time(wall_time: float) -> str:
    """Local date and time with milliseconds (the time column's tooltip)."""
    return datetime.fromtimestamp(wall_time).isoformat(sep=" ", timespec="milliseconds")


def find_group(rows: array[int], group: int, *, simple: bool) -> int | None:
    """Display row of logical ``group`` in ``rows`` (groups sorted, frames negative after
    their group); ``simple``: nothing expanded or hidden, so row == group."""
    if simple:
        return group if group < len(rows) and rows[group] == group else None
    # Rows are sorted by group; frame rows (negative) sit right after their group.
    low, high = 0, len(rows)
    while low < high:
        mid = (low + high) // 2
        probe = mid
        while probe >= low and rows[probe] < 0:
            probe -= 1
        if probe < low:
            low = mid + 1
            continue
        if rows[probe] < group:
            low = mid + 1
        elif rows[probe] > group:
            high = probe
        else:
            return probe
    return None
