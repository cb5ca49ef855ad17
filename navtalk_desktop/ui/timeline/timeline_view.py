"""TimelineView: the timeline's table, with columns that fit a narrow dock."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QTableView,
    QWidget,
)

from navtalk_desktop.core.timeline.timeline import Direction
from navtalk_desktop.ui.shell.theme import use_plain_fusion
from navtalk_desktop.ui.timeline.timeline_model import (
    CALL,
    COLUMNS,
    DIRECTION,
    SIZE,
    SUMMARY,
    TIME,
    TYPE,
    TimelineTableModel,
)

_COLUMN_WIDTHS = {TIME: 92, DIRECTION: 58, TYPE: 210, SIZE: 64, CALL: 110}
# In a narrow dock Type and Call give way (down to these widths) before Summary does.
_COMPACT_WIDTHS = {TYPE: 150, CALL: 72}
# Summary stretches but never below this (narrow docks scroll horizontally instead).
SUMMARY_MIN_WIDTH = 160
# The empty states: what to do next, or why a filter shows nothing.
EMPTY_TEXT = (
    "No frames yet. Connect, then type a message in Conversation: every WebSocket frame "
    "sent and received appears here."
)
FILTERED_TEXT = "No frame matches the filters. Clear the search or pick “All” to see every frame."


class TimelineView(QTableView):
    """The frame table, tuned for 100k+ rows (fixed row height, no content-based sizing).

    Signals:
        toggle_requested(int): Space/Enter/double-click on a row, Right/Left on a folded
            one, or a click on its ▸ / ▾ (expand or collapse).
    """

    toggle_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeline_view")
        # Repainted on every batch while following: no Python in the style's paint path
        # (WorkbenchStyle's drawPrimitive ran for every cell, about a fifth of a repaint).
        use_plain_fusion(
            self, self.verticalScrollBar(), self.horizontalScrollBar(), self.horizontalHeader()
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(False)  # a sorted live stream costs 10x (reference 3.5)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._fitting = False
        self._user_sized = False  # once the user drags a column, their widths stay
        header.sectionResized.connect(self._on_section_resized)
        self.doubleClicked.connect(lambda index: self.toggle_requested.emit(index.row()))
        self.setToolTip("")
        self.setAccessibleName("Timeline of frames")
        self.empty_label = QLabel(EMPTY_TEXT, self.viewport())
        self.empty_label.setObjectName("timeline_empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802  (Qt override)
        """Show ``model``; the empty state follows its rows."""
        super().setModel(model)
        if model is not None:
            for signal in (model.rowsInserted, model.rowsRemoved):
                signal.connect(self._update_empty)
            for reset in (model.modelReset, model.layoutChanged):
                reset.connect(self._update_empty)
        self._update_empty()

    @Slot()
    def _update_empty(self) -> None:
        model = self.model()
        empty = model is None or model.rowCount() == 0
        if empty:
            # Frames hidden by the filters are not "no frames yet".
            frames = len(getattr(model, "timeline", ()))
            self.empty_label.setText(FILTERED_TEXT if frames else EMPTY_TEXT)
            self.empty_label.setGeometry(self.viewport().rect().adjusted(16, 0, -16, 0))
        self.empty_label.setVisible(empty)

    def configure_columns(self) -> None:
        """Fixed initial widths; Summary takes the remaining space (never ResizeToContents)."""
        header = self.horizontalHeader()
        self._fitting = True
        try:
            for column in range(len(COLUMNS)):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
                if column in _COLUMN_WIDTHS:
                    header.resizeSection(column, _COLUMN_WIDTHS[column])
            header.setSectionResizeMode(SUMMARY, QHeaderView.ResizeMode.Stretch)
            header.setStretchLastSection(False)
            header.setMinimumSectionSize(40)
        finally:
            self._fitting = False
        self._fit_summary()

    @Slot(int, int, int)
    def _on_section_resized(self, column: int, old: int, new: int) -> None:
        del old, new
        if not self._fitting and column != SUMMARY:
            self._user_sized = True

    def _fit_compact_columns(self) -> None:
        # Until the user sizes columns: shrink Type and Call proportionally toward their
        # compact widths so Summary keeps its minimum without scrolling, where possible.
        header = self.horizontalHeader()
        fixed = sum(w for c, w in _COLUMN_WIDTHS.items() if c not in _COMPACT_WIDTHS)
        spare = self.viewport().width() - fixed - SUMMARY_MIN_WIDTH
        full = sum(_COLUMN_WIDTHS[c] for c in _COMPACT_WIDTHS)
        compact = sum(_COMPACT_WIDTHS.values())
        share = min(1.0, max(0.0, (spare - compact) / (full - compact)))
        self._fitting = True
        try:
            for column, smallest in _COMPACT_WIDTHS.items():
                width = round(smallest + share * (_COLUMN_WIDTHS[column] - smallest))
                if header.sectionSize(column) != width:
                    header.resizeSection(column, width)
        finally:
            self._fitting = False

    def _fit_summary(self) -> None:
        # Stretch gives Summary only what is left; keep it readable in a narrow dock by
        # switching to a fixed width (and horizontal scrolling) below the minimum.
        header = self.horizontalHeader()
        if not self._user_sized:
            self._fit_compact_columns()
        others = sum(header.sectionSize(c) for c in range(len(COLUMNS)) if c != SUMMARY)
        available = self.viewport().width() - others
        mode = (
            QHeaderView.ResizeMode.Stretch
            if available >= SUMMARY_MIN_WIDTH
            else QHeaderView.ResizeMode.Interactive
        )
        self._fitting = True
        try:
            if header.sectionResizeMode(SUMMARY) != mode:
                header.setSectionResizeMode(SUMMARY, mode)
            if mode == QHeaderView.ResizeMode.Interactive:
                header.resizeSection(SUMMARY, SUMMARY_MIN_WIDTH)
        finally:
            self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        super().resizeEvent(event)
        self._fit_summary()
        self.empty_label.setGeometry(self.viewport().rect().adjusted(16, 0, -16, 0))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt override
        index = self.currentIndex()
        enter = event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and index.isValid():
            self.toggle_requested.emit(index.row())
            return
        model = self.model()
        if index.isValid() and isinstance(model, TimelineTableModel):
            row = index.row()
            # Right unfolds a folded run, Left folds it again (also from a frame under it),
            # as in a tree; otherwise the arrows move between columns as usual.
            if event.key() == Qt.Key.Key_Right and (
                model.is_expandable(row) and not model.is_expanded(row)
            ):
                self.toggle_requested.emit(row)
                return
            if event.key() == Qt.Key.Key_Left and (
                model.is_expanded(row) or not model.is_group_row(row)
            ):
                self.toggle_requested.emit(row)
                return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt override
        index = self.indexAt(event.position().toPoint())
        model = self.model()
        if (
            event.button() == Qt.MouseButton.LeftButton
            and index.isValid()
            and index.column() == TYPE
            and isinstance(model, TimelineTableModel)
            and (model.is_expandable(index.row()) or model.is_expanded(index.row()))
            and event.position().x() - self.visualRect(index).left() < self._arrow_width()
        ):
            # A click on the ▸ / ▾ of a folded run toggles it (and selects the row).
            super().mousePressEvent(event)
            self.toggle_requested.emit(index.row())
            return
        super().mousePressEvent(event)

    def _arrow_width(self) -> int:
        """Width of the "▸ " at the start of a folded row's Type cell, with some slack."""
        return self.fontMetrics().horizontalAdvance("▸ ") + 8


def filter_combos(
    choices: tuple[tuple[str, frozenset[Direction]], ...],
) -> tuple[QComboBox, QComboBox, QComboBox]:
    """The type, direction and call filters of the timeline panel (not yet connected)."""
    type_combo = QComboBox()
    type_combo.setObjectName("timeline_type")
    type_combo.setAccessibleName("Filter by event type")
    type_combo.setEditable(True)
    type_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    type_line = type_combo.lineEdit()
    if type_line is not None:
        type_line.setPlaceholderText("Any type")
    type_combo.setToolTip("Only event types containing this text (pick one or type part of it)")
    type_combo.setMinimumContentsLength(8)
    type_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    direction_combo = QComboBox()
    direction_combo.setObjectName("timeline_direction")
    direction_combo.setAccessibleName("Filter by direction")
    direction_combo.setToolTip("Only frames in this direction")
    direction_combo.setSizeAdjustPolicy(
        QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
    )
    direction_combo.setMinimumContentsLength(6)
    for label, directions in choices:
        direction_combo.addItem(label, directions)
    call_combo = QComboBox()
    call_combo.setObjectName("timeline_call")
    call_combo.setAccessibleName("Filter by function call")
    call_combo.setToolTip("Only frames that belong to this function call")
    call_combo.addItem("All calls", None)
    call_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    call_combo.setMinimumContentsLength(6)
    return type_combo, direction_combo, call_combo
