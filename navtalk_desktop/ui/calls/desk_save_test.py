"""The call desk's "Save as Test…": a call it shows becomes a test in a suite file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from navtalk_desktop.core.engine.events import CallView
from navtalk_desktop.core.regression.ports import SuiteFiles
from navtalk_desktop.core.regression.timeline_call import call_from_timeline, source_of
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.ui.calls.call_card import CallCard
from navtalk_desktop.ui.regression.save_test_dialog import SaveTestDialog, default_suite_path
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter


class SaveTestDesk(QWidget):
    """The part of the call desk that saves calls as tests (history rows, cards, timeline rows).

    :class:`~navtalk_desktop.ui.calls.call_desk.CallDesk` builds the widgets and state
    declared here.

    Signals:
        notification_requested(str, str): message and level for the notification centre.
        test_saved(str): "Save as test" added a test to this suite file.
    """

    notification_requested = Signal(str, str)
    test_saved = Signal(str)

    _bridge: EngineAdapter
    _editor: ToolSetEditor
    _cards: dict[str, CallCard]
    _history: dict[str, QTreeWidgetItem]
    _suite_files: SuiteFiles | None
    save_test_dialog: SaveTestDialog | None
    save_test_action: QAction
    history: QTreeWidget

    def set_suite_files(self, files: SuiteFiles | None) -> None:
        """Where "Save as Test…" writes suites (``None``: the action is hidden)."""
        self._suite_files = files
        self.save_test_action.setVisible(files is not None)
        for card in self._cards.values():
            card.save_test_button.setVisible(files is not None)
        self._update_save_test_action()

    def history_key(self, item: QTreeWidgetItem | None) -> str | None:
        """The call key of a history row (a step row counts as its call's row)."""
        if item is not None and item.parent() is not None:
            item = item.parent()
        return next((key for key, row in self._history.items() if row is item), None)

    def open_save_test(self, key: str) -> SaveTestDialog | None:
        """Open the "Save as test" form for a call of the session (``None``: nothing to save).

        An unanswered call (a call card's) opens the form without an expected output.
        """
        call = self._bridge.calls.get(key)
        if call is None:
            return None
        return self.open_save_test_for(call, session_id=call.session_id)

    def open_save_test_for_call_id(
        self, call_id: str, recording: str | None = None
    ) -> SaveTestDialog | None:
        """The form for a timeline call row: the live call, or the call read from the frames.

        Args:
            call_id: the row's call id.
            recording: the session file the timeline was opened from (``None``: live).
        """
        timeline = self._bridge.timeline
        live = None if recording is not None else self._bridge.calls.get(call_id)
        if live is not None and live.timeline_row is not None:
            row = live.timeline_row
            if not (0 <= row < len(timeline) and timeline[row].call_id == call_id):
                live = None  # a call of another timeline with the same id
        session_id = live.session_id if live is not None else None
        call: CallView | None = live
        if call is None:
            call = call_from_timeline(timeline, call_id)
        if call is None:
            self.notification_requested.emit(
                f"Call {call_id} is not in the timeline any more", "warning"
            )
            return None
        return self.open_save_test_for(call, session_id=session_id, recording=recording)

    def open_save_test_for(
        self, call: CallView, *, session_id: str | None = None, recording: str | None = None
    ) -> SaveTestDialog | None:
        """Open the one "Save as test" form for ``call`` (history, card and timeline use it)."""
        if self._suite_files is None:
            return None
        toolset_path = self._editor.path
        suite_path = default_suite_path(toolset_path, self._editor.toolset.tests)
        source = source_of(call, self._bridge.timeline, session_id, recording)
        dialog = SaveTestDialog(
            call, self._suite_files, suite_path, toolset_path, self, source=source
        )
        dialog.saved.connect(
            lambda path: self.notification_requested.emit(
                f"Test saved to {Path(path).name}", "info"
            )
        )
        dialog.saved.connect(self.test_saved)
        dialog.finished.connect(dialog.deleteLater)
        self.save_test_dialog = dialog
        dialog.open()
        return dialog

    @Slot()
    def _on_save_test_action(self) -> None:
        key = self.history_key(self.history.currentItem())
        if key is not None:
            self.open_save_test(key)

    @Slot()
    def _update_save_test_action(self, *_args: object) -> None:
        key = self.history_key(self.history.currentItem())
        call = self._bridge.calls.get(key) if key is not None else None
        self.save_test_action.setEnabled(call is not None and call.output is not None)
