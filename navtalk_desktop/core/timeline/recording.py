"""Session recordings: the JSON Lines format of a timeline, and the port to the files holding one.

A recording is one header line followed by one line per timeline entry (see
:meth:`Timeline.entry_record <navtalk_desktop.core.timeline.timeline.Timeline.entry_record>`). Exports
are written whole; ``respond --record`` streams it as the session goes, so a recording cut
off by a crash ends in at most one torn line: :func:`parse_recording` reads the complete
lines before it and says so in a note instead of refusing the file.

The file work itself (atomic exports, the streaming writer, reading) is in
:mod:`navtalk_desktop.infra.recording`; the UI reaches it through :class:`RecordingFiles`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from navtalk_desktop.core.timeline.timeline import Timeline

RECORDING_FORMAT = "navtalk-desktop-timeline"
RECORDING_VERSION = 1


class RecordingError(ValueError):
    """A recording could not be read; nothing was added.

    Attributes:
        path: the file.
        line: 1-based line number of the problem.
        reason: what is wrong there.
    """

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}: line {line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


def recording_header(
    *, entries: int | None = None, dropped_frames: int = 0, dropped_bytes: int = 0
) -> dict[str, Any]:
    """The first line of a recording.

    Args:
        entries: how many entries follow (``None`` for a recording written as it happens,
            whose length is not known when the header is written).
        dropped_frames: audio frames whose payload was dropped (spill file full).
        dropped_bytes: bytes of those payloads.
    """
    header: dict[str, Any] = {"format": RECORDING_FORMAT, "version": RECORDING_VERSION}
    if entries is None:
        header["streamed"] = True
    else:
        header.update(entries=entries, dropped_frames=dropped_frames, dropped_bytes=dropped_bytes)
    return header


# Stands in for a long raw frame while the rest of its record is encoded (see encode_line).
_RAW_SLOT = "\u2063navtalk-raw\u2063"
_RAW_SLOT_JSON = json.dumps(_RAW_SLOT, ensure_ascii=False)
# Frames at least this long take the fast path (audio deltas: ~6,400 characters).
_FAST_RAW_CHARS = 512
_CONTROL_BYTES = bytes(range(0x20))


def encode_line(record: dict[str, Any]) -> str:
    """One JSON line (with its newline) for ``record``, writable as UTF-8."""
    raw = record.get("raw")
    if (
        isinstance(raw, str)
        and len(raw) >= _FAST_RAW_CHARS
        and raw.isascii()
        and "\\" not in raw
        and len(raw.encode("ascii").translate(None, _CONTROL_BYTES)) == len(raw)
    ):
        # ASCII without backslashes and control characters only needs its quotes escaped:
        # a str.replace instead of json's escaping scan (most of an audio entry's cost).
        text = json.dumps({**record, "raw": _RAW_SLOT}, ensure_ascii=False)
        if text.count(_RAW_SLOT_JSON) == 1:
            quoted = '"' + raw.replace('"', '\\"') + '"'
            return _utf8_safe(text.replace(_RAW_SLOT_JSON, quoted), record) + "\n"
    return _utf8_safe(json.dumps(record, ensure_ascii=False), record) + "\n"


def _utf8_safe(text: str, record: dict[str, Any]) -> str:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # Lone surrogates cannot be UTF-8; JSON escapes keep them losslessly.
            return json.dumps(record)
    return text


@dataclass(frozen=True, slots=True)
class ParsedRecording:
    """The entries of a recording, checked, and what the reader had to say about it.

    Attributes:
        records: entry records ready for :meth:`Timeline.add_records`.
        note: why the recording is not complete (a torn last line), or ``None``.
    """

    records: list[dict[str, Any]]
    note: str | None = None


def parse_recording(lines: Iterable[bytes], path: Path) -> ParsedRecording:
    """Check every line of a recording (bytes, each with its ``\\n`` except maybe the last).

    A last line without its newline that is not valid JSON (or not UTF-8) is a write cut
    off by a crash: it is left out and named in :attr:`ParsedRecording.note`. Any other bad
    line is an error.

    Raises:
        RecordingError: naming the file, line and problem.
    """
    records: list[dict[str, Any]] = []
    note: str | None = None
    for number, line in enumerate(lines, start=1):
        if note is not None:
            # Only the last line can be torn: a line after it means a damaged file.
            raise RecordingError(path, number - 1, "not JSON (and more lines follow it)")
        complete = line.endswith(b"\n")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            if not complete:
                note = _torn(number, len(records))
                continue
            raise RecordingError(path, number, f"not UTF-8 text (byte {error.start})") from None
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except (ValueError, RecursionError) as error:
            if not complete:
                note = _torn(number, len(records))
                continue
            if isinstance(error, json.JSONDecodeError):
                detail = error.msg
            else:
                detail = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise RecordingError(path, number, f"not JSON ({detail})") from None
        if not isinstance(record, dict):
            raise RecordingError(path, number, "not a JSON object")
        if number == 1 and "format" in record:
            if record.get("format") != RECORDING_FORMAT:
                raise RecordingError(path, number, "not a NavTalk Desktop timeline")
            if record.get("version") != RECORDING_VERSION:
                raise RecordingError(path, number, f"unsupported version {record.get('version')!r}")
            continue
        try:
            records.append(check_record(record))
        except (KeyError, TypeError, ValueError) as error:
            raise RecordingError(path, number, str(error)) from None
    return ParsedRecording(records, note)


def _torn(line: int, entries: int) -> str:
    return (
        f"line {line} is cut off (the recording ended abruptly, e.g. the program was killed); "
        f"the {entries:,} complete entries before it were read"
    )


_RECORD_TYPES: dict[str, type | tuple[type, ...]] = {
    "seq": int,
    "direction": str,
    "wall_time": (int, float),
    "mono_time": (int, float),
    "type": str,
    "size": int,
    "raw": (str, bytes),
    "summary": str,
    "call_id": (str, type(None)),
    "error": (str, type(None)),
    "fold_key": (str, type(None)),
    "compact": (str, bytes),
}
_OPTIONAL = frozenset({"summary", "call_id", "error", "fold_key", "compact"})
_DIRECTIONS = frozenset({"in", "out", "local"})


def check_record(record: dict[str, Any]) -> dict[str, Any]:
    """Validate one entry record in place (base64 payloads decoded) and return it.

    Raises:
        KeyError, TypeError, ValueError: naming the field.
    """
    for name in ("raw", "compact"):
        if name + "_base64" in record:
            try:
                record[name] = base64.b64decode(record.pop(name + "_base64"), validate=True)
            except (ValueError, TypeError) as error:
                raise ValueError(f"{name}_base64 is not valid base64 ({error})") from None
    if "raw" not in record:
        raise KeyError("missing 'raw'")
    for name, expected in _RECORD_TYPES.items():
        if name not in record:
            if name in _OPTIONAL:
                continue
            raise KeyError(f"missing {name!r}")
        if not isinstance(record[name], expected) or (
            expected is int and isinstance(record[name], bool)
        ):
            raise TypeError(f"{name!r} has the wrong type ({type(record[name]).__name__})")
    if record["direction"] not in _DIRECTIONS:
        raise ValueError(f"{record['direction']!r} is not a valid Direction")
    return record


@dataclass(frozen=True, slots=True)
class OpenedRecording:
    """A recording opened into a fresh timeline.

    Attributes:
        timeline: its entries.
        note: what the reader had to leave out (a torn last line), or ``None``.
    """

    timeline: Timeline
    note: str | None = None


class RecordingFiles(Protocol):
    """Where the UI's session files go: JSON Lines exports, opening recordings, text exports.

    Every method does blocking file work: call it off the GUI thread.
    """

    def export(
        self,
        timeline: Timeline,
        path: Path,
        *,
        secrets: Iterable[str | None] = (),
        stop: int | None = None,
    ) -> int:
        """Write rows ``[0, stop)`` of ``timeline`` to ``path`` atomically, secrets redacted.

        Returns the number of entries written. Raises ``OSError``; the old file stays.
        """
        ...

    def open(self, path: Path) -> OpenedRecording:
        """Read a recording into a new timeline. Raises ``OSError`` or :class:`RecordingError`."""
        ...

    def write_text(self, path: Path, text: str) -> None:
        """Replace ``path`` with ``text`` atomically. Raises ``OSError``; the old file stays."""
