"""What a timeline holds and reports: entries, folded groups, filters, listeners, stats."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol


class Direction(StrEnum):
    """Where a timeline entry came from."""

    IN = "in"
    """Frame received from the server."""
    OUT = "out"
    """Frame sent to the server."""
    LOCAL = "local"
    """Something that happened here: state change, warning, call step."""


class TimelineEntry(NamedTuple):
    """One frame or local event (immutable).

    A named tuple rather than a frozen dataclass: one is made per frame, and a tuple is
    built about six times faster (0.2 µs instead of 1.2 µs), with the same attribute access.

    Attributes:
        seq: sequence number, unique within a timeline (kept by export/import).
        direction: in, out or local.
        wall_time: epoch seconds when it happened.
        mono_time: monotonic seconds when it happened (durations between entries).
        type: event type (``realtime.response.audio.delta``), ``binary`` or ``invalid``.
        size: size of the original frame in bytes.
        raw: the frame exactly as on the wire; for spilled audio a compact copy whose payload
            is replaced by a placeholder (:meth:`Timeline.raw_frame` returns the exact frame).
        summary: short human-readable description (the text fragment for transcript deltas).
        call_id: function call this entry belongs to.
        error: why the frame could not be understood, if it could not.
    """

    seq: int
    direction: Direction
    wall_time: float
    mono_time: float
    type: str
    size: int
    raw: str | bytes
    summary: str = ""
    call_id: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class FoldedEntry:
    """A logical entry: one frame, or a run of delta frames folded together.

    Attributes:
        group: logical row index.
        rows: physical rows (timeline indexes) of every frame in the group, in order.
        type: type of the frames.
        direction: direction of the frames.
        call_id: call id of the first frame.
        text: joined summaries for text folds, the summary for single frames, otherwise
            "N frames, B bytes".
        size: total bytes of all frames.
    """

    group: int
    rows: tuple[int, ...]
    type: str
    direction: Direction
    call_id: str | None
    text: str
    size: int

    @property
    def count(self) -> int:
        """Number of frames folded into this entry."""
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """What :meth:`Timeline.search` looks for; empty fields match everything.

    Attributes:
        types: exact event types.
        type_contains: substring of the type (case-insensitive).
        directions: directions to keep.
        call_id: only entries linked to this call.
        text: case-insensitive substring of summary, raw text or error.
        regex: regular expression searched in summary, raw text and error (RE2 syntax, see
            :mod:`~navtalk_desktop.core.timeline.search_pattern`; the first 256 k characters of each).
        errors_only: only entries with an error.
        start: first row to consider.
        stop: row after the last row to consider (``None`` = end).
    """

    types: frozenset[str] = frozenset()
    type_contains: str = ""
    directions: frozenset[Direction] = frozenset()
    call_id: str | None = None
    text: str = ""
    regex: str = ""
    errors_only: bool = False
    start: int = 0
    stop: int | None = None


class TimelineListener(Protocol):
    """Receives batched change notifications. Called after the data is in place."""

    def timeline_appended(self, start: int, count: int) -> None:
        """Rows ``start`` .. ``start+count-1`` were appended."""

    def timeline_changed(self, row: int) -> None:
        """The logical entry starting at ``row`` grew (a delta was folded into it)."""

    def timeline_cleared(self) -> None:
        """Every row was removed."""


@dataclass(slots=True)
class TimelineStats:
    """Memory accounting of audio payloads.

    Attributes:
        spilled_frames: frames whose exact bytes live in the spill file.
        spilled_bytes: bytes in the spill file.
        dropped_frames: audio frames whose payload was dropped (spill file full).
        dropped_bytes: bytes of those frames.
    """

    spilled_frames: int = 0
    spilled_bytes: int = 0
    dropped_frames: int = 0
    dropped_bytes: int = 0
