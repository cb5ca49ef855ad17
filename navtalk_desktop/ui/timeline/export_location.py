"""Where the timeline's Export and Open dialogs start, and the name an export suggests.

Never the process's working folder (wherever the app happened to be started): the folder
used last in this run, else the user's Documents folder, else the home folder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QStandardPaths


class ExportLocation:
    """Remembers the folder of the last file chosen and suggests export file names.

    Attributes:
        folder: the folder the next dialog opens in.
    """

    def __init__(self) -> None:
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        home = Path.home()
        self.folder = Path(documents) if documents and Path(documents).is_dir() else home

    def remember(self, path: Path) -> None:
        """``path`` was chosen: the next dialog opens in its folder."""
        self.folder = path.parent

    def suggest(self, kind: str, suffix: str, now: datetime | None = None) -> Path:
        """A new file in :attr:`folder`: ``navtalk-<kind>-YYYY-MM-DD-HHMM.<suffix>``."""
        stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M")
        return self.folder / f"navtalk-{kind}-{stamp}.{suffix}"
