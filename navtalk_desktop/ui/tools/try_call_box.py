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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.responders.chain import TestCallResult
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.tools.arguments_form import ArgumentsForm
from navtalk_desktop.ui.widgets.json_editor import JsonEditor, monospace_font


class TestCallBox(QGroupBox):
    """Arguments (as a form or JSON), a "Fire test call" button and the last run's result.

    The box only collects arguments and shows results; the owner runs the call through
    the core (``core.responders.chain.fire_test_call``) and calls :meth:`show_result`.

    The arguments follow the tool's schema live (:meth:`follow_schema`): until the user
    edits them, they are the fresh sample (or last call); once edited by hand, the
    user's values stay for parameters that still exist, new parameters get a sample,
    removed ones are dropped, and the source line says what changed.

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
        self.arguments.text_edit.setAccessibleName("Test call arguments (JSON)")
        self.arguments.value_changed.connect(self._on_json_edited)
        self.form = ArgumentsForm(self)
        self.form.values_edited.connect(self._on_form_edited)
        self.views = QTabWidget(self)
        self.views.setObjectName("test_arguments_views")
        self.views.setDocumentMode(True)
        self.views.addTab(self.form, "Form")
        self.views.addTab(self.arguments, "JSON")
        self.views.setTabToolTip(0, "One field per parameter of the tool")
        self.views.setTabToolTip(1, "The arguments object as JSON")
        self._schema: dict[str, Any] | None = None
        self.hand_edited = False
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
        layout.addWidget(self.views)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.output)

    def set_arguments(
        self, arguments: dict[str, Any], source: str, schema: dict[str, Any] | None = None
    ) -> None:
        """Pre-fill the arguments (``source`` says where they came from).

        With ``schema`` (the tool's parameters) the form gets one field per parameter.
        """
        if schema is not None and schema != self._schema:
            self._schema = schema
            self.form.set_schema(schema)
        self.arguments.set_value(arguments)
        self.form.set_values(arguments)
        self.hand_edited = False
        self.source_label.setText(f"Arguments: {source}")

    def follow_schema(self, schema: dict[str, Any], fresh: dict[str, Any], source: str) -> None:
        """The tool's parameters are now ``schema``: make the arguments fit it.

        ``fresh`` are new arguments for it (last call or sample) from ``source``. Arguments
        the user has not touched are replaced by them; edited ones are adapted (see the
        class notes) so no typing is lost for a parameter that still exists.
        """
        if schema == self._schema:
            return
        old = self._schema
        self._schema = schema
        self.form.set_schema(schema)
        if old is None or not self.hand_edited:
            self.set_arguments(fresh, f"{source} (follows the parameters)", schema)
            return
        current = self.arguments.value if isinstance(self.arguments.value, dict) else {}
        properties = schema.get("properties")
        names: dict[str, Any] = properties if isinstance(properties, dict) else {}
        adapted = {k: current[k] if k in current else fresh.get(k) for k in names}
        added = [k for k in names if k not in current]
        dropped = [k for k in current if k not in names]
        self.arguments.set_value(adapted)
        self.form.set_values(adapted)
        notes = []
        if added:
            notes.append("added " + ", ".join(added))
        if dropped:
            notes.append("dropped " + ", ".join(dropped))
        change = f" ({'; '.join(notes)})" if notes else ""
        self.source_label.setText(f"Arguments: yours, fitted to the changed parameters{change}")

    @Slot(object)
    def _on_json_edited(self, value: Any) -> None:
        self.hand_edited = True
        if isinstance(value, dict):
            self.form.set_values(value)
        self.source_label.setText("Arguments: edited by you")

    @Slot(object)
    def _on_form_edited(self, values: Any) -> None:
        self.hand_edited = True
        self.arguments.set_value(values)
        self.source_label.setText("Arguments: edited by you")

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
