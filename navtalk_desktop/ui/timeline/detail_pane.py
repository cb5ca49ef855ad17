"""DetailPane: the selected timeline frame, pretty-printed and coloured, bounded in size.

A frame may be anything the transport accepts (16 MB). The pane shows at most
:data:`DETAIL_CHARS` characters of it, says how much there is, and opens the whole in a
:class:`~navtalk_desktop.ui.widgets.text_viewer.FullTextViewer`; Copy still copies the exact frame.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.json_highlighter import (
    MAX_HIGHLIGHT_CHARS,
    JsonHighlighter,
    pretty_json,
)
from navtalk_desktop.ui.widgets.long_text import size_label
from navtalk_desktop.ui.widgets.text_viewer import FullTextViewer, LongTextEdit, ViewerShelf

MAX_PRETTY_CHARS = 200_000
"""Frames larger than this are shown raw: indenting 2 MB of JSON takes the GUI thread a
third of a second (the viewer behind "Open full text" shows them raw too)."""
DETAIL_CHARS = 20_000
"""Characters of a frame shown in the pane; the rest is one click away."""


class DetailPane(QWidget):
    """The selected frame: a header line and its pretty-printed, coloured JSON, with copy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline_detail")
        self._raw: str | bytes = ""
        self._pretty_text = ""
        self._full_text = ""
        self._title = ""
        self._shelf = ViewerShelf(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        row = QHBoxLayout()
        self.header = QLabel("Select a frame to see it in full.")
        self.header.setObjectName("detail_header")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header.setWordWrap(True)
        row.addWidget(self.header, 1)
        self.copy_button = QToolButton()
        self.copy_button.setObjectName("copy_frame")
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the exact frame as sent or received")
        self.copy_button.clicked.connect(self.copy_raw)
        self.copy_button.setEnabled(False)
        row.addWidget(self.copy_button)
        self.copy_pretty_button = QToolButton()
        self.copy_pretty_button.setObjectName("copy_pretty")
        self.copy_pretty_button.setText("Copy Pretty")
        self.copy_pretty_button.setToolTip("Copy the indented JSON shown below")
        self.copy_pretty_button.clicked.connect(self.copy_pretty)
        self.copy_pretty_button.setEnabled(False)
        row.addWidget(self.copy_pretty_button)
        layout.addLayout(row)
        # Shown only for frames too long to show whole.
        elided = QHBoxLayout()
        self.elided_label = QLabel()
        self.elided_label.setObjectName("detail_elided")
        self.elided_label.setWordWrap(True)
        elided.addWidget(self.elided_label, 1)
        self.full_button = QToolButton()
        self.full_button.setObjectName("detail_full_text")
        self.full_button.setText("Open full text")
        self.full_button.setToolTip("Show the whole frame in a read-only viewer (copy or save it)")
        self.full_button.clicked.connect(self.open_full_text)
        elided.addWidget(self.full_button)
        layout.addLayout(elided)
        self.text = LongTextEdit()
        self.text.setObjectName("detail_text")
        self.text.setAccessibleName("Selected frame")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = self.text.font()
        font.setFamily("monospace")
        font.setStyleHint(font.StyleHint.Monospace)
        self.text.setFont(font)
        self.text.setPlaceholderText("The selected frame appears here, pretty-printed.")
        self.highlighter = JsonHighlighter(
            self.text.document(), colors(self.palette()), continued_lines=True
        )
        layout.addWidget(self.text, 1)
        self._set_elided(False)

    @property
    def raw_text(self) -> str:
        """The exact frame on display (a binary frame as hex)."""
        # Made on demand: the hex of a 16 MB binary frame is 48 MB.
        raw = self._raw
        return raw.hex(" ") if isinstance(raw, bytes) else raw

    @property
    def full_text(self) -> str:
        """Everything the pane stands for (what "Open full text" shows)."""
        return self._full_text

    @property
    def elided(self) -> bool:
        """Whether the pane shows only the beginning of the frame."""
        return len(self._full_text) > DETAIL_CHARS

    def show_frame(
        self, header_html: str, raw: str | bytes, extra: str = "", title: str = "Frame"
    ) -> None:
        """Display one frame; ``extra`` (e.g. the joined transcript of a fold) goes first."""
        self.header.setText(header_html)
        self._raw = raw
        self._title = title
        if len(raw) > MAX_PRETTY_CHARS:
            pretty, is_json = (raw if isinstance(raw, str) else raw.hex(" ")), False
        else:
            pretty, is_json = pretty_json(raw)
        self._pretty_text = pretty
        text = f"{extra}\n\n{pretty}" if extra else pretty
        self._full_text = text
        shown = text[:DETAIL_CHARS]
        self.highlighter.enabled = is_json and len(shown) <= MAX_HIGHLIGHT_CHARS
        self.text.set_long_text(shown)
        self._set_elided(len(text) > DETAIL_CHARS)
        self.copy_button.setEnabled(True)
        self.copy_pretty_button.setEnabled(is_json)

    def clear_frame(self) -> None:
        """Show nothing."""
        self.header.setText("Select a frame to see it in full.")
        self._raw = self._pretty_text = self._full_text = ""
        self.text.clear_text()
        self._set_elided(False)
        self.copy_button.setEnabled(False)
        self.copy_pretty_button.setEnabled(False)

    @Slot()
    def open_full_text(self) -> FullTextViewer:
        """Open everything the pane stands for in a read-only viewer (non-modal)."""
        return self._shelf.open(f"{self._title} in full", self._full_text)

    @property
    def viewers(self) -> list[FullTextViewer]:
        """The full-text viewers open now."""
        return self._shelf.viewers

    @Slot()
    def copy_raw(self) -> None:
        """Put the exact frame on the clipboard."""
        QGuiApplication.clipboard().setText(self.raw_text)

    @Slot()
    def copy_pretty(self) -> None:
        """Put the indented JSON on the clipboard."""
        QGuiApplication.clipboard().setText(self._pretty_text)

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_theme(colors(self.palette()))
        super().changeEvent(event)

    def _set_elided(self, elided: bool) -> None:
        if elided:
            self.elided_label.setText(
                f"Showing the first {DETAIL_CHARS:,} of {len(self._full_text):,} characters "
                f"({size_label(self._full_text)})."
            )
        self.elided_label.setVisible(elided)
        self.full_button.setVisible(elided)
