"""Recording files: atomic exports, a writer that streams a live session, and the reader.

Guarantees (README, "Recordings"):

* An export (:func:`export_timeline`) replaces its file atomically: a failure or a crash
  leaves the old file and no temporary file.
* A streamed recording (:class:`RecordingWriter`, ``respond --record``) is written while the
  session runs: appended in batches on a writer thread (never on the engine's event loop),
  handed to the system at least every :data:`FLUSH_INTERVAL_S`, fsynced when it is closed.
  A crash (even ``kill -9``) leaves a valid JSON Lines prefix missing at most the last
  fraction of a second; :func:`open_recording` reads it, leaving out a torn last line with
  a note.
* Secrets are redacted in both, as the entries are written.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO, TextIO

from navtalk_desktop.core.timeline.recording import (
    OpenedRecording,
    encode_line,
    parse_recording,
    recording_header,
)
from navtalk_desktop.core.timeline.timeline import Timeline
from navtalk_desktop.infra.atomic_file import atomic_write, atomic_write_text, fsync_directory

log = logging.getLogger(__name__)

# A streamed recording reaches the system (and so survives a crash of the process) at
# least this often while entries keep coming, and at once when the writer catches up.
FLUSH_INTERVAL_S = 0.25
# Entries encoded per batch: bounds the time between two checks of the flush interval.
_BATCH_ROWS = 2048

Secrets = Iterable[str | None] | Callable[[], Iterable[str | None]]


def export_timeline(
    timeline: Timeline,
    path: Path | str,
    *,
    secrets: Iterable[str | None] = (),
    stop: int | None = None,
) -> int:
    """Write rows ``[0, stop)`` of ``timeline`` to ``path`` as a recording, atomically.

    Args:
        timeline: the entries (may keep growing on another thread meanwhile).
        path: the file to create or replace.
        secrets: licenses to redact (URL license parameters and ``sk_navtalk_…`` keys are
            always redacted).
        stop: write rows ``[0, stop)`` only (default: every row). An export running on
            a worker thread while frames keep arriving passes the row count of the
            moment the user chose Export, so the file is an exact snapshot.

    Returns:
        The number of entries written.

    Raises:
        OSError: the old file is untouched and no temporary file is left.
    """
    known = [s for s in secrets if s]
    # Rows are only ever appended (clear() is not used during an export), so the rows
    # below ``end`` stay what they were even while another thread appends.
    end = len(timeline) if stop is None else max(0, min(stop, len(timeline)))

    def write(out: TextIO) -> int:
        stats = timeline.stats
        header = recording_header(
            entries=end, dropped_frames=stats.dropped_frames, dropped_bytes=stats.dropped_bytes
        )
        out.write(encode_line(header))
        for row in range(end):
            out.write(encode_line(timeline.entry_record(row, known)))
        return end

    return atomic_write(path, write)


def open_recording(path: Path | str, timeline: Timeline | None = None) -> OpenedRecording:
    """Read a recording into ``timeline`` (default: a new one).

    The whole file is checked first: on a malformed line nothing is added. A torn last
    line (a recording cut off by a crash) is left out and described in the note.

    Raises:
        OSError: the file cannot be read.
        RecordingError: naming the file, line and problem.
    """
    path = Path(path)
    with path.open("rb") as stream:
        parsed = parse_recording(stream, path)
    target = timeline if timeline is not None else Timeline()
    target.add_records(parsed.records)
    return OpenedRecording(target, parsed.note)


class RecordingFileStore:
    """The app's :class:`~navtalk_desktop.core.timeline.recording.RecordingFiles`: session files on disk."""

    def export(
        self,
        timeline: Timeline,
        path: Path,
        *,
        secrets: Iterable[str | None] = (),
        stop: int | None = None,
    ) -> int:
        """See :func:`export_timeline`."""
        return export_timeline(timeline, path, secrets=secrets, stop=stop)

    def open(self, path: Path) -> OpenedRecording:
        """See :func:`open_recording`."""
        return open_recording(path)

    def write_text(self, path: Path, text: str) -> None:
        """Replace ``path`` with ``text`` atomically."""
        atomic_write_text(path, text)


class RecordingWriter:
    """Streams a timeline to a recording file while the session runs.

    The engine's loop only notes how far the timeline has grown (a listener call under a
    lock, never blocking on disk); a writer thread encodes and appends the new entries in
    batches. Nothing is queued but that row count: the timeline itself holds the entries
    not yet written, so the backlog is bounded by what the session keeps anyway and no
    entry is ever dropped. A write error stops the recording, is logged at once and is
    raised again by :meth:`close`.

    Args:
        path: the file (created or truncated by :meth:`start`).
        timeline: the session's timeline; it must not be cleared while recording.
        secrets: licenses to redact, or a function returning them (asked again for every
            batch, so a license learnt during the session is redacted from then on).
        flush_interval_s: longest time written entries stay in the process's buffer.
    """

    def __init__(
        self,
        path: Path | str,
        timeline: Timeline,
        *,
        secrets: Secrets = (),
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self.path = Path(path)
        self._timeline = timeline
        self._secrets = secrets
        self._flush_interval_s = flush_interval_s
        self._cond = threading.Condition()
        self._available = 0  # rows the timeline has published (guarded by _cond)
        self._closing = False
        self._written = 0  # rows written (writer thread; read after join)
        self._error: OSError | None = None
        self._file: BinaryIO | None = None
        self._thread: threading.Thread | None = None

    @property
    def written(self) -> int:
        """Entries written so far (exact once :meth:`close` returned)."""
        return self._written

    @property
    def error(self) -> OSError | None:
        """The write error that stopped the recording, if any."""
        return self._error

    def start(self) -> None:
        """Create the file, write the header and start following the timeline.

        Raises:
            OSError: the file cannot be created (nothing was started).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stream = open(self.path, "wb")  # noqa: SIM115  (closed by the writer thread's owner)
        try:
            stream.write(encode_line(recording_header()).encode("utf-8"))
            stream.flush()
        except BaseException:
            stream.close()
            raise
        fsync_directory(self.path.parent)
        self._file = stream
        with self._cond:
            self._available = len(self._timeline)
        self._timeline.add_listener(self)
        self._thread = threading.Thread(target=self._run, name="navtalk-recording", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ TimelineListener
    # Called where the timeline delivers notifications (the engine's loop): no I/O here.
    def timeline_appended(self, start: int, count: int) -> None:
        """Rows up to ``start + count`` are ready to be written."""
        with self._cond:
            if start + count > self._available:
                self._available = start + count
                self._cond.notify()

    def timeline_changed(self, row: int) -> None:
        """A folded group grew: its new row was announced by ``timeline_appended``."""

    def timeline_cleared(self) -> None:
        """Not supported while recording: logged, later rows are written as they come."""
        log.warning("the timeline was cleared while recording to %s", self.path)

    # ------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        stream = self._file
        assert stream is not None
        last_flush = time.monotonic()
        while True:
            with self._cond:
                while self._written >= self._available and not self._closing:
                    self._cond.wait()
                end = min(self._available, self._written + _BATCH_ROWS)
                closing = self._closing and end >= self._available
            try:
                if end > self._written:
                    self._write_rows(stream, self._written, end)
                    self._written = end
                now = time.monotonic()
                # Hand the data to the system when caught up, and while entries keep
                # coming at least every flush interval: that is what a crash cannot lose.
                if end >= self._available or now - last_flush >= self._flush_interval_s:
                    stream.flush()
                    last_flush = now
            except Exception as error:  # noqa: BLE001  (kept, logged and raised by close())
                self._error = (
                    error
                    if isinstance(error, OSError)
                    else OSError(f"{type(error).__name__}: {error}")
                )
                log.error("cannot write the recording %s: %s", self.path, self._error)
                return
            if closing:
                return

    def _write_rows(self, stream: BinaryIO, start: int, end: int) -> None:
        secrets = self._secrets() if callable(self._secrets) else self._secrets
        known = [s for s in secrets if s]
        timeline = self._timeline
        lines = [encode_line(timeline.entry_record(row, known)) for row in range(start, end)]
        stream.write("".join(lines).encode("utf-8"))

    # ------------------------------------------------------------------ end
    def detach(self) -> None:
        """Stop listening to the timeline (on the thread that delivers its notifications).

        :meth:`close` does it too; call this first when closing on another thread.
        """
        self._timeline.remove_listener(self)

    def close(self) -> int:
        """Write every entry appended so far, fsync and close the file.

        Blocks until the backlog is written: call it once appending stopped, off the
        engine's loop (after :meth:`detach` there). Idempotent.

        Returns:
            The number of entries written.

        Raises:
            OSError: writing failed at some point (entries from then on are missing).
        """
        thread = self._thread
        if thread is None:
            return self._written
        self._thread = None
        self.detach()
        with self._cond:
            self._available = max(self._available, len(self._timeline))
            self._closing = True
            self._cond.notify()
        thread.join()
        stream = self._file
        self._file = None
        assert stream is not None
        try:
            if self._error is None:
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as error:
            self._error = error
        finally:
            stream.close()
        if self._error is not None:
            raise self._error
        return self._written
