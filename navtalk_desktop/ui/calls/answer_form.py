"""AnswerEditor: compose a call's output as raw text/JSON or through a form from a result template."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.json_reader import json_type
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.json_editor import monospace_font
from navtalk_desktop.ui.widgets.json_highlighter import JsonHighlighter
from navtalk_desktop.ui.widgets.long_text import size_label
from navtalk_desktop.ui.widgets.text_viewer import FullTextViewer, ViewerShelf

TAB_FORM, TAB_RAW = range(2)
LARGE_ANSWER_CHARS = 200_000
"""Longest answer put into the editable box (a larger one is held and sent exactly as is)."""
LONG_ANSWER_LINE = 10_000
"""Longest line put into the editable box: Qt lays out a line in time that grows with the
square of its length (400,000 characters took 47 s), and wrapping cannot help an editor."""


def too_large_to_edit(text: str) -> bool:
    """Whether ``text`` would stall the GUI thread in an editable text box."""
    if len(text) > LARGE_ANSWER_CHARS:
        return True
    return len(text) > LONG_ANSWER_LINE and max(map(len, text.split("\n"))) > LONG_ANSWER_LINE


def json_problem(text: str) -> str | None:
    """Why ``text`` is not valid JSON, when it looks like JSON (starts with ``{`` or ``[``)."""
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        json.loads(stripped)
    except json.JSONDecodeError as error:
        return f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
    except RecursionError:
        return "Not valid JSON: nested too deeply"
    return None


class AnswerEditor(QWidget):
    """The output being written for one call.

    The raw text is what is sent. When the tool has a result template (a typical JSON
    answer), a form with one field per key writes that text for you; editing the raw
    JSON fills the form back in.

    Signals:
        text_changed(): the output text changed.
        validity_changed(bool): whether the text can be sent (looks like JSON ⇒ must parse).
    """

    text_changed = Signal()
    validity_changed = Signal(bool)

    def __init__(
        self, template: dict[str, Any] | None, parent: QWidget | None = None, source: str = ""
    ) -> None:
        super().__init__(parent)
        self.source = source
        """Where the form's fields come from ("the previous answer"), said on the card."""
        self._template = template or {}
        self._valid = True
        self._held: str | None = None
        self._shelf = ViewerShelf(self)
        self._fields: dict[str, QLineEdit | QCheckBox] = {}
        self.raw_edit = QPlainTextEdit(self)
        self.raw_edit.setObjectName("answer_raw")
        self.raw_edit.setAccessibleName("Answer output")
        self.raw_edit.setFont(monospace_font())
        self.raw_edit.setTabChangesFocus(True)
        self.raw_edit.setPlaceholderText("The output the model receives: plain text or JSON")
        self.raw_edit.setToolTip(
            "Sent as the call's output. Text starting with { or [ must be valid JSON."
        )
        self.raw_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self._highlighter = JsonHighlighter(self.raw_edit.document(), colors(self.palette()))
        self._highlighter.enabled = False
        self.held_label = QLabel(self)
        self.held_label.setObjectName("answer_held")
        self.held_label.setWordWrap(True)
        self.held_label.setTextFormat(Qt.TextFormat.RichText)
        self.held_label.linkActivated.connect(self._on_held_link)
        self.held_label.hide()
        self.error_label = QLabel(self)
        self.error_label.setObjectName("answer_error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.form_page = QWidget(self)
        form = QFormLayout(self.form_page)
        form.setContentsMargins(2, 4, 2, 2)
        form.setVerticalSpacing(3)
        # Long field names go above their field in a narrow call desk.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for key, value in self._template.items():
            widget: QLineEdit | QCheckBox
            if isinstance(value, bool):
                widget = QCheckBox(self.form_page)
                widget.setChecked(value)
                widget.toggled.connect(self._on_form_edited)
            else:
                widget = QLineEdit(self.form_page)
                widget.setText(
                    value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                )
                widget.setToolTip(
                    f"{key}: {json_type(value)}" + ("" if isinstance(value, str) else " (JSON)")
                )
                widget.textEdited.connect(self._on_form_edited)
            widget.setObjectName(f"answer_field_{key}")
            self._fields[key] = widget
            form.addRow(key, widget)
        raw_page = QWidget(self)
        raw_layout = QVBoxLayout(raw_page)
        raw_layout.setContentsMargins(0, 4, 0, 0)
        raw_layout.addWidget(self.raw_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if self._fields:
            self.tabs.addTab(self.form_page, "Form")
            origin = f"from {source}" if source else "from the tool's typical answer"
            self.tabs.setTabToolTip(TAB_FORM, f"Fields {origin}")
            self.form_source_label = QLabel(f"Answer form: fields {origin}", self.form_page)
            self.form_source_label.setObjectName("answer_form_source")
            self.form_source_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.form_source_label.setWordWrap(True)
            form.insertRow(0, self.form_source_label)
            self.tabs.addTab(raw_page, "Raw")
            self.tabs.setTabToolTip(TAB_RAW, "The exact text that is sent")
            layout.addWidget(self.tabs)
        else:
            # Without a template there is only the text: no tabs to choose from.
            self.form_page.hide()
            self.tabs.hide()
            raw_layout.removeWidget(self.raw_edit)
            layout.addWidget(self.raw_edit)
        layout.addWidget(self.held_label)
        layout.addWidget(self.error_label)
        self.raw_edit.textChanged.connect(self._on_raw_edited)
        if self._fields:
            self._on_form_edited()
        self.setFocusProxy(self.raw_edit if not self._fields else next(iter(self._fields.values())))

    @property
    def has_form(self) -> bool:
        """Whether a result-template form is offered."""
        return bool(self._fields)

    @property
    def valid(self) -> bool:
        """Whether the text can be sent."""
        return self._valid

    @property
    def held(self) -> bool:
        """Whether the output is too large to edit here and is held, to be sent as is."""
        return self._held is not None

    def text(self) -> str:
        """The output as it will be sent."""
        return self._held if self._held is not None else self.raw_edit.toPlainText()

    def set_text(self, text: str) -> None:
        """Replace the output (e.g. with a draft); the form follows when it can.

        Text :func:`too_large_to_edit` is held instead of laid out: the editor says how
        large it is, offers it in a read-only viewer, and sends it unchanged.
        """
        if not too_large_to_edit(text):
            self._show_held(None)
            self.raw_edit.setPlainText(text)
            return
        with QSignalBlocker(self.raw_edit):
            self.raw_edit.clear()
        self._show_held(text)
        self._validate()
        self.text_changed.emit()

    def open_full_text(self) -> FullTextViewer:
        """Show the held output, read-only and exact."""
        return self._shelf.open("Answer in full", self.text())

    @property
    def viewers(self) -> list[FullTextViewer]:
        """The full-text viewers open now."""
        return self._shelf.viewers

    def _show_held(self, text: str | None) -> None:
        self._held = text
        editing = text is None
        (self.tabs if self._fields else self.raw_edit).setVisible(editing)
        self.held_label.setVisible(not editing)
        if text is not None:
            self.held_label.setText(
                f"This answer is {size_label(text)} ({len(text):,} characters): too large to "
                "edit here, it is sent exactly as it is. "
                '<a href="open">Open full text</a> · <a href="discard">Discard and type one</a>'
            )

    @Slot(str)
    def _on_held_link(self, link: str) -> None:
        if link == "open":
            self.open_full_text()
        elif link == "discard":
            self.set_text("")
            self.raw_edit.setFocus()

    def field(self, key: str) -> QLineEdit | QCheckBox:
        """The form widget for ``key`` (KeyError if the template has no such key)."""
        return self._fields[key]

    def form_value(self) -> dict[str, Any]:
        """The form's fields as a JSON object (each field parsed by its template type)."""
        value: dict[str, Any] = {}
        for key, widget in self._fields.items():
            if isinstance(widget, QCheckBox):
                value[key] = widget.isChecked()
                continue
            text = widget.text()
            if isinstance(self._template.get(key), str):
                value[key] = text
                continue
            try:
                value[key] = json.loads(text)
            except ValueError:
                value[key] = text
        return value

    @Slot()
    def _on_form_edited(self, *args: Any) -> None:
        del args
        text = json.dumps(self.form_value(), indent=2, ensure_ascii=False)
        with QSignalBlocker(self.raw_edit):
            self.raw_edit.setPlainText(text)
        self._validate()
        self.text_changed.emit()

    @Slot()
    def _on_raw_edited(self) -> None:
        self._validate()
        if self._fields:
            self._fill_form()
        self.text_changed.emit()

    def _fill_form(self) -> None:
        try:
            value = json.loads(self.raw_edit.toPlainText())
        except ValueError:
            return
        if not isinstance(value, dict):
            return
        for key, widget in self._fields.items():
            if key not in value:
                continue
            with QSignalBlocker(widget):
                item = value[key]
                if isinstance(widget, QCheckBox):
                    widget.setChecked(bool(item))
                elif isinstance(item, str) and isinstance(self._template.get(key), str):
                    widget.setText(item)
                else:
                    widget.setText(json.dumps(item, ensure_ascii=False))

    def _validate(self) -> None:
        text = self.text()
        looks_like_json = text.lstrip()[:1] in ("{", "[")
        if looks_like_json != self._highlighter.enabled:
            # Colouring digits and colons in a plain sentence would only distract.
            self._highlighter.enabled = looks_like_json
            self._highlighter.rehighlight()
        problem = json_problem(text)
        self.error_label.setText(problem or "")
        self.error_label.setStyleSheet(f"QLabel {{ color: {colors(self.palette()).error}; }}")
        self.error_label.setVisible(problem is not None)
        valid = problem is None
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
