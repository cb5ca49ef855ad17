"""Save as test: a call seen in the app becomes a call test in a suite file.

The form is prefilled from the actual answer (exact text, or the JSON value as a subset
when the answer is JSON; "not an error" or "is an error"); the user picks which checks to
keep, edits them, adds a regex or a latency budget, and chooses the suite file. A call not
answered yet gets no expected output (the form says so). The one form serves the Call
Desk's history rows, call cards and timeline call rows.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.engine.events import CallView
from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.regression.capture import call_test_from, describe_call, with_case
from navtalk_desktop.core.regression.ports import SuiteFiles
from navtalk_desktop.core.regression.suite import (
    SUITE_SUFFIX,
    CallTest,
    Expectation,
    Suite,
    TestSource,
)


def default_suite_path(toolset_path: Path | None, listed: tuple[str, ...]) -> Path | None:
    """Where a new test goes: the tool set's first listed suite, else ``<stem>.navtests.json``."""
    if toolset_path is None:
        return None
    if listed:
        return toolset_path.parent / listed[0]
    stem = toolset_path.name.split(".", 1)[0]
    return toolset_path.parent / (stem + SUITE_SUFFIX)


class SaveTestDialog(QDialog):
    """The "Save as test" form for one call (answered or not).

    Signals:
        saved(str): the suite file the test was added to.

    Attributes:
        name_edit: the test's name.
        path_edit: the suite file.
        error_check / text_check / json_check / regex_check / latency_check: which checks
            the test keeps.
        text_edit / json_edit / regex_edit / latency_spin: their values.
        message: why the last Save did not go through.
    """

    saved = Signal(str)

    def __init__(
        self,
        call: CallView,
        files: SuiteFiles,
        suite_path: Path | None,
        toolset_path: Path | None,
        parent: QWidget | None = None,
        *,
        source: TestSource | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("save_test_dialog")
        self.setWindowTitle(f"Save {call.name or 'call'} as a test")
        self.setMinimumWidth(520)
        self._call = call
        self._files = files
        self._toolset_path = toolset_path
        self.source = source
        answered = call.output is not None
        arguments = call.arguments or {}
        output = call.output or ""
        prefilled = call_test_from(
            describe_call(call.name, arguments),
            call.name,
            arguments,
            output,
            is_error=call.is_error,
        )
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_edit = QLineEdit(prefilled.name, self)
        form.addRow("Test name", self.name_edit)
        path_row = QHBoxLayout()
        self.path_edit = QLineEdit(str(suite_path) if suite_path is not None else "", self)
        self.path_edit.setPlaceholderText("weather" + SUITE_SUFFIX)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        form.addRow("Suite file", path_row)
        arguments_view = QLabel(json.dumps(arguments, ensure_ascii=False), self)
        arguments_view.setWordWrap(True)
        form.addRow("Arguments", arguments_view)
        if source is not None:
            origin = QLabel(_describe_source(source), self)
            origin.setObjectName("save_test_source")
            origin.setWordWrap(True)
            origin.setToolTip("Kept in the test, so the Tests panel can show this call again")
            form.addRow("From", origin)
        layout.addLayout(form)
        self.unanswered_note = QLabel(
            "This call has not been answered yet, so no expected output is prefilled. "
            "Tick the checks to keep and fill them in, or save it as is and use "
            "Re-record Expectation in the Tests panel after a run.",
            self,
        )
        self.unanswered_note.setObjectName("save_test_unanswered")
        self.unanswered_note.setWordWrap(True)
        self.unanswered_note.setVisible(not answered)
        layout.addWidget(self.unanswered_note)

        expect = prefilled.expect
        self.error_check = QCheckBox(
            "The answer is an error" if call.is_error else "The answer is not an error", self
        )
        self.error_check.setChecked(answered)
        layout.addWidget(self.error_check)
        self.text_check = QCheckBox("Exact text", self)
        self.text_check.setChecked(answered and expect.text is not None)
        self.text_edit = QPlainTextEdit(output, self)
        self.text_edit.setMaximumHeight(90)
        layout.addWidget(self.text_check)
        layout.addWidget(self.text_edit)
        self.json_check = QCheckBox("JSON subset (these keys and values)", self)
        self.json_check.setChecked(answered and expect.has_json_subset)
        self.json_edit = QPlainTextEdit(
            json.dumps(expect.json_subset, indent=2, ensure_ascii=False)
            if expect.has_json_subset
            else "{}",
            self,
        )
        self.json_edit.setMaximumHeight(90)
        layout.addWidget(self.json_check)
        layout.addWidget(self.json_edit)
        regex_row = QHBoxLayout()
        self.regex_check = QCheckBox("Regex", self)
        first_line = output.splitlines()[0] if output else ""
        self.regex_edit = QLineEdit("^" + re.escape(first_line[:40]).replace("\\ ", " "), self)
        regex_row.addWidget(self.regex_check)
        regex_row.addWidget(self.regex_edit, 1)
        layout.addLayout(regex_row)
        latency_row = QHBoxLayout()
        self.latency_check = QCheckBox("Answer within", self)
        self.latency_spin = QSpinBox(self)
        self.latency_spin.setRange(1, 600_000)
        self.latency_spin.setSuffix(" ms")
        self.latency_spin.setValue(_budget_ms(call.answer_latency_s))
        latency_row.addWidget(self.latency_check)
        latency_row.addWidget(self.latency_spin)
        latency_row.addStretch(1)
        layout.addLayout(latency_row)
        self.message = QLabel("", self)
        self.message.setObjectName("save_test_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def test_case(self) -> CallTest:
        """The call test as the form says.

        Raises:
            ValueError: a field is invalid (the message says which).
        """
        name = self.name_edit.text().strip()
        if not name:
            raise ValueError("Give the test a name.")
        changes: dict[str, Any] = {}
        if self.error_check.isChecked():
            changes["is_error" if self._call.is_error else "not_error"] = True
        if self.text_check.isChecked():
            changes["text"] = self.text_edit.toPlainText()
        if self.json_check.isChecked():
            try:
                changes["json_subset"] = json.loads(self.json_edit.toPlainText())
            except ValueError as exc:
                raise ValueError(f"The JSON subset is not valid JSON: {exc}") from None
        if self.regex_check.isChecked():
            pattern = self.regex_edit.text()
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"The regex is invalid: {exc}") from None
            changes["regex"] = pattern
        if self.latency_check.isChecked():
            changes["latency_ms"] = float(self.latency_spin.value())
        return CallTest(
            name=name,
            tool=self._call.name,
            arguments=dict(self._call.arguments or {}),
            expect=dataclasses.replace(Expectation(), **changes),
            source=self.source,
        )

    def save(self) -> bool:
        """Add the test to the suite file (created when missing); closes on success."""
        text = self.path_edit.text().strip()
        if not text:
            self.message.setText("Choose the suite file.")
            return False
        path = Path(text)
        try:
            case = self.test_case()
            suite = self._files.load(path) if path.exists() else self._new_suite(path)
            self._files.save(path, with_case(suite, case))
        except ValueError as exc:  # ConfigError is a ValueError
            prefix = f"{path.name}: " if isinstance(exc, ConfigError) else ""
            self.message.setText(prefix + str(exc))
            return False
        except OSError as exc:
            self.message.setText(f"Could not save {path.name}: {exc.strerror or exc}")
            return False
        self.saved.emit(str(path))
        self.accept()
        return True

    def _new_suite(self, path: Path) -> Suite:
        tools = None
        if self._toolset_path is not None:
            try:
                tools = str(self._toolset_path.resolve().relative_to(path.resolve().parent))
            except ValueError:
                tools = str(self._toolset_path.resolve())
        return Suite(name=path.name.removesuffix(SUITE_SUFFIX).removesuffix(".json"), tools=tools)

    def _browse(self) -> None:
        chosen, _filter = QFileDialog.getSaveFileName(
            self,
            "Suite file",
            self.path_edit.text(),
            f"Test suites (*{SUITE_SUFFIX});;JSON (*.json)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if chosen:
            self.path_edit.setText(chosen)


def _describe_source(source: TestSource) -> str:
    """``call call_… · session sess_… · 2026-…Z`` (what the test remembers)."""
    parts = [f"call {source.call_id}"]
    if source.session_id:
        parts.append(f"session {source.session_id}")
    if source.recording:
        parts.append(Path(source.recording).name)
    if source.time:
        parts.append(source.time)
    return " · ".join(parts)


def _budget_ms(latency_s: float | None) -> int:
    """A budget with headroom: twice the seen latency, rounded up to 100 ms (at least 100)."""
    if latency_s is None:
        return 1000
    return max(100, math.ceil(latency_s * 2000 / 100) * 100)
