"""The simulator's session log: every frame received and sent, per session, as JSON Lines.

One line per entry::

    {"time": 1767225600.123, "session": "3f2c…", "direction": "in",
     "type": "realtime.input_function_call", "frame": {…}}

``direction`` is ``in`` (client to simulator), ``out`` (simulator to client) or ``note``
(what the simulator decided or ignored, e.g. a result for an unknown ``call_id``). Audio
payloads are replaced by ``"<N base64 chars>"`` unless audio logging is on, so long
sessions stay small. Licenses never appear: the connect note carries a masked URL.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Literal

log = logging.getLogger(__name__)

Direction = Literal["in", "out", "note"]
LogListener = Callable[["LogEntry"], None]

_AUDIO_KEYS = ("audio", "delta")
_AUDIO_TYPES = frozenset(
    {
        "realtime.input_audio_buffer.append",
        "input_audio_buffer.append",
        "realtime.response.audio.delta",
        "realtime.input_image",
    }
)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One logged frame or note.

    Attributes:
        time: wall-clock seconds since the epoch.
        session: the simulator's ``sessionId`` for this connection.
        direction: ``in``, ``out`` or ``note``.
        type: the frame's ``type`` (``"<invalid json>"`` / ``"<binary>"`` when it has none).
        frame: the decoded frame, its raw text when it was not JSON, or the note's details.
    """

    time: float
    session: str
    direction: Direction
    type: str
    frame: Any

    def to_json(self) -> str:
        """The entry as one JSON Lines line (without the newline)."""
        return json.dumps(
            {
                "time": round(self.time, 6),
                "session": self.session,
                "direction": self.direction,
                "type": self.type,
                "frame": self.frame,
            },
            ensure_ascii=False,
        )


def elide_audio(frame: Any, event_type: str) -> Any:
    """``frame`` with long audio/image payloads replaced by a length marker (copies)."""
    if event_type not in _AUDIO_TYPES or not isinstance(frame, dict):
        return frame
    copy = dict(frame)
    for holder in (copy, copy.get("data")):
        if not isinstance(holder, dict):
            continue
        if holder is not copy:
            holder = copy["data"] = dict(holder)
        for key in (*_AUDIO_KEYS, "content"):
            value = holder.get(key)
            if isinstance(value, str) and len(value) > 64:
                holder[key] = f"<{len(value)} base64 chars>"
    return copy


class SessionLog:
    """Every frame of every session: an in-memory ring and optionally a JSON Lines file.

    Args:
        path: file appended to (created with its folder); ``None`` keeps memory only.
        capacity: entries kept in memory (oldest dropped first).
        keep_audio: log audio payloads in full.
    """

    def __init__(
        self, path: Path | None = None, capacity: int = 100_000, *, keep_audio: bool = False
    ) -> None:
        self.path = path
        self._entries: deque[LogEntry] = deque(maxlen=capacity)
        self._file: IO[str] | None = None
        self._keep_audio = keep_audio
        self._listeners: list[LogListener] = []

    @property
    def entries(self) -> list[LogEntry]:
        """A snapshot of the entries in memory, oldest first."""
        return list(self._entries)

    def for_session(self, session: str) -> list[LogEntry]:
        """The entries of one session, oldest first."""
        return [entry for entry in self._entries if entry.session == session]

    def add_listener(self, listener: LogListener) -> None:
        """Call ``listener(entry)`` for every new entry (on the simulator's loop)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: LogListener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def record(self, session: str, direction: Direction, event_type: str, frame: Any) -> None:
        """Append one entry (audio elided unless kept) to memory, file and listeners."""
        if not self._keep_audio:
            frame = elide_audio(frame, event_type)
        entry = LogEntry(time.time(), session, direction, event_type, frame)
        self._entries.append(entry)
        if self.path is not None:
            self._write(entry)
        for listener in list(self._listeners):
            listener(entry)

    def note(self, session: str, what: str, **details: Any) -> None:
        """Record something the simulator decided or ignored."""
        self.record(session, "note", what, details or None)

    def _write(self, entry: LogEntry) -> None:
        try:
            if self._file is None:
                assert self.path is not None
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Line buffering: a user tailing the file sees each frame as it happens.
                self._file = self.path.open("a", encoding="utf-8", buffering=1)
            try:
                line = entry.to_json()
            except (ValueError, RecursionError) as exc:
                # A frame nested too deeply for the encoder (or not encodable): the entry
                # stays in memory, the file gets it with a marker instead of the frame.
                line = replace(entry, frame=f"<not loggable: {type(exc).__name__}>").to_json()
            self._file.write(line + "\n")
        except OSError as exc:
            # A full disk must not take the simulated session down; memory keeps the entry.
            log.error("session log %s not writable (%s); logging to memory only", self.path, exc)
            self.path = None

    def close(self) -> None:
        """Close the file (a later entry reopens it in append mode)."""
        if self._file is not None:
            self._file.close()
            self._file = None
