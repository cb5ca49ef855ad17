"""Tests panel: the tool set's test suites, run in the app with live progress and diffs.

Suites are the files the tool set lists (its ``tests`` field) plus any opened with
**Open Suite…**. Call tests run through the tool set's responders as they are in the
editor (unsaved edits included, like *Fire test call*); conversation tests run on the
built-in simulator, one session each. A failed call test's expectation can be re-recorded
from the actual answer after an intended change.

A call test saved from a call remembers it (its ``source``): **Show Source Call** selects
that call's row in the Timeline when the session is the one shown. A conversation test's
details list the calls its own session made, with their arguments and answers.

Signals:
    notification_requested(str, str): message and level for the window's notices.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.regression.capture import rerecorded
from navtalk_desktop.core.regression.case_runner import CaseRunner
from navtalk_desktop.core.regression.expect import Mismatch
from navtalk_desktop.core.regression.ports import SuiteFiles
from navtalk_desktop.core.regression.results import CaseResult, Status
from navtalk_desktop.core.regression.suite import (
    SUITE_SUFFIX,
    CallTest,
    Suite,
    TestCase,
    TestSource,
)
from navtalk_desktop.core.tools.editor import EditorEvent, EditorEventKind, ToolSetEditor
from navtalk_desktop.ui.shell.tasks import TaskRunner
from navtalk_desktop.ui.shell.theme import colors

COLUMNS = ("Status", "Test", "Kind", "Time")

# Shows a test's source call in the timeline; returns whether that call is there.
SourceLocator = Callable[[TestSource], bool]


class TestsPanel(QWidget):
    """Lists a suite's tests and runs them.

    Attributes:
        suite_combo: the suites (path in the item data).
        results: one row per test (status, name, kind, time).
        detail: the selected test's reason, diff and actual output.
        progress: how far the current run is.
        show_source_button: selects the selected call test's source call in the Timeline.
    """

    __test__ = False  # not a pytest class, whatever its name
    notification_requested = Signal(str, str)

    def __init__(
        self,
        editor: ToolSetEditor,
        tasks: TaskRunner,
        files: SuiteFiles,
        runner: CaseRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("TestsPanel")
        self._editor = editor
        self._tasks = tasks
        self._files = files
        self._runner = runner
        self._opened: list[Path] = []
        self._suite: Suite | None = None
        self._path: Path | None = None
        self._results: dict[str, CaseResult] = {}
        self._rows: dict[str, QTreeWidgetItem] = {}
        self._rerecorded: set[str] = set()
        self._locate_source: SourceLocator | None = None
        self.running = False
        self._listener = self._on_editor_event
        editor.add_listener(self._listener)
        self.destroyed.connect(partial(_detach, editor, self._listener))

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.suite_combo = QComboBox(self)
        self.suite_combo.setAccessibleName("Test suite")
        self.suite_combo.setMinimumContentsLength(24)
        self.suite_combo.currentIndexChanged.connect(self._on_suite_chosen)
        self.open_button = QPushButton("Open Suite…", self)
        self.open_button.clicked.connect(self.ask_open)
        top.addWidget(self.suite_combo, 1)
        top.addWidget(self.open_button)
        layout.addLayout(top)
        buttons = QHBoxLayout()
        self.run_all_button = QPushButton("Run All", self)
        self.run_selected_button = QPushButton("Run Selected", self)
        self.run_failed_button = QPushButton("Run Failed", self)
        self.rerecord_button = QPushButton("Re-record Expectation", self)
        self.rerecord_button.setToolTip(
            "After an intended change: expect the actual answer from now on (call tests)"
        )
        self.run_all_button.clicked.connect(lambda: self.run(self._cases(lambda _c: True)))
        self.run_selected_button.clicked.connect(lambda: self.run(self._selected_cases()))
        self.run_failed_button.clicked.connect(lambda: self.run(self._failed_cases()))
        self.rerecord_button.clicked.connect(self.rerecord_selected)
        self.show_source_button = QPushButton("Show Source Call", self)
        self.show_source_button.setObjectName("show_source_call")
        self.show_source_button.setToolTip(
            "Select the call this test was saved from in the Timeline"
        )
        self.show_source_button.clicked.connect(self.show_source)
        for button in (
            self.run_all_button,
            self.run_selected_button,
            self.run_failed_button,
            self.rerecord_button,
            self.show_source_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.progress = QLabel("", self)
        self.progress.setObjectName("tests_progress")
        # Long messages (empty state, a source not open) wrap instead of widening the dock.
        self.progress.setWordWrap(True)
        layout.addWidget(self.progress)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.results = QTreeWidget(splitter)
        self.results.setObjectName("test_results")
        self.results.setAccessibleName("Test results")
        self.results.setColumnCount(len(COLUMNS))
        self.results.setHeaderLabels(list(COLUMNS))
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.results.currentItemChanged.connect(self._show_detail)
        self.results.itemSelectionChanged.connect(self._update_buttons)
        self.results.itemDoubleClicked.connect(lambda *_args: self.show_source())
        self.detail = QPlainTextEdit(splitter)
        self.detail.setAccessibleName("Selected test result")
        self.detail.setReadOnly(True)
        self.detail.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        splitter.addWidget(self.results)
        splitter.addWidget(self.detail)
        layout.addWidget(splitter, 1)
        self.refresh_suites()

    # ------------------------------------------------------------------ suites

    def set_editor(self, editor: ToolSetEditor) -> None:
        """Follow another tool set document (its suites and its tools)."""
        if editor is self._editor:
            return
        _detach(self._editor, self._listener)
        self._editor = editor
        editor.add_listener(self._listener)
        self.destroyed.connect(partial(_detach, editor, self._listener))
        self.refresh_suites()

    def _on_editor_event(self, event: EditorEvent) -> None:
        # The suites listed, or the folder they are relative to, may have changed.
        if event.kind in (EditorEventKind.CHANGED, EditorEventKind.SAVED):
            paths = self.suite_paths()
            shown = [Path(self.suite_combo.itemData(i)) for i in range(self.suite_combo.count())]
            if paths != shown:
                self.refresh_suites()

    def suite_paths(self) -> list[Path]:
        """The tool set's listed suites (relative to its file), then the opened ones."""
        listed: list[Path] = []
        if self._editor.path is not None:
            folder = self._editor.path.parent
            listed = [folder / name for name in self._editor.toolset.tests]
        return listed + [p for p in self._opened if p not in listed]

    @Slot()
    def refresh_suites(self) -> None:
        """Re-read the list of suites (after the tool set changed or a suite was opened)."""
        current = self._path
        self.suite_combo.blockSignals(True)
        self.suite_combo.clear()
        for path in self.suite_paths():
            self.suite_combo.addItem(path.name, str(path))
        self.suite_combo.blockSignals(False)
        paths = self.suite_paths()
        if current in paths:
            self.suite_combo.setCurrentIndex(paths.index(current))
        elif paths:
            self.suite_combo.setCurrentIndex(0)
            self.load(paths[0])
        else:
            self._set_suite(None, None)
            self.progress.setText(
                "No test suites yet. Open one with Open Suite…, or make a test from a call: "
                "Save as Test… on a call card, a Call Desk history row or a timeline call row."
            )

    def ask_open(self) -> None:
        """Pick a suite file and show it."""
        dialog = QFileDialog(self, "Open test suite")
        dialog.setNameFilter(f"Test suites (*{SUITE_SUFFIX});;JSON (*.json)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        # open(), never exec(): a nested event loop would re-enter asyncio (P2).
        dialog.fileSelected.connect(lambda path: self.open_suite(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_suite(self, path: Path) -> bool:
        """Add ``path`` to the list and show it."""
        if path not in self._opened:
            self._opened.append(path)
        self.refresh_suites()
        self.suite_combo.setCurrentIndex(self.suite_paths().index(path))
        return self._path == path

    def load(self, path: Path) -> bool:
        """Read and show a suite (a broken file is reported and nothing runs)."""
        try:
            suite = self._files.load(path)
        except (OSError, ConfigError) as exc:
            self._set_suite(None, path)
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.progress.setText(f"Cannot read {path.name}: {detail}")
            return False
        self._set_suite(suite, path)
        self.progress.setText(f"{len(suite.tests)} tests in {path.name}")
        return True

    @Slot(str)
    def suite_saved(self, path: str) -> None:
        """A test was saved to ``path`` elsewhere: show it when that suite is shown."""
        saved = Path(path)
        paths = self.suite_paths()
        if self._path is not None and saved.resolve() == self._path.resolve():
            self.load(self._path)
        elif saved in paths:
            self.suite_combo.setCurrentIndex(paths.index(saved))
        else:
            self.open_suite(saved)

    def _on_suite_chosen(self, index: int) -> None:
        if index >= 0:
            self.load(Path(self.suite_combo.itemData(index)))

    def _set_suite(self, suite: Suite | None, path: Path | None) -> None:
        self._suite = suite
        self._path = path
        self._results.clear()
        self._rerecorded.clear()
        self._rows.clear()
        self.results.clear()
        self.detail.clear()
        for case in suite.tests if suite is not None else ():
            item = QTreeWidgetItem(["not run", case.name, case.kind, ""])
            self._rows[case.name] = item
            self.results.addTopLevelItem(item)
        self._update_buttons()

    # ------------------------------------------------------------------ running

    def _cases(self, keep: Any) -> list[TestCase]:
        return [c for c in (self._suite.tests if self._suite else ()) if keep(c)]

    def _selected_cases(self) -> list[TestCase]:
        names = {item.text(1) for item in self.results.selectedItems()}
        return self._cases(lambda c: c.name in names)

    def _failed_cases(self) -> list[TestCase]:
        bad = (Status.FAILED, Status.ERROR)
        return self._cases(
            lambda c: c.name in self._results and self._results[c.name].status in bad
        )

    def run(self, cases: list[TestCase]) -> Any:
        """Run ``cases`` one after another, updating each row as it finishes."""
        if self.running or self._suite is None or not cases:
            return None
        # Busy at once (not when the task first runs): a second click cannot start a run.
        self.running = True
        self._update_buttons()
        return self._tasks.start(self._run(self._suite, cases), name="tests-panel-run")

    async def _run(self, suite: Suite, cases: list[TestCase]) -> None:
        failed = 0
        try:
            for done, case in enumerate(cases):
                self.progress.setText(
                    f"Running {done + 1}/{len(cases)}: {case.name}"
                    + (f" · {failed} failed" if failed else "")
                )
                row = self._rows[case.name]
                row.setText(0, "running…")
                try:
                    result = await self._runner.run(suite.name, case, self._editor.toolset)
                except Exception as exc:  # noqa: BLE001  (a runner bug fails this test, not the app)
                    result = CaseResult(
                        suite.name,
                        case.name,
                        case.kind,
                        Status.ERROR,
                        0.0,
                        (Mismatch("runner", f"{type(exc).__name__}: {exc}"),),
                    )
                if self._suite is not suite:
                    return  # another suite was chosen meanwhile
                self._show_result(result)
                failed += result.status in (Status.FAILED, Status.ERROR)
            passed = len(cases) - failed
            self.progress.setText(f"{len(cases)} run: {passed} passed, {failed} failed")
        finally:
            self.running = False
            self._update_buttons()

    def _show_result(self, result: CaseResult) -> None:
        self._results[result.name] = result
        self._rerecorded.discard(result.name)
        row = self._rows[result.name]
        row.setText(0, str(result.status))
        row.setText(3, f"{result.duration_s * 1000:.0f} ms")
        theme = colors(self.palette())
        colour = {
            Status.PASSED: theme.success,
            Status.FAILED: theme.error,
            Status.ERROR: theme.error,
        }.get(result.status, theme.muted_text)
        row.setForeground(0, QColor(colour))
        row.setToolTip(0, result.headline)
        if self.results.currentItem() is row:
            self._show_detail(row)

    def _show_detail(self, item: QTreeWidgetItem | None, *_args: object) -> None:
        result = self._results.get(item.text(1)) if item is not None else None
        if result is not None and result.name in self._rerecorded:
            self.detail.setPlainText("Re-recorded: the test now expects\n" + (result.output or ""))
        elif result is None:
            self.detail.setPlainText(self._case_summary(item))
        else:
            parts = [result.reason] if result.problems else ["Passed."]
            if result.kind == "conversation":
                calls = [f"{n}. {call.render()}" for n, call in enumerate(result.calls, 1)]
                parts.append("Calls in the test's session:\n" + ("\n".join(calls) or "none"))
                if result.output is not None:
                    parts.append("Avatar's reply:\n" + result.output)
            elif result.output is not None:
                parts.append("Actual:\n" + result.output)
            self.detail.setPlainText("\n\n".join(parts))
        self._update_buttons()

    def _case_summary(self, item: QTreeWidgetItem | None) -> str:
        """What a test not run yet checks (the details pane is never blank for a test)."""
        case = self._case_of(item)
        if case is None:
            return ""
        if isinstance(case, CallTest):
            lines = [f"Calls {case.tool} with {_json(case.arguments)}"]
            if case.source is not None:
                lines.append(
                    f"Saved from call {case.source.call_id}"
                    + (f" at {case.source.time}" if case.source.time else "")
                )
        else:
            lines = [f"Says: {case.say}" if case.say is not None else f"Speaks: {case.speak}"]
            lines += [f"Expects {call.tool} {_json(call.arguments)}" for call in case.calls]
        return "\n".join([*lines, "", "Not run yet: Run Selected runs it."])

    def _case_of(self, item: QTreeWidgetItem | None) -> TestCase | None:
        if item is None:
            return None
        return next(iter(self._cases(lambda c: c.name == item.text(1))), None)

    # ------------------------------------------------------------------ source call

    def set_source_locator(self, locate: SourceLocator | None) -> None:
        """How Show Source Call reaches the Timeline (set by the app; ``None``: hidden)."""
        self._locate_source = locate
        self._update_buttons()

    def show_source(self) -> bool:
        """Select the selected call test's source call in the Timeline (or say why not)."""
        case = self._case_of(self.results.currentItem())
        if self._locate_source is None or not isinstance(case, CallTest):
            return False
        source = case.source
        if source is None:
            self.progress.setText(
                f"“{case.name}” does not say which call it was saved from "
                "(tests saved before this version, or written by hand)."
            )
            return False
        if self._locate_source(source):
            self.progress.setText(f"Showing call {source.call_id} in the Timeline.")
            return True
        where = (
            f"session {source.session_id}"
            if source.session_id
            else (Path(source.recording).name if source.recording else "its session")
        )
        hint = (
            f" Open {Path(source.recording).name} with Open Session… in the Timeline first."
            if source.recording
            else " Open that session's recording in the Timeline first."
        )
        self.progress.setText(
            f"The source call {source.call_id} ({where}) is not in the open timeline." + hint
        )
        return False

    # ------------------------------------------------------------------ re-record

    def rerecord_selected(self) -> bool:
        """Expect the selected call test's actual answer from now on (the file is saved)."""
        item = self.results.currentItem()
        result = self._results.get(item.text(1)) if item is not None else None
        if self._suite is None or self._path is None or result is None or result.output is None:
            return False
        index = next(i for i, c in enumerate(self._suite.tests) if c.name == result.name)
        case = self._suite.tests[index]
        if not isinstance(case, CallTest):
            return False
        tests = list(self._suite.tests)
        tests[index] = rerecorded(case, result.output)
        suite = dataclasses.replace(self._suite, tests=tuple(tests))
        try:
            self._files.save(self._path, suite)
        except OSError as exc:
            self.notification_requested.emit(
                f"Could not save {self._path.name}: {exc.strerror or exc}", "error"
            )
            return False
        self._suite = suite
        assert item is not None
        item.setText(0, "re-recorded")
        item.setForeground(0, QColor(colors(self.palette()).muted_text))
        # Kept as failed, so Run Failed checks it again with the new expectation.
        self._rerecorded.add(result.name)
        self.detail.setPlainText("Re-recorded: the test now expects\n" + result.output)
        self.notification_requested.emit(f"Re-recorded “{case.name}” in {self._path.name}", "info")
        self._update_buttons()
        return True

    def _update_buttons(self) -> None:
        has_suite = self._suite is not None and bool(self._suite.tests)
        idle = not self.running
        self.run_all_button.setEnabled(idle and has_suite)
        self.run_selected_button.setEnabled(idle and bool(self.results.selectedItems()))
        self.run_failed_button.setEnabled(idle and bool(self._failed_cases()))
        item = self.results.currentItem()
        result = self._results.get(item.text(1)) if item is not None else None
        case = next(
            (c for c in self._cases(lambda c: item is not None and c.name == item.text(1))), None
        )
        self.show_source_button.setVisible(self._locate_source is not None)
        self.show_source_button.setEnabled(isinstance(self._case_of(item), CallTest))
        self.rerecord_button.setEnabled(
            idle
            and result is not None
            and result.name not in self._rerecorded
            and result.status is Status.FAILED
            and result.output is not None
            and isinstance(case, CallTest)
        )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _detach(editor: ToolSetEditor, listener: Any, *args: Any) -> None:
    del args
    with contextlib.suppress(ValueError):  # already removed
        editor.remove_listener(listener)
