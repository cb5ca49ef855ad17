"""Replay as server: a recording served on 127.0.0.1 for a client to connect to.

The dialog shows the URL to point a client at (the app in another window, ``respond``, a
web or mobile app built on NavTalk's SDKs), then the report of how that client differed
from the recorded one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.replay_port import ReplayRun, ReplayService
from navtalk_desktop.ui.shell.tasks import TaskRunner


class ReplayDialog(QDialog):
    """Serves one recording and shows the URL, progress and the report.

    Signals:
        finished_report(bool): the client finished; ``True`` when it behaved as recorded.

    Attributes:
        url_edit: the URL (read-only, selectable).
        status: what the replay is doing.
        report_view: the report lines once the client finished.
    """

    finished_report = Signal(bool)

    def __init__(
        self,
        service: ReplayService,
        recording: Path,
        tasks: TaskRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("replay_dialog")
        self.setWindowTitle(f"Replay {recording.name} as server")
        self._service = service
        self._recording = recording
        self._tasks = tasks
        self._run: ReplayRun | None = None
        self._serving: asyncio.Task[None] | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Point a client at this URL. The recorded server frames are played in order and "
            "timing; the replay waits where the recording waited for the client, and reports "
            "how the client differed.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.url_edit = QLineEdit(self)
        self.url_edit.setReadOnly(True)
        self.url_edit.setPlaceholderText("starting…")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.url_edit.text())
        )
        row.addWidget(self.url_edit, 1)
        row.addWidget(self.copy_button)
        layout.addLayout(row)
        self.status = QLabel(f"Reading {recording.name}…", self)
        self.status.setObjectName("replay_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.report_view = QPlainTextEdit(self)
        self.report_view.setReadOnly(True)
        # Never a blank box: say what fills it and how to get there.
        self.report_view.setPlaceholderText(
            "The report appears here when the client has finished the session.\n\n"
            "Connect a client to the URL above: NavTalk Desktop in another window (a "
            "connection profile whose Endpoint is that URL), your own app, or headless:\n"
            "  navtalk-desktop respond --url <URL above> --tools <your tool set> --say …"
        )
        # Diff lines line up only in a fixed-width font.
        self.report_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.report_view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 420)
        self.finished.connect(lambda _result: self._tasks.start(self._stop(), name="replay-stop"))

    def start(self) -> asyncio.Task[None]:
        """Show the dialog and start serving."""
        self.open()
        self._serving = self._tasks.start(self._serve(), name="replay-serve")
        return self._serving

    async def _serve(self) -> None:
        try:
            run = await self._service.start(self._recording)
        except (ValueError, OSError) as exc:
            self.status.setText(f"Cannot replay {self._recording.name}: {exc}")
            return
        self._run = run
        self.url_edit.setText(run.url)
        self.copy_button.setEnabled(True)
        self.status.setText("Waiting for a client to connect…")
        lines, same = await run.report()
        self.report_view.setPlainText("\n".join(lines))
        self.status.setText(
            "The client behaved as recorded."
            if same
            else "The client differed from the recording (see the DIFF lines)."
        )
        self.finished_report.emit(same)

    async def _stop(self) -> None:
        # Closing the dialog ends the replay, whether or not a client came.
        if self._serving is not None and not self._serving.done():
            self._serving.cancel()
        if self._run is not None:
            await self._run.stop()
