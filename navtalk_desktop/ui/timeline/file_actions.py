"""The timeline panel's file actions: export JSON Lines or Markdown, open a saved session."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import (
    Signal,
    Slot,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QMenu,
    QToolButton,
    QWidget,
)

from navtalk_desktop.core.timeline.recording import RecordingFiles
from navtalk_desktop.ui.conversation.transcript_markdown import timeline_markdown
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.timeline.export_location import ExportLocation

log = logging.getLogger("navtalk_desktop.ui.timeline.timeline_panel")
T = TypeVar("T")


class TimelineFiles(QWidget):
    """Base of the timeline panel: its file actions, run in the background.

    Signals:
        notification_requested(str, str): level and text for a non-modal notification.
        busy_changed(bool): a file operation started or finished.
    """

    notification_requested = Signal(str, str)
    busy_changed = Signal(bool)

    # Set up by the panel.
    bridge: EngineAdapter
    recording: str | None
    clear_button: QToolButton
    files_button: QToolButton
    _executor: Executor | None
    _files: RecordingFiles | None
    _busy: int
    _location: ExportLocation

    def _files_button(self) -> QToolButton:
        """The "File" button with its menu (export JSON Lines / Markdown, open)."""
        button = QToolButton()
        button.setObjectName("timeline_files")
        button.setText("File")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setToolTip("Export the session or open a saved one")
        menu = QMenu(button)
        self.export_jsonl_action = QAction("Export Session (JSON Lines)…", self)
        self.export_jsonl_action.triggered.connect(self.ask_export_jsonl)
        self.export_markdown_action = QAction("Export Transcript (Markdown)…", self)
        self.export_markdown_action.triggered.connect(self.ask_export_markdown)
        self.import_action = QAction("Open Session…", self)
        self.import_action.triggered.connect(self.ask_import_jsonl)
        menu.addAction(self.export_jsonl_action)
        menu.addAction(self.export_markdown_action)
        menu.addSeparator()
        menu.addAction(self.import_action)
        button.setMenu(menu)
        return button

    def _ask_path(
        self, title: str, name_filter: str, save: bool, suffix: str, done: Callable[[Path], Any]
    ) -> None:
        dialog = QFileDialog(self, title)
        dialog.setNameFilter(name_filter)
        # Never the working folder: the last one used, else Documents (export_location).
        dialog.setDirectory(str(self._location.folder))
        dialog.setAcceptMode(
            QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen
        )
        dialog.setFileMode(
            QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile
        )
        if save:
            dialog.setDefaultSuffix(suffix)
            kind = "transcript" if suffix == "md" else "session"
            dialog.selectFile(str(self._location.suggest(kind, suffix)))

        def chosen(path: str) -> None:
            self._location.remember(Path(path))
            done(Path(path))

        # open(), never exec(): a nested event loop would re-enter asyncio (P2).
        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @Slot()
    def ask_export_jsonl(self) -> None:
        """Ask for a file name, then export every frame as JSON Lines."""
        self._ask_path("Export session", "JSON Lines (*.jsonl)", True, "jsonl", self.export_jsonl)

    @Slot()
    def ask_export_markdown(self) -> None:
        """Ask for a file name, then export the transcript with calls as Markdown."""
        self._ask_path("Export transcript", "Markdown (*.md)", True, "md", self.export_markdown)

    @Slot()
    def ask_import_jsonl(self) -> None:
        """Ask for a session file and open it."""
        if not self._can_open():
            return
        self._ask_path(
            "Open session", "JSON Lines (*.jsonl);;All files (*)", False, "", self.import_jsonl
        )

    def export_jsonl(self, path: Path) -> asyncio.Task[Any]:
        """Write every frame to ``path`` (JSON Lines, license redacted) in the background."""
        timeline = self.bridge.timeline
        stop = len(timeline)

        async def work() -> None:
            secrets = await self.bridge.known_secrets()
            # On a worker thread while frames keep arriving: a snapshot of the rows that
            # existed when the user chose Export.
            files = self._need_files()
            count = await self._run_blocking(
                lambda: files.export(timeline, path, secrets=secrets, stop=stop)
            )
            self.notification_requested.emit("success", f"Saved {count:,} frames to {path.name}")

        return self._start_file_task(work(), "export-jsonl", f"Could not save {path.name}")

    def export_markdown(self, path: Path) -> asyncio.Task[Any]:
        """Write the conversation and calls to ``path`` as Markdown in the background."""
        timeline = self.bridge.timeline
        stop = len(timeline)
        title = f"NavTalk session — {self.bridge.profile.name}"

        async def work() -> None:
            secrets = await self.bridge.known_secrets()
            files = self._need_files()

            def write() -> None:
                text = timeline_markdown(timeline, title=title, secrets=secrets, stop=stop)
                files.write_text(path, text)

            await self._run_blocking(write)
            self.notification_requested.emit("success", f"Saved the transcript to {path.name}")

        return self._start_file_task(work(), "export-markdown", f"Could not save {path.name}")

    def import_jsonl(self, path: Path) -> asyncio.Task[Any] | None:
        """Open a saved session in place of the current frames (only while disconnected)."""
        if not self._can_open():
            return None

        async def work() -> None:
            files = self._need_files()
            opened = await self._run_blocking(lambda: files.open(path))
            fresh = opened.timeline
            self.bridge.replace_timeline(fresh, path.name)
            self.recording = str(path)
            if opened.note is None:
                self.notification_requested.emit(
                    "success", f"Opened {path.name}: {len(fresh):,} frames"
                )
            else:
                # A recording cut off by a crash: everything before the torn line is shown.
                log.warning("opened %s: %s", path, opened.note)
                self.notification_requested.emit(
                    "warning", f"Opened {path.name}: {len(fresh):,} frames; {opened.note}"
                )

        return self._start_file_task(work(), "import-jsonl", f"Could not open {path.name}")

    def _need_files(self) -> RecordingFiles:
        if self._files is None:
            raise OSError("session files are not available here")
        return self._files

    def _can_open(self) -> bool:
        if self.bridge.is_active:
            self.notification_requested.emit(
                "warning", "Disconnect first: opening a saved session replaces the live timeline."
            )
            return False
        return True

    async def _run_blocking(self, function: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        if self._executor is None:
            return function()
        return await loop.run_in_executor(self._executor, function)

    def _start_file_task(self, coro: Any, name: str, failure: str) -> asyncio.Task[Any]:
        async def guarded() -> None:
            self._set_busy(+1)
            try:
                await coro
            except Exception as error:  # noqa: BLE001  (reported to the user, nothing lost)
                log.warning("%s: %s", failure, error)
                self.notification_requested.emit("error", f"{failure}: {error}")
            finally:
                self._set_busy(-1)

        return self.bridge.tasks.start(guarded(), name=name)

    def _set_busy(self, delta: int) -> None:
        self._busy += delta
        busy = self._busy > 0
        for widget in (self.clear_button, self.files_button):
            widget.setEnabled(not busy)
        self.busy_changed.emit(busy)

    @property
    def busy(self) -> bool:
        """Whether a file operation runs."""
        return self._busy > 0
