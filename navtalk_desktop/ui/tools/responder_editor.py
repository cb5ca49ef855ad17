"""ResponderChainEditor: the ordered responders of one tool, each with its own settings page."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import json
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.responders.config import (
    ErrorPolicy,
    ManualConfig,
    MatchKind,
    ResponderChain,
    ResponderConfig,
    ResponderKind,
    ResponderStep,
    Rule,
    RulesConfig,
    ScriptConfig,
    StaticConfig,
    StepLimits,
    TemplateConfig,
    WebhookConfig,
)
from navtalk_desktop.core.responders.sandbox import ExpressionSandbox
from navtalk_desktop.core.responders.templating import TemplateError, render, template_context
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.widgets.flow_layout import FlowLayout
from navtalk_desktop.ui.widgets.json_editor import monospace_font

KIND_LABELS: dict[ResponderKind, str] = {
    ResponderKind.MANUAL: "Manual — wait for a person in the call desk",
    ResponderKind.STATIC: "Static — always the same text or JSON",
    ResponderKind.TEMPLATE: "Template — rendered from the call's arguments",
    ResponderKind.RULES: "Rules — match argument values, answer per rule",
    ResponderKind.WEBHOOK: "HTTP webhook — forward the call to a URL",
    ResponderKind.SCRIPT: "Script — a Python function in a local file",
}
ERROR_POLICY_LABELS: dict[ErrorPolicy, str] = {
    ErrorPolicy.SEND: "Send “Error: …” as the output",
    ErrorPolicy.NEXT: "Try the next responder",
    ErrorPolicy.SILENT: "Send nothing (call stays unanswered)",
}
WEBHOOK_METHODS = ("POST", "GET", "PUT", "PATCH", "DELETE")


def default_config(kind: ResponderKind) -> ResponderConfig:
    """A sensible new responder of ``kind``."""
    match kind:
        case ResponderKind.MANUAL:
            return ManualConfig()
        case ResponderKind.STATIC:
            return StaticConfig(output='{"status": "ok"}')
        case ResponderKind.TEMPLATE:
            return TemplateConfig(template="Received {{ args | tojson }}")
        case ResponderKind.RULES:
            return RulesConfig(rules=(Rule(match=MatchKind.ANY, output="default answer"),))
        case ResponderKind.WEBHOOK:
            return WebhookConfig(url="http://127.0.0.1:8080/")
        case ResponderKind.SCRIPT:
            return ScriptConfig(path="responder.py")
    raise AssertionError(kind)  # pragma: no cover


def value_to_text(value: Any) -> str:
    """Show a JSON value in a one-line field: strings bare unless they would read as JSON."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def text_to_value(text: str, empty: Any = None) -> Any:
    """Parse a one-line field: JSON when it parses, else the text itself."""
    if not text.strip():
        return empty
    try:
        return json.loads(text)
    except ValueError:
        return text


def output_to_text(value: Any) -> str:
    """Show a responder output (string as is, JSON pretty-printed)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def text_to_output(text: str) -> Any:
    """Store an output: JSON objects/arrays as values, everything else as text."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


class _Page(QWidget):
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


class ManualPage(_Page):
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


class StaticPage(_Page):
    """A fixed output (text, or JSON when it starts with ``{`` or ``[``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output_edit = self._code_edit(
            'e.g. {"temperature": 21, "unit": "celsius"}',
            "Sent as the output of every call. Text starting with { or [ is stored as JSON.",
        )
        self.output_edit.setObjectName("static_output")
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


# Previews render off the GUI thread under this budget: a template that loops forever or
# builds a huge text shows an error instead of freezing the editor.
PREVIEW_LIMITS = StepLimits(time_s=1.0, max_output=200_000)


async def _render_preview(
    sandbox: ExpressionSandbox, source: str, context: dict[str, Any]
) -> tuple[str, str]:
    """(text, "") or ("", error) for a preview."""
    try:
        return await sandbox.render(source, context, PREVIEW_LIMITS), ""
    except TemplateError as error:
        return "", str(error) or "template error"


class TemplatePage(_Page):
    """A Jinja template with a live preview rendered against real or sample arguments.

    The preview renders off the GUI thread, within :data:`PREVIEW_LIMITS`: in the sandbox
    given to :meth:`set_sandbox` (the app's worker processes, driven from the engine thread),
    otherwise in a background thread (renders stop on their own deadline there, and a
    watchdog gives up on one that does not).

    Signals:
        preview_rendered(int, str, str): a preview finished (generation, text, error);
            internal, it carries the result from the rendering thread to the GUI thread.
    """

    preview_rendered = Signal(int, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sandbox: ExpressionSandbox | None = None
        self._submit: (
            Callable[[Coroutine[Any, Any, Any]], concurrent.futures.Future[Any]] | None
        ) = None
        self._generation = 0
        self._rendering = False  # a background render is still running
        self._stale = False  # the template or context changed meanwhile
        self._preview_task: asyncio.Task[None] | None = None
        self.preview_rendered.connect(self._show_preview)
        # Gives up on a render that ignores its deadline (the thread cannot be stopped).
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.setInterval(int(((PREVIEW_LIMITS.time_s or 1.0) + 1.0) * 1000))
        self._watchdog.timeout.connect(self._preview_overdue)
        self._arguments: dict[str, Any] = {}
        self._variables: dict[str, str] = {}
        self._tool_name = ""
        self.template_edit = self._code_edit(
            "e.g. The weather in {{ city }} is sunny.",
            "Jinja template (sandboxed). Names: each argument, args, call.id, call.name, vars.NAME",
        )
        self.template_edit.setObjectName("template_source")
        self.preview_source = QLabel(self)
        self.preview_source.setObjectName("preview_source")
        self.preview_source.setWordWrap(True)
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("template_preview")
        self.preview.setReadOnly(True)
        self.preview.setFont(monospace_font())
        self.preview.setToolTip("What this template answers for the arguments named above")
        self.preview_error = QLabel(self)
        self.preview_error.setObjectName("template_error")
        self.preview_error.setWordWrap(True)
        self.preview_error.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.update_preview)
        self.template_edit.textChanged.connect(self._timer.start)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        top = QWidget(splitter)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(QLabel("Template", top))
        top_layout.addWidget(self.template_edit, 1)
        bottom = QWidget(splitter)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.preview_source)
        bottom_layout.addWidget(self.preview, 1)
        bottom_layout.addWidget(self.preview_error)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter, 1)

    def load(self, config: ResponderConfig) -> None:
        assert isinstance(config, TemplateConfig)
        self.template_edit.setPlainText(config.template)
        # On the preview timer (as after an edit), not now: several changes in a row
        # render once, and building the window does not wait for Jinja (~25 ms to load).
        self._timer.start()

    def config(self) -> ResponderConfig:
        return TemplateConfig(template=self.template_edit.toPlainText())

    def set_preview_context(
        self,
        arguments: dict[str, Any],
        source: str,
        tool_name: str,
        variables: dict[str, str],
    ) -> None:
        """Render previews against ``arguments`` (``source`` says where they came from)."""
        self._arguments = dict(arguments)
        self._tool_name = tool_name
        self._variables = dict(variables)
        args = json.dumps(arguments, ensure_ascii=False)
        if len(args) > 160:
            args = args[:157] + "…"
        self.preview_source.setText(f"Preview with {source}: {args}")
        self._timer.start()  # see load()

    def set_sandbox(
        self,
        sandbox: ExpressionSandbox | None,
        submit: Callable[[Coroutine[Any, Any, Any]], concurrent.futures.Future[Any]] | None = None,
    ) -> None:
        """Render previews in ``sandbox`` (the app's worker processes) instead of a thread.

        Args:
            sandbox: where previews render.
            submit: runs a coroutine on another loop (the engine thread's ``run``); without
                it the preview runs on this thread's asyncio loop.
        """
        self._sandbox = sandbox
        self._submit = submit

    @Slot()
    def update_preview(self) -> None:
        """Render the template now (also runs 120 ms after each edit or new context).

        Returns at once: the result arrives through :attr:`preview_rendered`. While a
        render runs, further changes wait for it and then render once, newest first.
        """
        self._timer.stop()
        if self._rendering:
            self._stale = True
            return
        self._generation += 1
        self._rendering = True
        self._stale = False
        generation = self._generation
        self._watchdog.start()
        source = self.template_edit.toPlainText()
        context = template_context(
            self._arguments,
            call_id="call_preview",
            name=self._tool_name,
            variables=self._variables,
        )
        sandbox = self._sandbox
        if sandbox is not None and self._submit is not None:
            work = _render_preview(sandbox, source, context)
            try:
                future = self._submit(work)
            except RuntimeError:  # the engine has stopped (shutting down): render here
                work.close()
            else:
                future.add_done_callback(functools.partial(self._remote_done, generation))
                return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if sandbox is not None and self._submit is None and loop is not None:
            self._preview_task = loop.create_task(
                self._render_in_sandbox(sandbox, generation, source, context),
                name="template-preview",
            )
        else:
            threading.Thread(
                target=self._render_in_thread,
                args=(generation, source, context),
                name="template-preview",
                daemon=True,
            ).start()

    def _remote_done(self, generation: int, future: concurrent.futures.Future[Any]) -> None:
        # On the engine thread: hand the result to the GUI thread (the page may be gone).
        if future.cancelled():
            return
        error = future.exception()
        text, message = ("", f"preview failed: {error}") if error else future.result()
        with contextlib.suppress(RuntimeError):
            self.preview_rendered.emit(generation, text, message)

    async def _render_in_sandbox(
        self, sandbox: ExpressionSandbox, generation: int, source: str, context: dict[str, Any]
    ) -> None:
        text, error = await _render_preview(sandbox, source, context)
        self._show_preview(generation, text, error)

    def _render_in_thread(self, generation: int, source: str, context: dict[str, Any]) -> None:
        try:
            text = render(
                source, context, time_s=PREVIEW_LIMITS.time_s, max_chars=PREVIEW_LIMITS.max_output
            )
            result = (generation, text, "")
        except TemplateError as error:
            result = (generation, "", str(error) or "template error")
        # Queued to the GUI thread; the page may be gone by now.
        with contextlib.suppress(RuntimeError):
            self.preview_rendered.emit(*result)

    @Slot()
    def _preview_overdue(self) -> None:
        if self._rendering:
            self._generation += 1  # its result, if it ever comes, is ignored
            self._show_preview(
                self._generation,
                "",
                f"template preview stopped: no result within {PREVIEW_LIMITS.time_s:g} s",
            )

    @Slot(int, str, str)
    def _show_preview(self, generation: int, text: str, error: str) -> None:
        if generation != self._generation:
            return
        self._watchdog.stop()
        self._rendering = False
        self._preview_task = None
        if self._stale:
            self.update_preview()
            return
        if error:
            self.preview_error.setText(error)
            self.preview_error.setStyleSheet(f"QLabel {{ color: {colors(self.palette()).error}; }}")
            self.preview_error.show()
            return
        self.preview_error.hide()
        self.preview.setPlainText(text)


class RulesPage(_Page):
    """Ordered rules: match kind, argument path, value or pattern, output, delay, error."""

    COLUMNS = ("Match", "Path", "Value / pattern", "Output", "Delay s", "Error", "Aa")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("rules_table")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.table.setToolTip(
            "Rules are tried top to bottom; the first match answers.\n"
            "Path: argument name, dotted path (address.city) or JSON path ($.items[0].sku).\n"
            "Value (equals / json_path): JSON or plain text. Pattern (regex): searched in the value.\n"
            "Error: when set, answer “Error: <text>” instead of the output. Aa: ignore case.\n"
            "A rule of kind “any” is the wildcard fallback."
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 92), (1, 90), (2, 110), (4, 60), (5, 80), (6, 34)):
            header.resizeSection(column, width)
        self.table.itemChanged.connect(self._on_item_changed)
        self.add_button = QPushButton("Add rule", self)
        self.add_button.setToolTip("Add a rule at the end (before a trailing wildcard)")
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Remove the selected rule")
        self.up_button = QToolButton(self)
        self.up_button.setText("▲")
        self.up_button.setToolTip("Move the selected rule up")
        self.down_button = QToolButton(self)
        self.down_button.setText("▼")
        self.down_button.setToolTip("Move the selected rule down")
        self.add_button.clicked.connect(self.add_rule)
        self.remove_button.clicked.connect(self.remove_rule)
        self.up_button.clicked.connect(lambda: self.move_rule(-1))
        self.down_button.clicked.connect(lambda: self.move_rule(1))
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)

    def load(self, config: ResponderConfig) -> None:
        assert isinstance(config, RulesConfig)
        self._loading = True
        try:
            self.table.setRowCount(0)
            for rule in config.rules:
                self._append_row(rule)
        finally:
            self._loading = False

    def config(self) -> ResponderConfig:
        return RulesConfig(rules=tuple(self.rule_at(row) for row in range(self.table.rowCount())))

    def rule_at(self, row: int) -> Rule:
        """The rule shown in ``row`` (fields that do not parse keep a text form)."""
        combo = self.table.cellWidget(row, 0)
        assert isinstance(combo, QComboBox)
        match = MatchKind(combo.currentData())
        path = self._text(row, 1)
        value_text = self._text(row, 2)
        try:
            delay = max(0.0, float(self._text(row, 4) or 0))
        except ValueError:
            delay = 0.0
        error = self._text(row, 5) or None
        ignore = self.table.item(row, 6)
        return Rule(
            match=match,
            path="" if match is MatchKind.ANY else path,
            value=text_to_value(value_text)
            if match in (MatchKind.EQUALS, MatchKind.JSON_PATH)
            else None,
            pattern=value_text if match is MatchKind.REGEX else "",
            output=text_to_output(self._text(row, 3)),
            delay_s=delay,
            error=error,
            ignore_case=ignore is not None and ignore.checkState() == Qt.CheckState.Checked,
        )

    @Slot()
    def add_rule(self) -> None:
        """Add a rule that tests the first argument for equality."""
        rule = Rule(match=MatchKind.EQUALS, path="", value="", output="")
        row = self.table.rowCount()
        last = self.table.rowCount() - 1
        if last >= 0 and self.rule_at(last).match is MatchKind.ANY:
            row = last  # keep the wildcard fallback last
        self._loading = True
        try:
            self._insert_row(row, rule)
        finally:
            self._loading = False
        self.table.selectRow(row)
        item = self.table.item(row, 1)
        if item is not None:
            self.table.editItem(item)
        self.changed.emit()

    @Slot()
    def remove_rule(self) -> None:
        """Remove the selected rule."""
        row = self.table.currentRow()
        if row < 0:
            return
        self.table.removeRow(row)
        self.changed.emit()

    def move_rule(self, offset: int) -> None:
        """Move the selected rule up (-1) or down (+1)."""
        row = self.table.currentRow()
        target = row + offset
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        rule = self.rule_at(row)
        self._loading = True
        try:
            self.table.removeRow(row)
            self._insert_row(target, rule)
        finally:
            self._loading = False
        self.table.selectRow(target)
        self.changed.emit()

    def _append_row(self, rule: Rule) -> None:
        self._insert_row(self.table.rowCount(), rule)

    def _insert_row(self, row: int, rule: Rule) -> None:
        self.table.insertRow(row)
        combo = QComboBox(self.table)
        for kind in MatchKind:
            combo.addItem(str(kind), str(kind))
        combo.setCurrentIndex(combo.findData(str(rule.match)))
        combo.setToolTip(
            "equals: value equality · regex: pattern search · json_path · any: wildcard"
        )
        combo.currentIndexChanged.connect(self._on_combo_changed)
        self.table.setCellWidget(row, 0, combo)
        value = rule.pattern if rule.match is MatchKind.REGEX else value_to_text(rule.value)
        if rule.match is MatchKind.EQUALS and rule.value == "":
            value = ""
        texts = [
            rule.path,
            value,
            value_to_text(rule.output) if not isinstance(rule.output, str) else rule.output,
            f"{rule.delay_s:g}" if rule.delay_s else "",
            rule.error or "",
        ]
        for column, text in enumerate(texts, start=1):
            self.table.setItem(row, column, QTableWidgetItem(text))
        check = QTableWidgetItem()
        check.setFlags(
            Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
        )
        check.setCheckState(Qt.CheckState.Checked if rule.ignore_case else Qt.CheckState.Unchecked)
        check.setToolTip("Ignore case (equals on strings, regex)")
        self.table.setItem(row, 6, check)

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return "" if item is None else item.text()

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        del item
        if not self._loading:
            self.changed.emit()

    @Slot(int)
    def _on_combo_changed(self, index: int) -> None:
        del index
        if not self._loading:
            self.changed.emit()


class WebhookPage(_Page):
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


class ScriptPage(_Page):
    """A Python file and function, run out of process; runs only once the user trusts it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.trust_check: Callable[[str], bool] | None = None
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("script_path")
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


class ResponderChainEditor(QWidget):
    """Edits a :class:`ResponderChain`: steps in order, per-step settings and deadlines.

    Every edit emits :attr:`chain_changed` with a new immutable chain; the owner stores it
    through the core editor model (which makes it undoable and autosaves it).
    :meth:`set_chain` shows a chain without emitting.

    Signals:
        chain_changed(object): the user changed the chain; the argument is the new
            :class:`ResponderChain`.
    """

    chain_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chain = ResponderChain.manual_only()
        self._loading = False

        self.approve_check = QCheckBox("Approve drafts", self)
        self.approve_check.setObjectName("approve_drafts")
        self.approve_check.setToolTip(
            "Automatic answers wait as drafts in the call desk until you approve (or edit) them"
        )
        self.on_error_combo = QComboBox(self)
        self.on_error_combo.setObjectName("on_error")
        for policy, label in ERROR_POLICY_LABELS.items():
            self.on_error_combo.addItem(label, str(policy))
        self.on_error_combo.setToolTip(
            "What happens when a responder fails (HTTP 500, template error…)"
        )
        # The choices are long sentences: show what fits, the popup shows them whole.
        self.on_error_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.on_error_combo.setMinimumContentsLength(12)

        self.steps_list = QListWidget(self)
        self.steps_list.setObjectName("responder_steps")
        self.steps_list.setToolTip(
            "Responders are tried top to bottom; each answers or passes to the next.\n"
            "Untick a step to skip it."
        )
        self.steps_list.setMaximumWidth(190)
        self.steps_list.setMinimumWidth(130)
        self.steps_list.currentRowChanged.connect(self._on_step_selected)
        self.steps_list.itemChanged.connect(self._on_step_item_changed)

        self.add_button = QToolButton(self)
        self.add_button.setText("Add ▾")
        self.add_button.setToolTip("Add a responder step")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        self.add_actions: dict[ResponderKind, QAction] = {}
        for kind, label in KIND_LABELS.items():
            action = menu.addAction(label)
            action.triggered.connect(lambda _=False, k=kind: self.add_step(k))
            self.add_actions[kind] = action
        self.add_button.setMenu(menu)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("Remove")
        self.remove_button.setToolTip("Remove the selected step")
        self.remove_button.clicked.connect(self.remove_step)
        self.up_button = QToolButton(self)
        self.up_button.setText("▲")
        self.up_button.setToolTip("Try the selected step earlier")
        self.up_button.clicked.connect(lambda: self.move_step(-1))
        self.down_button = QToolButton(self)
        self.down_button.setText("▼")
        self.down_button.setToolTip("Try the selected step later")
        self.down_button.clicked.connect(lambda: self.move_step(1))

        self.kind_label = QLabel(self)
        self.kind_label.setObjectName("step_kind")
        self.kind_label.setWordWrap(True)
        font = self.kind_label.font()
        font.setBold(True)
        self.kind_label.setFont(font)
        self.deadline_check = QCheckBox("Fall back to the next step after", self)
        self.deadline_check.setObjectName("deadline_enabled")
        self.deadline_check.setToolTip("Give up on this step after a while and try the next one")
        self.deadline_spin = QDoubleSpinBox(self)
        self.deadline_spin.setObjectName("deadline_seconds")
        self.deadline_spin.setRange(0.1, 3600.0)
        self.deadline_spin.setDecimals(1)
        self.deadline_spin.setValue(8.0)
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setToolTip(
            "Seconds before falling back (e.g. manual, then after 8 s static)"
        )
        self.deadline_check.toggled.connect(self._on_deadline_edited)
        self.deadline_spin.valueChanged.connect(self._on_deadline_edited)

        self.pages: dict[ResponderKind, _Page] = {
            ResponderKind.MANUAL: ManualPage(self),
            ResponderKind.STATIC: StaticPage(self),
            ResponderKind.TEMPLATE: TemplatePage(self),
            ResponderKind.RULES: RulesPage(self),
            ResponderKind.WEBHOOK: WebhookPage(self),
            ResponderKind.SCRIPT: ScriptPage(self),
        }
        self.stack = QStackedWidget(self)
        for page in self.pages.values():
            self.stack.addWidget(page)
            page.changed.connect(self._on_page_changed)
        self.empty_label = QLabel(
            "No responders: calls of this tool wait in the call desk.\nUse “Add” to answer automatically.",
            self,
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)

        self.approve_check.toggled.connect(self._on_chain_option_changed)
        self.on_error_combo.currentIndexChanged.connect(self._on_chain_option_changed)

        options = QHBoxLayout()
        options.addWidget(self.approve_check)
        options.addSpacing(12)
        options.addWidget(QLabel("On failure:", self))
        options.addWidget(self.on_error_combo, 1)

        left = QVBoxLayout()
        left.setSpacing(4)
        left.addWidget(self.steps_list, 1)
        # Wraps under the list rather than making the list's column wider.
        step_buttons = FlowLayout(spacing=2)
        step_buttons.addWidget(self.add_button)
        step_buttons.addWidget(self.remove_button)
        step_buttons.addWidget(self.up_button)
        step_buttons.addWidget(self.down_button)
        left.addLayout(step_buttons)

        # The seconds go below the check box when the panel is narrow.
        deadline_row = FlowLayout(spacing=6)
        deadline_row.addWidget(self.deadline_check)
        deadline_row.addWidget(self.deadline_spin)
        self.details = QGroupBox(self)
        self.details.setFlat(True)
        right = QVBoxLayout(self.details)
        right.setContentsMargins(8, 0, 0, 0)
        right.addWidget(self.kind_label)
        right.addLayout(deadline_row)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        right.addWidget(line)
        right.addWidget(self.stack, 1)

        body = QHBoxLayout()
        body.addLayout(left)
        body.addWidget(self.details, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(options)
        layout.addLayout(body, 1)
        self._show_chain(select=0)

    # ------------------------------------------------------------------ public API
    def chain(self) -> ResponderChain:
        """The chain shown."""
        return self._chain

    def set_chain(self, chain: ResponderChain) -> None:
        """Show ``chain`` (keeps the selected step when possible). Emits nothing."""
        if chain == self._chain:
            return
        row = self.steps_list.currentRow()
        self._chain = chain
        self._show_chain(select=max(row, 0))

    def select_step(self, index: int) -> None:
        """Select step ``index`` (0-based)."""
        self.steps_list.setCurrentRow(index)

    def current_page(self) -> _Page | None:
        """The settings page of the selected step."""
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, _Page) else None

    @property
    def template_page(self) -> TemplatePage:
        """The template settings page (for preview context)."""
        page = self.pages[ResponderKind.TEMPLATE]
        assert isinstance(page, TemplatePage)
        return page

    @property
    def script_page(self) -> ScriptPage:
        """The script settings page (for the trust indicator)."""
        page = self.pages[ResponderKind.SCRIPT]
        assert isinstance(page, ScriptPage)
        return page

    def add_step(self, kind: ResponderKind) -> None:
        """Append a new step of ``kind`` and select it."""
        steps = (*self._chain.steps, ResponderStep(default_config(kind)))
        self._set(self._chain_with(steps=steps), select=len(steps) - 1)

    @Slot()
    def remove_step(self) -> None:
        """Remove the selected step."""
        row = self.steps_list.currentRow()
        if row < 0:
            return
        steps = tuple(s for i, s in enumerate(self._chain.steps) if i != row)
        self._set(self._chain_with(steps=steps), select=min(row, len(steps) - 1))

    def move_step(self, offset: int) -> None:
        """Move the selected step earlier (-1) or later (+1)."""
        row = self.steps_list.currentRow()
        target = row + offset
        steps = list(self._chain.steps)
        if row < 0 or not 0 <= target < len(steps):
            return
        steps[row], steps[target] = steps[target], steps[row]
        self._set(self._chain_with(steps=tuple(steps)), select=target)

    # ------------------------------------------------------------------ internals
    def _chain_with(self, **changes: Any) -> ResponderChain:
        return dataclasses.replace(self._chain, **changes)

    def _set(self, chain: ResponderChain, select: int | None = None, refresh: bool = True) -> None:
        self._chain = chain
        if refresh:
            self._show_chain(select=select if select is not None else self.steps_list.currentRow())
        self.chain_changed.emit(chain)

    def _show_chain(self, select: int) -> None:
        self._loading = True
        try:
            with QSignalBlocker(self.approve_check), QSignalBlocker(self.on_error_combo):
                self.approve_check.setChecked(self._chain.approve)
                self.on_error_combo.setCurrentIndex(
                    self.on_error_combo.findData(str(self._chain.on_error))
                )
            self.steps_list.clear()
            for index, step in enumerate(self._chain.steps):
                item = QListWidgetItem(self._step_text(index, step))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if step.enabled else Qt.CheckState.Unchecked
                )
                tip = KIND_LABELS[step.config.kind]
                if step.deadline_s is not None:
                    tip += f"\nFalls back to the next step after {step.deadline_s:g} s"
                item.setToolTip(tip)
                self.steps_list.addItem(item)
        finally:
            self._loading = False
        if self._chain.steps:
            self.steps_list.setCurrentRow(max(0, min(select, len(self._chain.steps) - 1)))
        self._load_step()

    @staticmethod
    def _step_text(index: int, step: ResponderStep) -> str:
        text = f"{index + 1}. {step.config.kind}"
        if step.deadline_s is not None:
            text += f"  · {step.deadline_s:g} s"
        return text

    def _load_step(self) -> None:
        row = self.steps_list.currentRow()
        has_step = 0 <= row < len(self._chain.steps)
        for widget in (self.remove_button, self.up_button, self.down_button, self.deadline_check):
            widget.setEnabled(has_step)
        if not has_step:
            self.kind_label.setText("")
            self.deadline_spin.setEnabled(False)
            self.stack.setCurrentWidget(self.empty_label)
            return
        step = self._chain.steps[row]
        self._loading = True
        try:
            self.kind_label.setText(KIND_LABELS[step.config.kind])
            with QSignalBlocker(self.deadline_check), QSignalBlocker(self.deadline_spin):
                self.deadline_check.setChecked(step.deadline_s is not None)
                if step.deadline_s is not None:
                    self.deadline_spin.setValue(step.deadline_s)
            self.deadline_spin.setEnabled(step.deadline_s is not None)
            page = self.pages[step.config.kind]
            with QSignalBlocker(page):
                page.load(step.config)
            self.stack.setCurrentWidget(page)
        finally:
            self._loading = False

    def _replace_step(self, row: int, step: ResponderStep, refresh_item: bool = True) -> None:
        steps = list(self._chain.steps)
        steps[row] = step
        self._set(self._chain_with(steps=tuple(steps)), refresh=False)
        if refresh_item:
            item = self.steps_list.item(row)
            if item is not None:
                with QSignalBlocker(self.steps_list):
                    item.setText(self._step_text(row, step))

    @Slot(int)
    def _on_step_selected(self, row: int) -> None:
        del row
        if not self._loading:
            self._load_step()

    @Slot(QListWidgetItem)
    def _on_step_item_changed(self, item: QListWidgetItem) -> None:
        if self._loading:
            return
        row = self.steps_list.row(item)
        step = self._chain.steps[row]
        enabled = item.checkState() == Qt.CheckState.Checked
        if enabled != step.enabled:
            self._replace_step(row, dataclasses.replace(step, enabled=enabled), refresh_item=False)

    @Slot()
    def _on_page_changed(self) -> None:
        if self._loading:
            return
        row = self.steps_list.currentRow()
        page = self.current_page()
        if page is None or not 0 <= row < len(self._chain.steps):
            return
        step = self._chain.steps[row]
        config = page.config()
        if config != step.config:
            self._replace_step(row, dataclasses.replace(step, config=config))

    def _on_deadline_edited(self, *args: Any) -> None:
        del args
        if self._loading:
            return
        row = self.steps_list.currentRow()
        if not 0 <= row < len(self._chain.steps):
            return
        step = self._chain.steps[row]
        enabled = self.deadline_check.isChecked()
        self.deadline_spin.setEnabled(enabled)
        deadline = self.deadline_spin.value() if enabled else None
        if deadline != step.deadline_s:
            self._replace_step(row, dataclasses.replace(step, deadline_s=deadline))

    def _on_chain_option_changed(self, *args: Any) -> None:
        del args
        if self._loading:
            return
        approve = self.approve_check.isChecked()
        policy = ErrorPolicy(self.on_error_combo.currentData())
        if approve != self._chain.approve or policy != self._chain.on_error:
            self._set(self._chain_with(approve=approve, on_error=policy), refresh=False)
