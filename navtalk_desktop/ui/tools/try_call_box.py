"""TestCallBox: fire a synthetic call through a tool's responder chain and show what came back."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.responders.chain import TestCallResult
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.json_editor import JsonEditor, monospace_font


class TestCallBox(QGroupBox):
    """Arguments editor, a "Fire test call" button and the result of the last run.

    The box only collects arguments and shows results; the owner runs the call through
    the core (``core.responders.chain.fire_test_call``) and calls :meth:`show_result`.

    Signals:
        fire_requested(str): the user asked for a test call; argument is the arguments text.
        reset_requested(): the user wants the arguments reset to the last call or samples.
    """

    # Not a pytest test class, despite the name.
    __test__ = False

    fire_requested = Signal(str)
    reset_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Test call", parent)
        self.setObjectName("test_call_box")
        self.arguments = JsonEditor(self, debounce_ms=200)
        self.arguments.setObjectName("test_arguments")
        self.arguments.text_edit.setToolTip(
            "Arguments of the synthetic call (JSON object). Manual steps pass at once;\n"
            "webhooks are really sent and trusted scripts really run."
        )
        self.arguments.text_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 6 + 12)
        self.source_label = QLabel(self)
        self.source_label.setObjectName("test_arguments_source")
        self.source_label.setWordWrap(True)
        self.reset_button = QPushButton("Reset arguments", self)
        self.reset_button.setToolTip(
            "Use the last real call's arguments, or samples from the schema"
        )
        self.reset_button.clicked.connect(self.reset_requested)
        self.fire_button = QPushButton("Fire test call", self)
        self.fire_button.setObjectName("fire_test_call")
        self.fire_button.setToolTip(
            "Run these arguments through the responder chain, without any connection"
        )
        self.fire_button.clicked.connect(self._on_fire_clicked)
        self.summary = QLabel(self)
        self.summary.setObjectName("test_call_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.output = QPlainTextEdit(self)
        self.output.setObjectName("test_call_output")
        self.output.setReadOnly(True)
        self.output.setFont(monospace_font())
        self.output.setPlaceholderText("The output of the test call appears here")
        self.output.setMaximumHeight(self.fontMetrics().lineSpacing() * 6 + 12)
        buttons = QHBoxLayout()
        buttons.addWidget(self.source_label, 1)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.fire_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.arguments)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.output)

    def set_arguments(self, arguments: dict[str, Any], source: str) -> None:
        """Pre-fill the arguments (``source`` says where they came from)."""
        self.arguments.set_value(arguments)
        self.source_label.setText(f"Arguments: {source}")

    def arguments_text(self) -> str:
        """The arguments as typed."""
        return self.arguments.text()

    def set_running(self, running: bool) -> None:
        """Disable the button while a call runs."""
        self.fire_button.setEnabled(not running)
        self.fire_button.setText("Running…" if running else "Fire test call")
        if running:
            self.summary.setText("Running the chain…")

    def show_result(self, outcome: TestCallResult) -> None:
        """Show output, responder, duration, the steps taken and argument problems."""
        theme = colors(self.palette())
        result = outcome.result
        parts: list[str] = []
        if result.output is None:
            parts.append(f"<b style='color:{theme.warning}'>No output</b>")
        elif result.is_error:
            parts.append(f"<b style='color:{theme.error}'>Error output</b>")
        else:
            parts.append(f"<b style='color:{theme.success}'>Answered</b>")
        if result.responder:
            parts.append(f"by <b>{html.escape(result.responder)}</b>")
        parts.append(f"in {result.duration_s * 1000:.0f} ms")
        lines = [" ".join(parts)]
        steps = " → ".join(
            f"{attempt.kind} {attempt.outcome}"
            + (f" ({html.escape(attempt.message)})" if attempt.message else "")
            for attempt in result.attempts
        )
        if steps:
            lines.append(f"<span style='color:{theme.muted_text}'>Steps: {steps}</span>")
        for message in result.messages:
            lines.append(f"<span style='color:{theme.warning}'>{html.escape(message)}</span>")
        for violation in outcome.violations:
            lines.append(
                f"<span style='color:{theme.error}'>Argument problem: {html.escape(violation)}</span>"
            )
        self.summary.setText("<br>".join(lines))
        self.output.setPlainText(_pretty(result.output) if result.output is not None else "")

    def show_failure(self, message: str) -> None:
        """Show that the test call could not run at all."""
        theme = colors(self.palette())
        self.summary.setText(f"<b style='color:{theme.error}'>{html.escape(message)}</b>")
        self.output.clear()

    @Slot()
    def _on_fire_clicked(self) -> None:
        self.fire_requested.emit(self.arguments.text())


def _pretty(text: str) -> str:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    return text
