"""The timeline: an append-only record of every frame in and out, with search and folding."""

from __future__ import annotations

import asyncio
import base64
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from navtalk_desktop.core.ports import Clock, SystemClock
from navtalk_desktop.core.session.redact import redact
from navtalk_desktop.core.timeline.entries import (
    Direction,
    FoldedEntry,
    TimelineEntry,
    TimelineFilter,
    TimelineListener,
    TimelineStats,
)
from navtalk_desktop.core.timeline.recording import (
    RECORDING_FORMAT,
    RECORDING_VERSION,
    RecordingError,
)
from navtalk_desktop.core.timeline.search_pattern import SearchPattern, compile_search_pattern
from navtalk_desktop.core.timeline.spill import DEFAULT_SPILL_LIMIT, SpillStore
from navtalk_desktop.core.timeline.untrack import untrack_record

__all__ = [
    "DEFAULT_SPILL_THRESHOLD",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "TEXT_FOLD_PREFIX",
    "Direction",
    "FoldedEntry",
    "Timeline",
    "TimelineEntry",
    "TimelineFilter",
    "TimelineImportError",
    "TimelineListener",
    "TimelineStats",
]

EXPORT_FORMAT = RECORDING_FORMAT
EXPORT_VERSION = RECORDING_VERSION
# Fold keys starting with this prefix join their summaries into one text (transcripts);
# other folded groups are summarised by frame count and bytes (audio).
TEXT_FOLD_PREFIX = "text:"
# Audio payloads at least this long are spilled to disk instead of staying in memory.
DEFAULT_SPILL_THRESHOLD = 1024


# A recording that cannot be read (the name the timeline's callers know it by).
TimelineImportError = RecordingError


# Where a spilled frame lives: (offset in the spill file or None when dropped, length in
# bytes, whether the frame was text). A tuple: one is made per audio frame.
_Spilled = tuple[int | None, int, bool]
_new_entry = tuple.__new__


def _default_schedule(callback: Callable[[], None]) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        callback()  # no loop: deliver at once
    else:
        loop.call_soon(callback)


@dataclass(slots=True)
class _Pending:
    start: int = -1
    changed: set[int] = field(default_factory=set)
    scheduled: bool = False


class Timeline:
    """Append-only store of timeline entries with batched listener notifications.

    Rows are indexes into the store (0 = oldest). Appending never blocks on listeners:
    notifications are collected and delivered once per event-loop iteration (or immediately
    when no loop runs), as ``timeline_appended(start, count)`` for the whole batch.

    Threads: ONE writer thread may append (:meth:`append`, :meth:`add_records`) while other
    threads read: ``len``, indexing and iteration, :meth:`raw_frame`, :meth:`is_spilled`,
    :meth:`dropped`, :meth:`fold_key`, :meth:`group_of`, the ``logical_*`` methods,
    :meth:`search` and :meth:`entry_record`, and call :meth:`flush` (which is where listeners
    are called: on the thread that flushes; pass e.g. ``gui_loop.call_soon_threadsafe`` as
    ``schedule`` to deliver on the GUI thread). A row is published (``len`` counts it) only
    once its folding and spill records are in place, and entries never change, so a reader
    that saw ``len() == n`` can read rows ``< n`` without locking. The pending notifications
    and the spill file's buffer are guarded by an internal lock (uncontended, and cheap, in a
    single thread). :meth:`clear` and :meth:`close` are writer operations. Listeners are
    added and removed on the flushing thread.

    Args:
        clock: time source for entries appended without explicit times.
        schedule: how to defer a notification flush (default: ``loop.call_soon``).
        spill_threshold: audio payloads at least this long (characters/bytes) are spilled.
        spill_limit_bytes: cap of the spill file; beyond it audio payloads are dropped (the
            entry stays, marked in :meth:`dropped` and in exports).
    """

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        schedule: Callable[[Callable[[], None]], object] | None = None,
        spill_threshold: int = DEFAULT_SPILL_THRESHOLD,
        spill_limit_bytes: int = DEFAULT_SPILL_LIMIT,
    ) -> None:
        self._clock = clock or SystemClock()
        self._schedule = schedule or _default_schedule
        # Guards _pending, the spill store and the folding records against a reader thread.
        self._lock = threading.Lock()
        self._entries: list[TimelineEntry] = []
        self._fold_keys: list[str | None] = []
        self._listeners: list[TimelineListener] = []
        self._pending = _Pending()
        self._next_seq = 1
        self._spill = SpillStore(spill_limit_bytes)
        self._spilled: dict[int, _Spilled] = {}
        self._spill_threshold = spill_threshold
        self.stats = TimelineStats()
        # Folding: row -> group, group -> first row, group -> member rows (multi-row only).
        self._row_group = array("q")
        self._group_first: list[int] = []
        self._group_members: dict[int, list[int]] = {}
        self._open_groups: dict[str, int] = {}
        self._open_direction: dict[str, Direction] = {}
        # The last compact copy of a spilled text frame, with the head and tail around its
        # payload: audio frames of one stream usually share both, so they share one string.
        self._last_compact: tuple[str, str, str, str] | None = None
        self._placeholders: dict[tuple[int, bool], str] = {}

    # ------------------------------------------------------------------ container protocol
    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, row: int) -> TimelineEntry:
        return self._entries[row]

    def __iter__(self) -> Iterator[TimelineEntry]:
        return iter(self._entries)

    def rows(self, start: int, stop: int) -> tuple[TimelineEntry, ...]:
        """Entries ``start`` .. ``stop - 1`` (immutable; any thread, like indexing)."""
        return tuple(self._entries[start:stop])

    def fold_keys(self, start: int, stop: int) -> tuple[str | None, ...]:
        """Fold keys of rows ``start`` .. ``stop - 1`` (see :meth:`append`)."""
        return tuple(self._fold_keys[start:stop])

    # ------------------------------------------------------------------ listeners
    def set_schedule(self, schedule: Callable[[Callable[[], None]], object]) -> None:
        """Defer notification flushes with ``schedule`` from now on (writer thread)."""
        self._schedule = schedule

    def add_listener(self, listener: TimelineListener) -> None:
        """Start notifying ``listener``."""
        self._listeners.append(listener)

    def remove_listener(self, listener: TimelineListener) -> None:
        """Stop notifying ``listener`` (no error if unknown)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def flush(self) -> None:
        """Deliver pending notifications now (on the calling thread)."""
        with self._lock:
            pending = self._pending
            pending.scheduled = False
            start = pending.start
            changed = pending.changed
            if start < 0 and not changed:
                return
            self._pending = _Pending()
            count = len(self._entries) - start if start >= 0 else 0
        for listener in list(self._listeners):
            if count:
                listener.timeline_appended(start, count)
            for row in sorted(changed):
                if start < 0 or row < start:
                    listener.timeline_changed(row)

    def _mark(self, row: int, changed_group_first: int | None = None) -> bool:
        """Note ``row`` for the next flush (lock held); True when a flush must be scheduled."""
        if not self._listeners:
            return False  # a listener added later reads len() itself
        pending = self._pending
        if pending.start < 0:
            pending.start = row
        if changed_group_first is not None:
            pending.changed.add(changed_group_first)
        if pending.scheduled:
            return False
        pending.scheduled = True
        return True

    # ------------------------------------------------------------------ appending
    def append(
        self,
        direction: Direction,
        type: str,
        raw: str | bytes,
        *,
        summary: str = "",
        call_id: str | None = None,
        error: str | None = None,
        fold_key: str | None = None,
        audio: str | bytes | None = None,
        size: int | None = None,
        wall_time: float | None = None,
        mono_time: float | None = None,
    ) -> int:
        """Append one entry and return its row.

        Args:
            direction: in, out or local.
            type: event type.
            raw: the exact frame.
            summary: short description; for text folds, the fragment.
            call_id: function call this frame belongs to.
            error: why the frame could not be understood.
            fold_key: consecutive entries with the same key (and direction) fold into one
                logical entry; a non-delta frame in the same direction ends the run.
            audio: the audio payload inside ``raw`` (base64 text, or the raw bytes of a binary
                frame); when long, the exact frame is spilled to disk.
            size: frame size in bytes (computed when omitted).
            wall_time: epoch time (default: now).
            mono_time: monotonic time (default: now).
        """
        if size is None:
            if isinstance(raw, bytes):
                size = len(raw)
            else:
                size = len(raw) if raw.isascii() else len(raw.encode("utf-8", "surrogatepass"))
        if wall_time is None:
            wall_time = self._clock.wall()
        if mono_time is None:
            mono_time = self._clock.monotonic()
        with self._lock:
            row = len(self._entries)
            stored = raw
            if audio is not None and len(audio) >= self._spill_threshold:
                stored = self._spill_frame(row, raw, audio)
            seq = self._next_seq
            self._next_seq = seq + 1
            self._fold_keys.append(fold_key)
            grown = self._fold(row, direction, fold_key)
            # Published last: a reader that sees the row sees its records too.
            entry = (
                seq,
                direction,
                wall_time,
                mono_time,
                type,
                size,
                stored,
                summary,
                call_id,
                error,
            )
            record = _new_entry(TimelineEntry, entry)
            untrack_record(record)  # kept for the session: full collections skip it
            self._entries.append(record)
            # _mark() inlined: this runs for every frame.
            if not self._listeners:
                return row  # a listener added later reads len() itself
            pending = self._pending
            if pending.start < 0:
                pending.start = row
            if grown is not None:
                pending.changed.add(grown)
            if pending.scheduled:
                return row
            pending.scheduled = True
        self._schedule(self.flush)
        return row

    def _spill_frame(self, row: int, raw: str | bytes, audio: str | bytes) -> str | bytes:
        if isinstance(raw, bytes):
            self._spill_data(row, raw, False)
            return b""
        spilled = self._spill_data(row, raw.encode("utf-8", "surrogatepass"), True)
        placeholder = self._placeholder(len(audio), spilled)
        if isinstance(audio, str):
            # Locate the payload: `audio in raw` + `str.replace` scan the 6 kB payload
            # twice (~17 us per frame). NavTalk's frames end right after the payload
            # ('"}}'), so that place is tried first; then where its first 64 characters are.
            start = len(raw) - len(audio) - 3
            if start < 0 or not raw.startswith(audio, start):
                start = raw.find(audio[:64])
                if start >= 0 and not raw.startswith(audio, start):
                    start = -1
            if start >= 0:
                return self._compact(raw[:start], placeholder, raw[start + len(audio) :])
            if audio in raw:  # the head also occurs earlier: the slow, exact way
                return raw.replace(audio, placeholder, 1)
        return placeholder

    def _spill_data(self, row: int, data: bytes, is_text: bool) -> bool:
        """Spill the exact frame of ``row``; False when it had to be dropped."""
        offset = self._spill.put(data)
        self._spilled[row] = (offset, len(data), is_text)
        stats = self.stats
        if offset is None:
            stats.dropped_frames += 1
            stats.dropped_bytes += len(data)
            return False
        stats.spilled_frames += 1
        stats.spilled_bytes += len(data)
        return True

    def _placeholder(self, length: int, spilled: bool) -> str:
        text = self._placeholders.get((length, spilled))
        if text is None:
            text = f"<{length} chars of audio {'spilled' if spilled else 'dropped'}>"
            if len(self._placeholders) < 4096:
                self._placeholders[(length, spilled)] = text
        return text

    def _compact(self, head: str, placeholder: str, tail: str) -> str:
        """``head + placeholder + tail``, reusing the previous copy when it is equal."""
        last = self._last_compact
        if last is not None and last[0] == head and last[1] == tail and last[2] == placeholder:
            return last[3]
        compact = head + placeholder + tail
        self._last_compact = (head, tail, placeholder, compact)
        return compact

    def _fold(self, row: int, direction: Direction, fold_key: str | None) -> int | None:
        """Assign ``row`` to a group; return the first row of a grown group, if any."""
        if fold_key is None:
            group = len(self._group_first)
            self._group_first.append(row)
            self._row_group.append(group)
            if direction is not Direction.LOCAL and self._open_groups:
                for key in [k for k, d in self._open_direction.items() if d is direction]:
                    del self._open_groups[key]
                    del self._open_direction[key]
            return None
        group_opt = self._open_groups.get(fold_key)
        if group_opt is None or self._open_direction[fold_key] is not direction:
            group = len(self._group_first)
            self._group_first.append(row)
            self._row_group.append(group)
            self._open_groups[fold_key] = group
            self._open_direction[fold_key] = direction
            return None
        members = self._group_members.get(group_opt)
        if members is None:
            members = self._group_members[group_opt] = [self._group_first[group_opt]]
        members.append(row)
        self._row_group.append(group_opt)
        return self._group_first[group_opt]

    def clear(self) -> None:
        """Remove every entry (a new session); listeners get ``timeline_cleared``."""
        with self._lock:
            self._entries.clear()
            self._fold_keys.clear()
            self._spilled.clear()
            self._spill.clear()
            self.stats = TimelineStats()
            self._row_group = array("q")
            self._group_first.clear()
            self._group_members.clear()
            self._open_groups.clear()
            self._open_direction.clear()
            self._last_compact = None
            self._pending = _Pending()
        for listener in list(self._listeners):
            listener.timeline_cleared()

    def close(self) -> None:
        """Release the spill file. The entries stay readable, spilled frames do not."""
        with self._lock:
            self._spill.close()

    # ------------------------------------------------------------------ reading
    def raw_frame(self, row: int) -> str | bytes:
        """The exact frame of ``row`` (read back from the spill file when spilled).

        For audio dropped because the spill file was full, the compact copy is returned;
        :meth:`dropped` tells which rows those are.
        """
        entry = self._entries[row]
        spilled = self._spilled.get(row)
        if spilled is None:
            return entry.raw
        offset, length, is_text = spilled
        if offset is None:
            return entry.raw
        with self._lock:  # the writer may be filling the spill buffer this read flushes
            data = self._spill.get(offset, length)
        return data.decode("utf-8", "surrogatepass") if is_text else data

    def is_spilled(self, row: int) -> bool:
        """Whether the exact frame of ``row`` lives on disk (or was dropped)."""
        return row in self._spilled

    def dropped(self) -> list[int]:
        """Rows whose audio payload was dropped because the spill file was full."""
        with self._lock:  # the writer adds records
            return sorted(row for row, s in self._spilled.items() if s[0] is None)

    def fold_key(self, row: int) -> str | None:
        """The fold key ``row`` was appended with."""
        return self._fold_keys[row]

    def group_of(self, row: int) -> int:
        """Logical row of physical ``row``."""
        return self._row_group[row]

    def logical_count(self) -> int:
        """Number of logical entries (after folding) among the published rows."""
        with self._lock:
            return len(self._group_first)

    def logical_rows(self, group: int) -> list[int]:
        """Physical rows folded into logical row ``group``."""
        with self._lock:
            members = self._group_members.get(group)
            return list(members) if members is not None else [self._group_first[group]]

    def logical_entry(self, group: int) -> FoldedEntry:
        """Logical row ``group`` with its folded text."""
        rows = self.logical_rows(group)
        entries_list = self._entries
        first = entries_list[rows[0]]
        key = self._fold_keys[rows[0]]
        if len(rows) == 1:
            text = first.summary
            size = first.size
        else:
            entries = [entries_list[r] for r in rows]
            size = sum(e.size for e in entries)
            if key is not None and key.startswith(TEXT_FOLD_PREFIX):
                text = "".join(e.summary for e in entries)
            else:
                text = f"{len(rows)} frames, {size} bytes"
        return FoldedEntry(
            group, tuple(rows), first.type, first.direction, first.call_id, text, size
        )

    # ------------------------------------------------------------------ search
    def search(self, query: TimelineFilter) -> list[int]:
        """Rows matching every non-empty field of ``query``, in order.

        Raises:
            ValueError: when ``query.regex`` is not a valid regular expression.
        """
        # RE2: linear time whatever the pattern, on at most MAX_TEXT_CHARS of each row.
        pattern: SearchPattern | None = None
        if query.regex:
            pattern = compile_search_pattern(query.regex)
        needle = query.text.casefold()
        type_part = query.type_contains.casefold()
        stop = len(self._entries) if query.stop is None else min(query.stop, len(self._entries))
        result: list[int] = []
        entries = self._entries
        for row in range(max(0, query.start), stop):
            entry = entries[row]
            if query.types and entry.type not in query.types:
                continue
            if type_part and type_part not in entry.type.casefold():
                continue
            if query.directions and entry.direction not in query.directions:
                continue
            if query.call_id is not None and entry.call_id != query.call_id:
                continue
            if query.errors_only and not entry.error:
                continue
            if needle or pattern is not None:
                haystack = _haystack(entry)
                if needle and needle not in haystack.casefold():
                    continue
                if pattern is not None and not pattern.search(haystack):
                    continue
            result.append(row)
        return result

    # ------------------------------------------------------------------ recordings
    def entry_record(self, row: int, secrets: Iterable[str | None] = ()) -> dict[str, Any]:
        """Row ``row`` as a recording record (see :mod:`navtalk_desktop.core.timeline.recording`).

        The exact frame is included (spilled audio read back; audio dropped for lack of
        spill space is written compact with ``"dropped": true``), secrets redacted (URL
        license parameters and ``sk_navtalk_…`` keys always). Safe on a reader thread for
        published rows.
        """
        return self._export_record(row, self._entries[row], [s for s in secrets if s])

    def _export_record(self, row: int, entry: TimelineEntry, secrets: list[str]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "seq": entry.seq,
            "direction": entry.direction.value,
            "wall_time": entry.wall_time,
            "mono_time": entry.mono_time,
            "type": entry.type,
            "size": entry.size,
        }
        spilled = self._spilled.get(row)
        raw = self.raw_frame(row)
        _put_raw(record, "raw", raw, secrets)
        if spilled is not None:
            _put_raw(record, "compact", entry.raw, secrets)
            if spilled[0] is None:
                record["dropped"] = True
        if entry.summary:
            record["summary"] = redact(entry.summary, secrets)
        if entry.call_id is not None:
            record["call_id"] = redact(entry.call_id, secrets)
        if entry.error is not None:
            record["error"] = redact(entry.error, secrets)
        key = self._fold_keys[row]
        if key is not None:
            record["fold_key"] = key
        return record

    def add_records(self, records: Iterable[dict[str, Any]]) -> int:
        """Append entries read from a recording (checked by :func:`~navtalk_desktop.core.timeline.recording.check_record`).

        Entries keep their sequence numbers and timestamps. Returns how many were added.
        """
        count = 0
        for record in records:
            self._append_record(record)
            count += 1
        return count

    def _append_record(self, record: dict[str, Any]) -> None:
        raw = record["raw"]
        direction = Direction(record["direction"])
        key = record.get("fold_key")
        with self._lock:
            row = len(self._entries)
            stored = raw
            if "compact" in record:
                compact = record["compact"]
                data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
                offset = None if record.get("dropped") else self._spill.put(data)
                self._spilled[row] = (offset, len(data), isinstance(raw, str))
                if offset is None:
                    self.stats.dropped_frames += 1
                    self.stats.dropped_bytes += len(data)
                else:
                    self.stats.spilled_frames += 1
                    self.stats.spilled_bytes += len(data)
                stored = compact
            entry = TimelineEntry(
                record["seq"],
                direction,
                record["wall_time"],
                record["mono_time"],
                record["type"],
                record["size"],
                stored,
                record.get("summary", ""),
                record.get("call_id"),
                record.get("error"),
            )
            self._next_seq = max(self._next_seq, entry.seq + 1)
            self._fold_keys.append(key)
            grown = self._fold(row, direction, key)
            untrack_record(entry)
            self._entries.append(entry)  # published last, as in append()
            schedule = self._mark(row, grown)
        if schedule:
            self._schedule(self.flush)


def _haystack(entry: TimelineEntry) -> str:
    raw = entry.raw if isinstance(entry.raw, str) else ""
    if entry.error:
        return f"{entry.summary}\n{raw}\n{entry.error}"
    return f"{entry.summary}\n{raw}"


def _put_raw(record: dict[str, Any], name: str, raw: str | bytes, secrets: list[str]) -> None:
    if isinstance(raw, bytes):
        for secret in secrets:
            raw = raw.replace(secret.encode("utf-8"), b"***")
        record[name + "_base64"] = base64.b64encode(raw).decode("ascii")
    else:
        record[name] = redact(raw, secrets)
