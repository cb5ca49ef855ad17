"""Which tool set file was open, remembered next to the window layout for the next start."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from navtalk_desktop.app.startup import DEFAULT_TOOLSET_FILE
from navtalk_desktop.infra import paths

KEY = "documents/toolset"


def remember_toolset(settings: QSettings, path: Path | None) -> None:
    """Remember ``path`` as the open tool set (None: a new or imported set, not a file)."""
    if path is None:
        settings.remove(KEY)
    else:
        settings.setValue(KEY, str(path))


def remembered_toolset(settings: QSettings) -> Path | None:
    """The tool set file open when the app last ran, if it still exists.

    The default tool set (in the data folder) is not returned: it opens anyway, and
    naming it would make it look like a file asked for on the command line.
    """
    value = settings.value(KEY)
    if not isinstance(value, str) or not value:
        return None
    path = Path(value)
    if not path.is_file() or path == paths.data_dir() / DEFAULT_TOOLSET_FILE:
        return None
    return path


__all__ = ["remember_toolset", "remembered_toolset"]
