"""TimelinePanel: every frame in a fast table, filters and search, a detail pane, export/import."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QPoint,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from navtalk_desktop.core.engine.events import CallSnapshot
from navtalk_desktop.core.regression.timeline_call import call_row
from navtalk_desktop.core.timeline.recording import RecordingFiles
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.ui.shell.engine_adapter import EngineAdapter
from navtalk_desktop.ui.shell.shortcuts import with_shortcut
from navtalk_desktop.ui.shell.theme import colors
from navtalk_desktop.ui.timeline.detail_pane import DetailPane
from navtalk_desktop.ui.timeline.export_location import ExportLocation
from navtalk_desktop.ui.timeline.file_actions import TimelineFiles
from navtalk_desktop.ui.timeline.match_count import count_text, show_count
from navtalk_desktop.ui.timeline.timeline_model import (
    TimelineTableModel,
    ViewFilter,
    format_size,
    format_time,
)
from navtalk_desktop.ui.timeline.timeline_view import TimelineView, filter_combos
from navtalk_desktop.ui.widgets.text_fit import breakable
from navtalk_desktop.ui.widgets.throttle import Throttle

log = logging.getLogger(__name__)
T = TypeVar("T")

SEARCH_DEBOUNCE_MS = 200
_DIRECTION_CHOICES: tuple[tuple[str, frozenset[Direction]], ...] = (
    ("All directions", frozenset()),
    ("← Received", frozenset({Direction.IN})),
    ("→ Sent", frozenset({Direction.OUT})),
    ("• Local", frozenset({Direction.LOCAL})),
    ("Wire only (in + out)", frozenset({Direction.IN, Direction.OUT})),
)


class TimelinePanel(TimelineFiles):
    """Live view of every frame with filters, search, folding, detail pane and files.

    Args:
        bridge: the session bridge (its timeline is shown; replaced when a file is opened).
        executor: where file export/import runs, so the GUI never freezes (owned by the app).
        files: reads and writes session files (infra, injected by app.py); without it the
            file actions say they are unavailable.

    Signals:
        notification_requested(str, str): level and text for a non-modal notification.
        busy_changed(bool): a file operation started or finished.
        save_test_requested(str, object): a call row's "Save Call as Test…": the call id
            and the session file the timeline was opened from (``None``: live frames).
    """

    save_test_requested = Signal(str, object)

    def __init__(
        self,
        bridge: EngineAdapter,
        executor: Executor | None = None,
        parent: QWidget | None = None,
        *,
        files: RecordingFiles | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("timeline_panel")
        self.bridge = bridge
        self._executor = executor
        self._files = files
        self._busy = 0
        # Where the Export/Open dialogs start and the name an export suggests.
        self._location = ExportLocation()
        self._follow = True
        self._known_types: set[str] = set()
        self._listed_calls: set[str] = set()  # call ids in call_combo
        self._types_scanned = 0
        # The session file shown (None: the live session's frames); saved tests name it.
        self.recording: str | None = None
        # Set by the app when a suite store exists (it connects save_test_requested).
        self.offer_save_test = False
        # Fed by the engine's event stream (frames_appended), not by the store itself.
        follow = not hasattr(bridge, "frames_appended")
        self.model = TimelineTableModel(bridge.timeline, self, follow=follow)
        self._build_ui()
        self.model.batch_inserted.connect(self._on_model_batch_inserted)
        self.model.filter_failed.connect(self._on_filter_failed)
        self.model.modelReset.connect(self._on_model_reset)
        bridge.call_received.connect(self._on_bridge_call_received)
        bridge.profile_changed.connect(self._refresh_calls)
        if hasattr(bridge, "timeline_replaced"):
            bridge.timeline_replaced.connect(self._on_bridge_timeline_replaced)
        if not follow:
            bridge.frames_appended.connect(self.model.frames_appended)
            bridge.timeline_cleared.connect(self._on_bridge_timeline_cleared)
        if hasattr(bridge, "ui_tick"):
            # The same tick as the conversation: one relayout and repaint per tick.
            self.model.use_shared_tick(bridge.request_ui_tick)
            bridge.ui_tick.connect(self.model.process_if_pending)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        # The entry count changes on every batch; shown through a throttle while streaming.
        self._match_label_throttle = Throttle(self._update_match_label, parent=self)
        self._types_timer = QTimer(self)
        self._types_timer.setInterval(1000)
        self._types_timer.timeout.connect(self._scan_types)
        self._types_timer.start()

    # ------------------------------------------------------------------ UI
    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)

        bar = QHBoxLayout()
        bar.setSpacing(4)
        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("timeline_search")
        self.search_edit.setPlaceholderText("Search summaries and raw frames…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip(with_shortcut("Search text in every frame", "focus_search"))
        self.search_edit.setAccessibleName("Search timeline")
        self.search_edit.textChanged.connect(self._schedule_filter)
        self.search_edit.returnPressed.connect(self.next_match)
        bar.addWidget(self.search_edit, 3)
        self.regex_check = QCheckBox(".*")
        self.regex_check.setObjectName("timeline_regex")
        self.regex_check.setAccessibleName("Regular expression search")
        self.regex_check.setToolTip(
            "Treat the search text as a regular expression (RE2 syntax: it runs in linear "
            "time, so no pattern can freeze the app; no backreferences or lookaround). "
            "A regex searches the first 256 k characters of each frame."
        )
        self.regex_check.toggled.connect(self._schedule_filter)
        bar.addWidget(self.regex_check)
        self.highlight_check = QCheckBox("Highlight")
        self.highlight_check.setObjectName("timeline_highlight")
        self.highlight_check.setToolTip(
            "Highlight matching frames and keep the others visible (Enter jumps to the next match)"
        )
        self.highlight_check.toggled.connect(self._schedule_filter)
        bar.addWidget(self.highlight_check)
        self.type_combo, self.direction_combo, self.call_combo = filter_combos(_DIRECTION_CHOICES)
        self.type_combo.currentTextChanged.connect(self._schedule_filter)
        self.direction_combo.currentIndexChanged.connect(self._schedule_filter)
        self.call_combo.currentIndexChanged.connect(self._schedule_filter)
        layout.addLayout(bar)

        self.prev_button = QToolButton()
        self.prev_button.setText("▲")
        self.prev_button.setAccessibleName("Previous match")
        self.prev_button.setToolTip("Previous match")
        self.prev_button.clicked.connect(self.previous_match)
        bar.addWidget(self.prev_button)
        self.next_button = QToolButton()
        self.next_button.setText("▼")
        self.next_button.setAccessibleName("Next match")
        self.next_button.setToolTip("Next match (Enter in the search box)")
        self.next_button.clicked.connect(self.next_match)
        bar.addWidget(self.next_button)
        self.match_label = QLabel()
        self.match_label.setObjectName("timeline_matches")
        self.match_label.setToolTip("Entries are logical rows: a folded run of deltas counts once")
        # Long counts must not widen the dock: the label may shrink (and elide).
        self.match_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.match_label.setMinimumWidth(90)
        bar.addWidget(self.match_label, 1)

        actions = QHBoxLayout()
        actions.setSpacing(4)
        actions.addWidget(self.type_combo, 2)
        actions.addWidget(self.direction_combo, 1)
        actions.addWidget(self.call_combo, 1)
        actions.addStretch(0)
        self.follow_button = QToolButton()
        self.follow_button.setObjectName("timeline_follow")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setText("Follow")
        self.follow_button.setToolTip(
            "Keep the newest frame in view. Scrolling up pauses this; scroll to the end or\n"
            "click here to follow again."
        )
        self.follow_button.toggled.connect(self.set_follow)
        actions.addWidget(self.follow_button)
        self.clear_button = QToolButton()
        self.clear_button.setObjectName("timeline_clear")
        self.clear_button.setText("Clear")
        self.clear_button.setToolTip(
            with_shortcut("Remove every frame from the timeline", "clear_timeline")
        )
        self.clear_button.clicked.connect(self.clear)
        actions.addWidget(self.clear_button)
        self.files_button = self._files_button()
        actions.addWidget(self.files_button)
        layout.addLayout(actions)

        self.view = TimelineView()
        self.view.setModel(self.model)
        self.view.configure_columns()
        self.view.toggle_requested.connect(self.model.toggle_expanded)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.detail = DetailPane()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("timeline_splitter")
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)
        self._update_match_label()

    # ------------------------------------------------------------------ filter & search
    @Slot()
    def _schedule_filter(self) -> None:
        self._search_timer.start()

    def current_filter(self) -> ViewFilter:
        """The filter the controls describe."""
        return ViewFilter(
            type_contains=self.type_combo.currentText().strip(),
            directions=self.direction_combo.currentData() or frozenset(),
            call_id=self.call_combo.currentData(),
            text=self.search_edit.text(),
            regex=self.regex_check.isChecked(),
            highlight=self.highlight_check.isChecked(),
        )

    @Slot()
    def apply_filter(self) -> None:
        """Apply the controls now (normally debounced while typing)."""
        self._search_timer.stop()
        selected = self._selected_physical_row()
        if self.model.set_filter(self.current_filter()):
            self.search_edit.setStyleSheet("")
            self.search_edit.setToolTip(with_shortcut("Search text in every frame", "focus_search"))
            # Keep the selection when the filter changes (users lose their place otherwise).
            if selected is not None:
                self.select_physical_row(selected)
            elif self._follow:
                self.view.scrollToBottom()
            self._update_match_label()

    @Slot(str)
    def _on_filter_failed(self, message: str) -> None:
        self.search_edit.setStyleSheet(
            f"QLineEdit {{ border: 1px solid {colors(self.palette()).error}; }}"
        )
        self.search_edit.setToolTip(message)
        # A message can be long: it may be shortened here, whole in the tooltip.
        self.match_label.setMinimumWidth(90)
        self.match_label.setText(message)
        self.match_label.setToolTip(message)

    def _update_match_label(self) -> None:
        view_filter = self.model.view_filter
        shown = self.model.rowCount()
        total = self.bridge.timeline.logical_count()
        highlight = view_filter.highlight and view_filter.active
        self.prev_button.setVisible(highlight)
        self.next_button.setVisible(highlight)
        found = len(self.model.match_rows()) if highlight else None
        show_count(self.match_label, *count_text(view_filter.active, shown, total, found))

    @Slot()
    def next_match(self) -> None:
        """Select the next highlighted match (or the next row when filtering)."""
        self._step_match(+1)

    @Slot()
    def previous_match(self) -> None:
        """Select the previous highlighted match."""
        self._step_match(-1)

    def _step_match(self, step: int) -> None:
        if self._search_timer.isActive():
            self.apply_filter()
        rows = self.model.match_rows()
        if not rows:
            return
        current = self.view.currentIndex().row()
        if step > 0:
            following = [r for r in rows if r > current]
            target = following[0] if following else rows[0]
        else:
            previous = [r for r in rows if r < current]
            target = previous[-1] if previous else rows[-1]
        self.set_follow(False)
        self.view.selectRow(target)
        self.view.scrollTo(
            self.model.index(target, 0), QAbstractItemView.ScrollHint.PositionAtCenter
        )

    def focus_search(self) -> None:
        """Put the cursor in the search box (Ctrl+F)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def filter_call(self, call_id: str | None) -> None:
        """Show only the frames of ``call_id`` (None: all)."""
        self._refresh_calls()
        index = self.call_combo.findData(call_id)
        if index < 0 and call_id:
            self._listed_calls.add(call_id)
            self.call_combo.addItem(call_id, call_id)
            index = self.call_combo.count() - 1
        self.call_combo.setCurrentIndex(max(0, index))
        self.apply_filter()

    @Slot(object)
    def _on_bridge_call_received(self, call: CallSnapshot) -> None:
        call_id = call.call_id or call.key
        # A set, not findData(): the combo holds every call of the session (hundreds).
        if call_id and call_id not in self._listed_calls:
            self._listed_calls.add(call_id)
            label = f"{call.name or '?'} · {call_id}"
            self.call_combo.addItem(label, call_id)

    @Slot()
    def _refresh_calls(self) -> None:
        current = self.call_combo.currentData()
        with QSignalBlocker(self.call_combo):
            self.call_combo.clear()
            self.call_combo.addItem("All calls", None)
            seen: set[str] = set()
            for call in self.bridge.calls:
                if call.call_id and call.call_id not in seen:
                    seen.add(call.call_id)
                    self.call_combo.addItem(f"{call.name or '?'} · {call.call_id}", call.call_id)
            self._listed_calls = seen
            self.call_combo.setCurrentIndex(max(0, self.call_combo.findData(current)))

    @Slot()
    def _scan_types(self) -> None:
        # Offer the event types seen so far; scanning only the new rows keeps this cheap.
        timeline = self.bridge.timeline
        total = len(timeline)
        if total < self._types_scanned:
            self._types_scanned = 0
        new = {timeline[row].type for row in range(self._types_scanned, total)}
        self._types_scanned = total
        if new - self._known_types:
            self._known_types |= new
            text = self.type_combo.currentText()
            with QSignalBlocker(self.type_combo):
                self.type_combo.clear()
                self.type_combo.addItem("")
                self.type_combo.addItems(sorted(self._known_types))
                self.type_combo.setCurrentText(text)

    # ------------------------------------------------------------------ follow & selection
    @Slot(bool)
    def set_follow(self, follow: bool) -> None:
        """Keep the newest frame in view (True) or stay where the user is (False)."""
        self._follow = follow
        with QSignalBlocker(self.follow_button):
            self.follow_button.setChecked(follow)
        self.follow_button.setText("Follow" if follow else "Paused")
        if follow:
            self.view.scrollToBottom()

    @property
    def following(self) -> bool:
        """Whether the view sticks to the newest frame."""
        return self._follow

    @Slot(int)
    def _on_scrolled(self, value: int) -> None:
        # Scrolling up pauses following; scrolling back to the end resumes it. Our own
        # scrollToBottom after a batch is not the user's doing and changes nothing.
        if self._auto_scrolling:
            return
        at_bottom = value >= self.view.verticalScrollBar().maximum() - 1
        if at_bottom != self._follow:
            self.set_follow(at_bottom)

    _auto_scrolling = False

    @Slot(int)
    def _on_model_batch_inserted(self, _count: int) -> None:
        if self._follow:
            self._auto_scrolling = True
            try:
                self.view.scrollToBottom()
            finally:
                self._auto_scrolling = False
        self._match_label_throttle.request()

    @Slot()
    def _on_model_reset(self) -> None:
        self.detail.clear_frame()
        self._update_match_label()

    def _selected_physical_row(self) -> int | None:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isRowSelected(index.row()):
            return None
        return self.model.physical_rows(index.row())[0]

    def select_physical_row(self, physical: int) -> bool:
        """Select the display row showing timeline row ``physical`` (if visible)."""
        timeline = self.bridge.timeline
        if not 0 <= physical < len(timeline):
            return False
        self.model.process_pending()
        row = self.model.display_row_of_group(timeline.group_of(physical))
        if row is None:
            return False
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        index = self.view.currentIndex()
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            self.detail.clear_frame()
            return
        self.show_detail(rows[0].row() if rows else index.row())

    def show_detail(self, row: int) -> None:
        """Show display ``row`` in the detail pane."""
        timeline = self.bridge.timeline
        physical = self.model.physical_rows(row)
        entry = timeline[physical[0]]
        fold = self.model.folded(row)
        # breakable(): long event types and ids wrap instead of widening the dock.
        parts = [
            f"<b>{breakable(entry.type)}</b>",
            {Direction.IN: "received", Direction.OUT: "sent", Direction.LOCAL: "local"}[
                entry.direction
            ],
            format_time(entry.wall_time),
            format_size(fold.size if fold is not None else entry.size),
            f"frame #{entry.seq}",
        ]
        if entry.call_id:
            parts.append(f"call <code>{breakable(entry.call_id)}</code>")
        if fold is not None and fold.count > 1:
            parts.append(f"{fold.count} frames folded")
        if timeline.is_spilled(physical[0]):
            parts.append("audio kept on disk")
        header = " · ".join(parts)
        if entry.error:
            header += f"<br><span style='color:{colors(self.palette()).error}'>⚠ {breakable(entry.error)}</span>"
        extra = ""
        if fold is not None and fold.count > 1:
            extra = f"Folded text ({fold.count} frames):\n{fold.text}\n\nFirst frame:"
        self.detail.show_frame(
            header, timeline.raw_frame(physical[0]), extra, title=f"Frame #{entry.seq}"
        )

    def context_actions(self, row: int) -> list[QAction]:
        """The actions offered for display ``row`` (right-click menu)."""
        self.view.selectRow(row)
        entry = self.model.entry(row)
        actions: list[QAction] = []

        def action(text: str, slot: Callable[[], Any], enabled: bool = True) -> None:
            item = QAction(text, self)
            item.triggered.connect(slot)
            item.setEnabled(enabled)
            actions.append(item)

        action("Copy Frame", self.detail.copy_raw)
        action(
            "Copy Pretty JSON", self.detail.copy_pretty, self.detail.copy_pretty_button.isEnabled()
        )
        if self.model.is_expandable(row) or not self.model.is_group_row(row):
            label = (
                "Collapse Run"
                if self.model.is_expanded(row) or not self.model.is_group_row(row)
                else "Expand Run"
            )
            action(label, lambda: self.model.toggle_expanded(row))
        if entry.call_id:
            call_id = entry.call_id
            action(f"Show Only Call {call_id}", lambda: self.filter_call(call_id))
            if self.offer_save_test:
                action(
                    "Save Call as Test…",
                    lambda: self.save_test_requested.emit(call_id, self.recording),
                    call_row(self.bridge.timeline, call_id) is not None,
                )
        action(f"Show Only {entry.type}", lambda: self._filter_type(entry.type))
        return actions

    def show_call(self, call_id: str, time: str | None = None) -> bool:
        """Select and scroll to ``call_id``'s ``…arguments.done`` row (nearest ``time``).

        A call hidden by the filter is shown by clearing the filter first. Returns
        whether the call is in this timeline.
        """
        row = call_row(self.bridge.timeline, call_id, time)
        if row is None:
            return False
        if not self.select_physical_row(row) and self.model.view_filter.active:
            with QSignalBlocker(self.search_edit):
                self.search_edit.clear()
            self.type_combo.setCurrentText("")
            self.direction_combo.setCurrentIndex(0)
            self.call_combo.setCurrentIndex(0)
            self.apply_filter()
        return self.select_physical_row(row)

    def _filter_type(self, kind: str) -> None:
        self.type_combo.setCurrentText(kind)
        self.apply_filter()

    @Slot(QPoint)
    def _on_view_context_menu(self, position: QPoint) -> None:
        index = self.view.indexAt(position)
        if not index.isValid():
            return
        menu = QMenu(self)
        for item in self.context_actions(index.row()):
            menu.addAction(item)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # popup(), not exec(): no nested event loop under qasync (P2).
        menu.popup(self.view.viewport().mapToGlobal(position))

    # ------------------------------------------------------------------ clear
    @Slot()
    def clear(self) -> None:
        """Remove every frame (the session itself goes on)."""
        if self._busy:
            self.notification_requested.emit(
                "warning", "Wait for the file operation to finish first."
            )
            return
        self.bridge.clear_timeline()  # the engine clears it; the model follows its reset
        self.detail.clear_frame()
        self.set_follow(True)

    @Slot()
    def _on_bridge_timeline_cleared(self) -> None:
        self.model.timeline_cleared()
        self._known_types.clear()
        self._types_scanned = 0

    @Slot(object)
    def _on_bridge_timeline_replaced(self, timeline: Timeline) -> None:
        self.recording = None  # set again by import_jsonl when it was a session file
        self.model.set_timeline(timeline)
        self._known_types.clear()
        self._types_scanned = 0
        self._scan_types()
        self._refresh_calls()
        self.set_follow(True)

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        if event.type() == QEvent.Type.PaletteChange:
            self.model.set_theme(colors(self.palette()))
        super().changeEvent(event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
