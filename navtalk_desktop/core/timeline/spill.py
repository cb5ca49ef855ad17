"""Audio payloads spilled to an anonymous temp file, so long sessions do not fill memory."""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import IO

DEFAULT_SPILL_LIMIT = 1 << 30  # 1 GiB ≈ 3 h of 24 kHz PCM16 as base64 in both directions
_WRITE_CHUNK = 1 << 20  # pending bytes written in one pwrite (bounds memory held back)
# The file is extended (sparsely) this far ahead of the data: a write that grows the file
# costs about 5 times as much as one inside it (ext4: ~1 ms vs ~0.2 ms per MiB).
_GROW_STEP = 32 << 20


class SpillStore:
    """Append-only byte store on disk with a size cap.

    The file is anonymous (deleted as soon as it is created on POSIX) and closed when the store
    is closed or garbage-collected.

    Not thread-safe: :class:`~navtalk_desktop.core.timeline.timeline.Timeline` serialises its calls.

    Args:
        limit_bytes: total bytes kept; later payloads are refused (``put`` returns ``None``).
        directory: where the temp file goes (default: the system temp directory).
    """

    def __init__(
        self, limit_bytes: int = DEFAULT_SPILL_LIMIT, directory: str | None = None
    ) -> None:
        self.limit_bytes = limit_bytes
        self._directory = directory
        self._file: IO[bytes] | None = None
        self._size = 0
        # Payloads are collected in one reused buffer and written in large chunks: one
        # write() per payload costs a syscall each (~6 us), and a buffer freed after each
        # chunk page-faults all over again as it regrows. Reads flush first.
        # _fill = bytes pending in _buffer; _written = bytes on disk.
        self._buffer: bytearray | None = None
        self._fill = 0
        self._written = 0
        self._extended = 0  # file size set ahead of the data
        self.refused_bytes = 0
        self.refused_count = 0

    @property
    def size(self) -> int:
        """Bytes currently stored."""
        return self._size

    def put(self, data: bytes) -> int | None:
        """Store ``data``; return its offset, or ``None`` when the cap would be exceeded."""
        if self._size + len(data) > self.limit_bytes:
            self.refused_bytes += len(data)
            self.refused_count += 1
            return None
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="navtalk-spill-", dir=self._directory)  # noqa: SIM115
            # Close on garbage collection too, without a ResourceWarning: the finalizer holds
            # the file, so it is still open when the callback runs.
            weakref.finalize(self, self._file.close)
        offset = self._size
        size = len(data)
        if self._fill + size > _WRITE_CHUNK:
            self._write_pending()
        if size >= _WRITE_CHUNK:
            self._extend(self._written + size)
            _pwrite_all(self._file.fileno(), data, self._written)
            self._written += size
        else:
            if self._buffer is None:
                self._buffer = bytearray(_WRITE_CHUNK)
            self._buffer[self._fill : self._fill + size] = data
            self._fill += size
        self._size += size
        return offset

    def _write_pending(self) -> None:
        """Write the collected payloads after the bytes already on disk."""
        if self._file is not None and self._buffer is not None and self._fill:
            self._extend(self._written + self._fill)
            with memoryview(self._buffer) as view:
                _pwrite_all(self._file.fileno(), view[: self._fill], self._written)
            self._written += self._fill
            self._fill = 0

    def _extend(self, end: int) -> None:
        """Make the file at least ``end`` bytes long, growing it a step ahead."""
        if end <= self._extended or self._file is None:
            return
        target = max(end, self._extended + _GROW_STEP)
        try:
            os.ftruncate(self._file.fileno(), target)
        except OSError:
            return  # only an optimisation: pwrite extends the file itself
        self._extended = target

    def get(self, offset: int, length: int) -> bytes:
        """The bytes stored at ``offset``."""
        if self._file is None or offset + length > self._size:
            raise KeyError(f"no spilled data at {offset}+{length}")
        self._write_pending()
        # pread leaves the write position alone; fall back to seek/read where it is missing.
        if hasattr(os, "pread"):
            return os.pread(self._file.fileno(), length, offset)
        self._file.seek(offset)
        return self._file.read(length)

    def clear(self) -> None:
        """Forget everything stored."""
        if self._file is not None:
            self._file.truncate(0)
        self._size = 0
        self._fill = 0
        self._written = 0
        self._extended = 0
        self.refused_bytes = 0
        self.refused_count = 0

    def close(self) -> None:
        """Delete the temp file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._size = 0
        self._buffer = None
        self._fill = 0
        self._written = 0
        self._extended = 0


def _pwrite_all(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    """pwrite every byte of ``data`` at ``offset`` (pwrite may write fewer)."""
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            done += os.pwrite(fd, view[done:], offset + done)
