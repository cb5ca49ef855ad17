"""File → Replay Recording as Server…: serve a recorded session to a client under test."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from navtalk_desktop.ui.shell.tasks import TaskRunner

if TYPE_CHECKING:
    from navtalk_desktop.ui.regression.replay_dialog import ReplayDialog


def ask_replay(window: QWidget, tasks: TaskRunner) -> None:
    """Pick a recording, then serve it (:func:`open_replay`)."""
    dialog = QFileDialog(window, "Replay a recording as server")
    dialog.setNameFilter("JSON Lines (*.jsonl);;All files (*)")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    # open(), never exec(): a nested event loop would re-enter asyncio (P2).
    dialog.fileSelected.connect(lambda path: open_replay(Path(path), window, tasks))
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()


def open_replay(recording: Path, window: QWidget, tasks: TaskRunner) -> ReplayDialog:
    """Serve ``recording`` on 127.0.0.1 and show the URL and, later, the report."""
    # Imported when used: the replay server is no part of the first screen.
    from navtalk_desktop.headless.replay.service import ReplayServerService
    from navtalk_desktop.ui.regression.replay_dialog import ReplayDialog

    dialog = ReplayDialog(ReplayServerService(), recording, tasks, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.start()
    return dialog
