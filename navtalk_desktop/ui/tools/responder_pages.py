"""Settings pages of the responder chain editor: one per responder kind (rules and templates apart)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.responders.config import (
    ManualConfig,
    ResponderConfig,
    ScriptConfig,
    StaticConfig,
    WebhookConfig,
)
from navtalk_desktop.core.tools.responder_fields import output_to_text, text_to_output
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.json_editor import monospace_font

WEBHOOK_METHODS = ("POST", "GET", "PUT", "PATCH", "DELETE")


class ResponderPage(QWidget):
    """Settings of one responder kind.

    Signals:
        changed(): the user edited a setting.
    """

    changed = Signal()

    def load(self, config: ResponderConfig) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def config(self) -> ResponderConfig:  # pragma: no cover - abstract
        raise NotImplementedError

    def _code_edit(self, placeholder: str, tooltip: str) -> QPlainTextEdit:
        edit = QPlainTextEdit(self)
        edit.setFont(monospace_font())
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tooltip)
        edit.setTabChangesFocus(True)
        edit.textChanged.connect(self.changed)
        return edit


class ManualPage(ResponderPage):
    """No settings: the call waits for a person."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel(
            "The call waits in the call desk until someone answers it.\n"
            "Give this step a deadline to fall back to the next responder automatically.",
            self,
        )
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addStretch(1)

    def load(self, config: ResponderConfig) -> None:
        del config

    def config(self) -> ResponderConfig:
        return ManualConfig()


class StaticPage(ResponderPage):
    """A fixed output (text, or JSON when it starts with ``{`` or ``[``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output_edit = self._code_edit(
            'e.g. {"temperature": 21, "unit": "celsius"}',
            "Sent as the output of every call. Text starting with { or [ is stored as JSON.",
        )
        self.output_edit.setObjectName("static_output")
        self.output_edit.setAccessibleName("Static output")
        self.error_check = QCheckBox("Send as an error output", self)
        self.error_check.setToolTip("Mark the answer as an error (``Error: …``)")
        self.error_check.toggled.connect(self.changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Output", self))
        layout.addWidget(self.output_edit, 1)
        layout.addWidget(self.error_check)

    def load(self, config: ResponderConfig) -> None:
        assert isinstance(config, StaticConfig)
        self.output_edit.setPlainText(output_to_text(config.output))
        self.error_check.setChecked(config.is_error)

    def config(self) -> ResponderConfig:
        return StaticConfig(
            output=text_to_output(self.output_edit.toPlainText()),
            is_error=self.error_check.isChecked(),
        )


class WebhookPage(ResponderPage):
    """Method, URL, headers, body template, timeout, TLS verification and output path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.method_combo = QComboBox(self)
        self.method_combo.addItems(WEBHOOK_METHODS)
        self.method_combo.setToolTip("HTTP method")
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("webhook_url")
        self.url_edit.setPlaceholderText(
            "http://127.0.0.1:8080/weather  or  {{ vars.weather_url }}/weather"
        )
        self.url_edit.setToolTip("Template; must render to an http(s) URL")
        self.headers_table = QTableWidget(0, 2, self)
        self.headers_table.setAccessibleName("Webhook headers")
        self.headers_table.setHorizontalHeaderLabels(["Header", "Value (template)"])
        self.headers_table.horizontalHeader().setStretchLastSection(True)
        self.headers_table.verticalHeader().hide()
        self.headers_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.headers_table.setMaximumHeight(self.fontMetrics().height() * 6)
        self.headers_table.setToolTip(
            "Request headers; values are templates. Empty rows are ignored."
        )
        self.add_header_button = QToolButton(self)
        self.add_header_button.setText("+")
        self.add_header_button.setToolTip("Add a header")
        self.add_header_button.clicked.connect(self._add_header)
        self.body_edit = self._code_edit(
            'empty: the arguments as JSON, e.g. {"userInput": "…"}',
            "Request body template; empty sends the call's arguments as JSON (the seed's pattern)",
        )
        self.body_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 5 + 12)
        self.timeout_spin = QDoubleSpinBox(self)
        self.timeout_spin.setRange(0.1, 600.0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setToolTip("Total time allowed for the request; then “Error: timeout”")
        self.timeout_spin.setMaximumWidth(110)
        self.verify_check = QCheckBox("Verify TLS certificates", self)
        self.verify_check.setToolTip("Turn off only for self-signed test servers")
        self.output_path_edit = QLineEdit(self)
        self.output_path_edit.setPlaceholderText("empty: the whole response text, or e.g. $.reply")
        self.output_path_edit.setToolTip("JSON path into a JSON response")
        for signal in (
            self.method_combo.currentIndexChanged,
            self.url_edit.textEdited,
            self.timeout_spin.valueChanged,
            self.verify_check.toggled,
            self.output_path_edit.textEdited,
        ):
            signal.connect(self._emit_changed)
        self.headers_table.itemChanged.connect(self._emit_changed)
        method_row = QHBoxLayout()
        method_row.addWidget(self.method_combo)
        method_row.addStretch(1)
        headers_row = QHBoxLayout()
        headers_row.addWidget(self.headers_table, 1)
        headers_row.addWidget(self.add_header_button, 0, Qt.AlignmentFlag.AlignTop)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        # The URL has a row of its own: next to the method it was a sliver in narrow docks.
        form.addRow("Method", method_row)
        form.addRow("URL", self.url_edit)
        form.addRow("Headers", headers_row)
        form.addRow("Body", self.body_edit)
        form.addRow("Timeout", self.timeout_spin)
        form.addRow("", self.verify_check)
        form.addRow("Output path", self.output_path_edit)

    def load(self, config: ResponderConfig) -> None:
        assert isinstance(config, WebhookConfig)
        self._loading = True
        try:
            self.method_combo.setCurrentText(config.method)
            self.url_edit.setText(config.url)
            self.url_edit.setCursorPosition(0)  # the start says where it goes
            self.headers_table.setRowCount(0)
            for name, value in config.headers.items():
                row = self.headers_table.rowCount()
                self.headers_table.insertRow(row)
                self.headers_table.setItem(row, 0, QTableWidgetItem(name))
                self.headers_table.setItem(row, 1, QTableWidgetItem(value))
            self.body_edit.setPlainText(config.body_template)
            self.timeout_spin.setValue(config.timeout_s)
            self.verify_check.setChecked(config.verify_tls)
            self.output_path_edit.setText(config.output_path)
        finally:
            self._loading = False

    def config(self) -> ResponderConfig:
        headers: dict[str, str] = {}
        for row in range(self.headers_table.rowCount()):
            name_item = self.headers_table.item(row, 0)
            value_item = self.headers_table.item(row, 1)
            name = name_item.text().strip() if name_item is not None else ""
            if name:
                headers[name] = value_item.text() if value_item is not None else ""
        return WebhookConfig(
            url=self.url_edit.text().strip(),
            method=self.method_combo.currentText(),
            headers=headers,
            body_template=self.body_edit.toPlainText(),
            timeout_s=self.timeout_spin.value(),
            verify_tls=self.verify_check.isChecked(),
            output_path=self.output_path_edit.text().strip(),
        )

    def _add_header(self) -> None:
        row = self.headers_table.rowCount()
        self.headers_table.insertRow(row)
        self.headers_table.setItem(row, 0, QTableWidgetItem("X-Header"))
        self.headers_table.setItem(row, 1, QTableWidgetItem(""))
        item = self.headers_table.item(row, 0)
        if item is not None:
            self.headers_table.editItem(item)

    def _emit_changed(self, *args: Any) -> None:
        del args
        if not self._loading:
            self.changed.emit()


class ScriptPage(ResponderPage):
    """A Python file and function, run out of process; runs only once the user trusts it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.trust_check: Callable[[str], bool] | None = None
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("script_path")
        self.path_edit.setAccessibleName("Script file")
        self.path_edit.setPlaceholderText("responder.py (relative to the tool set file)")
        self.path_edit.setToolTip("Python file with the function; relative to the tool set file")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setToolTip("Choose the script file")
        self.browse_button.clicked.connect(self._browse)
        self.function_edit = QLineEdit(self)
        self.function_edit.setPlaceholderText("respond")
        self.function_edit.setToolTip(
            "Called as function(arguments, context); returns text or JSON"
        )
        self.timeout_spin = QDoubleSpinBox(self)
        self.timeout_spin.setRange(0.1, 600.0)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setToolTip("The script process is killed after this long")
        self.timeout_spin.setMaximumWidth(110)
        self.trust_label = QLabel(self)
        self.trust_label.setObjectName("script_trust")
        self.trust_label.setWordWrap(True)
        for signal in (
            self.path_edit.textEdited,
            self.function_edit.textEdited,
            self.timeout_spin.valueChanged,
        ):
            signal.connect(self._emit_changed)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("File", path_row)
        form.addRow("Function", self.function_edit)
        form.addRow("Timeout", self.timeout_spin)
        form.addRow(self.trust_label)

    @classmethod
    def ask_script_path(cls, parent: QWidget) -> str:
        """File dialog for a script (a classmethod so tests can replace it)."""
        path, _ = QFileDialog.getOpenFileName(
            parent, "Choose responder script", "", "Python (*.py)"
        )
        return path

    def load(self, config: ResponderConfig) -> None:
        assert isinstance(config, ScriptConfig)
        self._loading = True
        try:
            self.path_edit.setText(config.path)
            self.function_edit.setText(config.function)
            self.timeout_spin.setValue(config.timeout_s)
        finally:
            self._loading = False

    def config(self) -> ResponderConfig:
        return ScriptConfig(
            path=self.path_edit.text().strip(),
            function=self.function_edit.text().strip() or "respond",
            timeout_s=self.timeout_spin.value(),
        )

    def show_trust(self, trusted: bool, detail: str) -> None:
        """Show whether the script may run."""
        theme = colors(self.palette())
        colour = theme.success if trusted else theme.warning
        self.trust_label.setStyleSheet(f"QLabel {{ color: {colour}; }}")
        self.trust_label.setText(detail)

    def _browse(self) -> None:
        path = self.ask_script_path(self)
        if path:
            self.path_edit.setText(path)
            self.changed.emit()

    def _emit_changed(self, *args: Any) -> None:
        del args
        if not self._loading:
            self.changed.emit()


__all__ = [
    "WEBHOOK_METHODS",
    "ManualPage",
    "ResponderPage",
    "ScriptPage",
    "StaticPage",
    "WebhookPage",
]
