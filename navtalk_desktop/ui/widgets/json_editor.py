"""JsonEditor: a raw-JSON text editor with syntax colouring and an inline parse error."""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.json_highlighter import JsonHighlighter


def monospace_font() -> QFont:
    """The system's fixed-pitch font (for JSON and code)."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def parse_error_location(text: str, error: json.JSONDecodeError) -> str:
    """A one-line human description of where ``text`` stopped being JSON."""
    del text  # JSONDecodeError already knows line and column
    return f"Line {error.lineno}, column {error.colno}: {error.msg}"


class JsonEditor(QWidget):
    """Plain-text JSON editor that reports each valid edit and shows parse errors inline.

    Edits are debounced; when the text parses, :attr:`value_changed` carries the value;
    when it does not, the error is shown right above the text (where the user types,
    never below the fold of a tall editor) and the last good value stays
    (:attr:`value`). :meth:`set_value` replaces the text without emitting anything, so a
    form and this editor can mirror each other without loops.

    Signals:
        value_changed(object): the user's edit parsed; the argument is the new value.
        validity_changed(bool): the text became valid (True) or invalid (False).
        error_changed(str): the error shown changed; "" once the text is valid again.
    """

    value_changed = Signal(object)
    validity_changed = Signal(bool)
    error_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, debounce_ms: int = 300) -> None:
        super().__init__(parent)
        self._value: Any = None
        self._valid = True
        self._setting = False
        self.text_edit = QPlainTextEdit(self)
        self.text_edit.setObjectName("json_text")
        self.text_edit.setAccessibleName("JSON")
        self.text_edit.setFont(monospace_font())
        self.text_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setToolTip(
            "Raw JSON. Edits are applied as soon as the text is valid JSON;\n"
            "while it is not, the error is shown above and nothing is lost."
        )
        self.error_label = QLabel(self)
        self.error_label.setObjectName("json_error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.highlighter = JsonHighlighter(self.text_edit.document(), colors(self.palette()))
        self._apply_theme()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.error_label)
        layout.addWidget(self.text_edit, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.commit)
        self.text_edit.textChanged.connect(self._on_text_changed)
        self.setFocusProxy(self.text_edit)

    @property
    def value(self) -> Any:
        """The last value that parsed (what the editor stands for)."""
        return self._value

    @property
    def valid(self) -> bool:
        """Whether the current text is valid JSON."""
        return self._valid

    @property
    def error_text(self) -> str:
        """The parse error shown, or "" when the text is valid."""
        return "" if self._valid else self.error_label.text()

    def text(self) -> str:
        """The editor's current text."""
        return self.text_edit.toPlainText()

    def set_value(self, value: Any) -> None:
        """Show ``value`` pretty-printed. Emits nothing.

        When the text already stands for ``value`` (the user's own formatting), it is left
        alone; otherwise it is replaced, keeping the cursor and scroll position.
        """
        self._value = value
        self._timer.stop()
        current = self.text_edit.toPlainText()
        try:
            unchanged = json.loads(current) == value
        except (ValueError, RecursionError):
            unchanged = False
        if not unchanged:
            text = json.dumps(value, indent=2, ensure_ascii=False)
            bar = self.text_edit.verticalScrollBar()
            scroll = bar.value()
            position = self.text_edit.textCursor().position()
            self._setting = True
            try:
                self.text_edit.setPlainText(text)
            finally:
                self._setting = False
            cursor = self.text_edit.textCursor()
            cursor.setPosition(min(position, len(text)))
            self.text_edit.setTextCursor(cursor)
            bar.setValue(scroll)
        self._set_valid(True, "")

    def set_text(self, text: str) -> None:
        """Replace the text as if the user typed it (parsed and reported after the debounce)."""
        self.text_edit.setPlainText(text)

    def commit(self) -> bool:
        """Parse the text now; emit :attr:`value_changed` when valid. Returns validity."""
        self._timer.stop()
        text = self.text_edit.toPlainText()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            self._set_valid(False, parse_error_location(text, error))
            return False
        except RecursionError:
            self._set_valid(False, "The JSON is nested too deeply to edit here")
            return False
        self._set_valid(True, "")
        if value != self._value:
            self._value = value
            self.value_changed.emit(value)
        return True

    def show_error(self, message: str) -> None:
        """Show a semantic error (the JSON parsed but the model rejected it)."""
        self._set_valid(False, message)

    def move_cursor_to(self, pattern: str) -> None:
        """Place the cursor on the first occurrence of ``pattern`` (a regular expression)."""
        match = re.search(pattern, self.text_edit.toPlainText())
        if match is None:
            return
        cursor = self.text_edit.textCursor()
        cursor.setPosition(match.start())
        cursor.setPosition(match.end(), QTextCursor.MoveMode.KeepAnchor)
        self.text_edit.setTextCursor(cursor)
        self.text_edit.centerCursor()

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)

    def _apply_theme(self) -> None:
        theme = colors(self.palette())
        self.highlighter.set_theme(theme)
        self.error_label.setStyleSheet(f"QLabel {{ color: {theme.error}; padding: 2px; }}")

    def _on_text_changed(self) -> None:
        if not self._setting:
            self._timer.start()

    def _set_valid(self, valid: bool, message: str) -> None:
        shown = "" if valid else message
        changed = shown != self.error_text
        self.error_label.setText(message)
        self.error_label.setVisible(not valid)
        if changed:
            self.error_changed.emit(shown)
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
