"""Audio payloads spilled to an anonymous temp file, so long sessions do not fill memory."""

from __future__ import annotations

import os
import tempfile
import weakref
from typing import IO

DEFAULT_SPILL_LIMIT = 1 << 30  # 1 GiB ≈ 3 h of 24 kHz PCM16 as base64 in both directions


class SpillStore:
    """Append-only byte store on disk with a size cap.

    The file is anonymous (deleted as soon as it is created on POSIX) and closed when the store
    is closed or garbage-collected.

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
        self._file.seek(offset)
        self._file.write(data)
        self._size += len(data)
        return offset

    def get(self, offset: int, length: int) -> bytes:
        """The bytes stored at ``offset``."""
        if self._file is None or offset + length > self._size:
            raise KeyError(f"no spilled data at {offset}+{length}")
        self._file.flush()
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
        self.refused_bytes = 0
        self.refused_count = 0

    def close(self) -> None:
        """Delete the temp file (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._size = 0
