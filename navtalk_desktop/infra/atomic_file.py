"""Replacing a file atomically: the one helper every save and export in the app goes through.

The new content goes to a temporary file with a unique name next to the target (so two
saves of the same file never share one), is fsynced, and is ``os.replace``-d over the
target; then the folder is fsynced so the rename itself survives a power cut. A crash or
an error at any point leaves the old file or the new one, never a torn one, and never a
temporary file: it is removed whenever the write does not complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO, TypeVar

T = TypeVar("T")

TEMP_SUFFIX = ".tmp"
# A file the app creates gets the usual permissions (mkstemp itself creates 0600).
_NEW_FILE_MODE = 0o644


def atomic_write(path: Path | str, write: Callable[[TextIO], T]) -> T:
    """Replace ``path`` with what ``write`` writes to the stream it is given.

    Args:
        path: the file to create or replace; missing folders are created.
        write: writes the whole content (UTF-8, ``\\n`` line ends); its result is returned.

    Raises:
        OSError: the folder is not writable, the disk is full, ``path`` is a folder…;
            and whatever ``write`` raises. In every case the old file is untouched and no
            temporary file is left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            result = write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        with contextlib.suppress(OSError):
            # Keep the permissions of the file being replaced.
            mode = path.stat().st_mode & 0o777 if path.exists() else _NEW_FILE_MODE
            os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    fsync_directory(path.parent)
    return result


def atomic_write_text(path: Path | str, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (see :func:`atomic_write`).

    Raises:
        OSError: as :func:`atomic_write`; the old file is untouched.
    """
    atomic_write(path, lambda stream: stream.write(text))


def fsync_directory(folder: Path) -> None:
    """Make renames and new files in ``folder`` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":  # pragma: no cover
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
