"""Read-only views of long texts (megabytes) that load in slices and copy exactly.

:class:`LongTextEdit` shows a text in short display lines (see
:class:`~navtalk_desktop.ui.widgets.long_text.DisplayLines`), added a slice per event-loop turn
so the GUI thread is never held for long, and copies a selection as the original text
(without the line breaks it added). :class:`FullTextViewer` is the window behind every
"Show full text" of the app: the whole text, with Copy all and Save as.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.ui.widgets.long_text import DisplayLines, size_label

SLICE_CHARS = 32_768
"""Original characters turned into display lines and inserted per step, at most ..."""
SLICE_LINES = 1_000
"""... this many lines (each line is a block: creating 32,768 of them took 300 ms)."""
STEP_BUDGET_S = 0.03
"""Time one loading turn of the event loop may take before it yields (the GUI's budget is
100 ms; a slice takes a few milliseconds)."""
SYNC_CHARS = 65_536
"""Texts up to this size are shown at once (loading them costs a few milliseconds)."""


class LongTextEdit(QPlainTextEdit):
    """A read-only plain-text view for texts of any size.

    Signals:
        loaded(): the whole text is in the view.
    """

    loaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self._text = ""
        self._position = 0
        self._lines = DisplayLines()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._load_step)

    @property
    def full_text(self) -> str:
        """The exact text this view stands for (all of it, even while loading)."""
        return self._text

    @property
    def loading(self) -> bool:
        """Whether part of the text still waits to be shown."""
        return self._position < len(self._text)

    def set_long_text(self, text: str) -> None:
        """Show ``text``: small ones at once, longer ones a slice per event-loop turn."""
        self._timer.stop()
        self._text = text
        self._position = 0
        self._lines = DisplayLines()
        self.clear()
        if len(text) <= SYNC_CHARS:
            self._insert(len(text))
            self.loaded.emit()
        else:
            self._timer.start()

    def clear_text(self) -> None:
        """Show nothing."""
        self.set_long_text("")

    def original_range(self, start: int, end: int) -> str:
        """The original text behind positions ``start``..``end`` of the document."""
        lines = self._lines
        return self._text[lines.original_offset(start) : lines.original_offset(end)]

    def createMimeDataFromSelection(self) -> QMimeData:  # noqa: N802  (Qt override)
        # The selection as it was in the original: without the line breaks added for show.
        cursor = self.textCursor()
        mime = QMimeData()
        mime.setText(self.original_range(cursor.selectionStart(), cursor.selectionEnd()))
        return mime

    def _insert(self, count: int) -> None:
        text, start = self._text, self._position
        end = min(len(text), start + count)
        cut = start
        for _ in range(SLICE_LINES):
            cut = text.find("\n", cut, end)
            if cut < 0:
                break
            cut += 1
        else:
            end = cut
        piece = text[start:end]
        self._position = end
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(self._lines.feed(piece))

    @Slot()
    def _load_step(self) -> None:
        started = time.perf_counter()
        bar = self.verticalScrollBar()
        scroll = bar.value()
        while self.loading and time.perf_counter() - started < STEP_BUDGET_S:
            self._insert(SLICE_CHARS)
        bar.setValue(scroll)  # appending below never moves what the user reads
        if not self.loading:
            self._timer.stop()
            self.loaded.emit()


class FullTextViewer(QDialog):
    """A window showing one long text in full, read-only, with Copy all and Save as.

    Args:
        title: what the text is (window title).
        text: the exact text.
        parent: optional parent widget.

    Signals:
        loaded(): the whole text is shown.
    """

    loaded = Signal()

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("full_text_viewer")
        self.setWindowTitle(title)
        self.resize(760, 560)
        self.view = LongTextEdit(self)
        self.view.setObjectName("full_text")
        self.view.loaded.connect(self._on_loaded)
        self.view.loaded.connect(self.loaded)
        self.status = QLabel(self)
        self.status.setObjectName("full_text_status")
        self.copy_button = QPushButton("Copy all", self)
        self.copy_button.setToolTip("Copy the whole text, exactly as received")
        self.copy_button.clicked.connect(self.copy_all)
        self.save_button = QPushButton("Save as…", self)
        self.save_button.setToolTip("Write the whole text to a file (UTF-8)")
        self.save_button.clicked.connect(self.ask_save)
        close_button = QPushButton("Close", self)
        close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self._size = size_label(text)
        self._length = len(text)
        self.status.setText(f"Loading {self._length:,} characters ({self._size})…")
        self.view.set_long_text(text)

    @property
    def full_text(self) -> str:
        """The exact text shown."""
        return self.view.full_text

    @Slot()
    def copy_all(self) -> None:
        """Put the whole text on the clipboard."""
        QGuiApplication.clipboard().setText(self.full_text)

    @Slot()
    def ask_save(self) -> None:
        """Ask for a file and write the whole text to it."""
        path, _ = QFileDialog.getSaveFileName(self, "Save the full text", "", "Text (*.txt)")
        if path:
            self.save(Path(path))

    def save(self, path: Path) -> None:
        """Write the whole text to ``path`` (UTF-8, exactly; errors are shown, not raised)."""
        try:
            with path.open("w", encoding="utf-8", errors="surrogatepass", newline="") as file:
                file.write(self.full_text)
        except OSError as error:
            self.status.setText(f"Could not save: {error}")
            return
        self.status.setText(f"Saved to {path}")

    @Slot()
    def _on_loaded(self) -> None:
        self.status.setText(f"{self._length:,} characters ({self._size})")


class ViewerShelf:
    """The full-text viewers one widget has open (non-modal, deleted when closed).

    Keeps a Python reference to each open viewer (so it is not collected while shown)
    and forgets it when Qt destroys the window.

    Args:
        parent: the viewers' parent widget.
    """

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self._open: list[FullTextViewer] = []

    def open(self, title: str, text: str) -> FullTextViewer:
        """Show ``text`` in a new viewer titled ``title`` and return it."""
        viewer = FullTextViewer(title, text, self._parent)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._open.append(viewer)
        viewer.destroyed.connect(lambda: self._forget(viewer))
        viewer.show()
        return viewer

    @property
    def viewers(self) -> list[FullTextViewer]:
        """The viewers open now."""
        return list(self._open)

    def _forget(self, viewer: FullTextViewer) -> None:
        if viewer in self._open:
            self._open.remove(viewer)
