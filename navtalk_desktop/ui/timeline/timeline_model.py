"""TimelineTableModel: a flat, lazily-growing Qt table over the core Timeline.

Designed for 100k+ frames (architecture reference 3.5): ``rowCount`` lags behind the
store and grows by one ``beginInsertRows`` per ~40 ms batch; ``data`` is O(1) with a small
cache for folded groups; filtering happens in core (row index lists), not in a proxy.

Painting is what a following view pays on every batch (the whole viewport scrolls), and
the delegate asks ``data`` for seven roles of every visible cell. So each display row is
rendered once into a tuple of per-column values (:meth:`TimelineTableModel._render`) and
``data`` for the painted roles is two lookups; the tuples are dropped when their group
grows, is expanded or collapsed, or the theme changes.

Display rows are *logical* entries: runs of delta frames fold into one row that can be
expanded to show every frame beneath it. Rows are stored in one ``array('q')``: a value
``g >= 0`` is logical group ``g``; a value ``-(r + 1)`` is physical frame ``r`` shown under
its expanded group.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QFont

from navtalk_desktop.core.timeline.timeline import (
    FoldedEntry,
    Timeline,
    TimelineEntry,
)
from navtalk_desktop.ui.shell.theme import ThemeColors, colors
from navtalk_desktop.ui.timeline.follower import TimelineFollower
from navtalk_desktop.ui.timeline.table_text import (
    CALL,
    COLUMNS,
    DIRECTION,
    HEADER_TIPS,
    SIZE,
    SUMMARY,
    SUMMARY_DISPLAY_CHARS,
    TIME,
    TYPE,
    ViewFilter,
    find_group,
    fold_text,
    foreground_color,
    format_size,
    format_time,
    frame_text,
    full_time,
    one_line,
)

__all__ = [
    "BATCH_INTERVAL_MS",
    "CALL",
    "COLUMNS",
    "DIRECTION",
    "HEADER_TIPS",
    "SIZE",
    "SUMMARY",
    "SUMMARY_DISPLAY_CHARS",
    "TIME",
    "TYPE",
    "EntryRole",
    "TimelineTableModel",
    "ViewFilter",
    "format_size",
    "format_time",
    "one_line",
]

BATCH_INTERVAL_MS = 40
_MODEL_INDEX = QModelIndex | QPersistentModelIndex

# Rendered display rows kept at most (a screenful is ~50; scrolling back re-renders).
RENDER_CACHE_ROWS = 4096
_ITEM_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGNMENTS = tuple(int(_RIGHT if c == SIZE else _LEFT) for c in range(len(COLUMNS)))
# The roles every painted cell asks for, by slot in a rendered row (see _render); the
# delegate also asks for check state and decoration, which this model never has.
_DISPLAY_ROLE = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND_ROLE = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND_ROLE = int(Qt.ItemDataRole.BackgroundRole)
_RENDERED_ROLES = {
    _DISPLAY_ROLE: 0,
    _FOREGROUND_ROLE: 1,
    int(Qt.ItemDataRole.FontRole): 2,
    int(Qt.ItemDataRole.TextAlignmentRole): 3,
}
_NEVER_ROLES = frozenset({int(Qt.ItemDataRole.CheckStateRole), int(Qt.ItemDataRole.DecorationRole)})
# display texts, foreground brushes, fonts, alignments: one value per column each.
_Rendered = tuple[
    tuple[str | None, ...], tuple[QBrush | None, ...], tuple[QFont | None, ...], tuple[int, ...]
]

# Custom roles: the entry object, and what kind of display row this is.
EntryRole = Qt.ItemDataRole.UserRole + 1
"""The :class:`FoldedEntry` (group row) or :class:`TimelineEntry` (frame row)."""
PhysicalRowsRole = Qt.ItemDataRole.UserRole + 2
"""Tuple of timeline rows behind a display row."""
MatchRole = Qt.ItemDataRole.UserRole + 3
"""True when the row matches the search in highlight mode."""


class TimelineTableModel(QAbstractTableModel):
    """Flat table of logical timeline entries, with expandable folded groups.

    Signals:
        batch_inserted(int): display rows were appended at the end (their count); the view
            uses it for auto-scroll.
        filter_failed(str): the search text is not a valid regular expression.
    """

    batch_inserted = Signal(int)
    filter_failed = Signal(str)

    def __init__(
        self, timeline: Timeline, parent: QObject | None = None, *, follow: bool = True
    ) -> None:
        """Show ``timeline``.

        Args:
            timeline: the store to show.
            parent: the Qt parent.
            follow: listen to the store itself (a store appended to on this thread). The
                timeline panel passes False and feeds the model from the engine's event
                stream instead (:meth:`frames_appended`, :meth:`timeline_cleared`).
        """
        super().__init__(parent)
        self._timeline = timeline
        self._rows = array("q")
        self._seen_rows = 0  # physical rows processed
        self._seen_groups = 0  # logical groups processed
        self._expanded: set[int] = set()
        self._filter = ViewFilter()
        self._matched_groups: set[int] = set()
        self._fold_cache: dict[int, FoldedEntry] = {}
        self._changed_groups: set[int] = set()
        self._rendered: dict[int, _Rendered] = {}
        self._theme: ThemeColors = colors()
        self._brushes: dict[str, QBrush] = {}
        self._mono = QFont()
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self._fonts = tuple(self._mono if c in (TIME, SIZE) else None for c in range(len(COLUMNS)))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BATCH_INTERVAL_MS)
        self._timer.timeout.connect(self.process_pending)
        # With a shared tick (use_shared_tick) batches follow it instead of _timer.
        self._request_tick: Callable[[], None] | None = None
        self._pending = False
        self._listener: TimelineFollower | None = None
        if follow:
            self._listener = TimelineFollower(self, timeline)
            timeline.add_listener(self._listener)
        self._rebuild()

    # ------------------------------------------------------------------ public API
    @property
    def timeline(self) -> Timeline:
        """The core store behind the model."""
        return self._timeline

    @property
    def view_filter(self) -> ViewFilter:
        """The filter in use."""
        return self._filter

    @property
    def pending(self) -> bool:
        """Whether appended frames wait for the next batch."""
        return self._timer.isActive() or self._seen_rows < len(self._timeline)

    def set_timeline(self, timeline: Timeline) -> None:
        """Show another store (an opened session file)."""
        if self._listener is not None:
            self._listener.move_to(timeline)
        self._timeline = timeline
        self._expanded.clear()
        self._rebuild()

    def set_theme(self, theme: ThemeColors) -> None:
        """Use the colours of ``theme`` (light/dark switch)."""
        self._theme = theme
        self._brushes.clear()
        self._rendered.clear()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1)
            )

    def set_filter(self, view_filter: ViewFilter) -> bool:
        """Filter or highlight; returns False (and emits ``filter_failed``) on a bad regex."""
        try:
            view_filter.core()
        except ValueError as error:
            self.filter_failed.emit(str(error))
            return False
        self._filter = view_filter
        self._rebuild()
        return True

    def is_group_row(self, row: int) -> bool:
        """Whether display ``row`` is a logical entry (not a frame under an expanded group)."""
        return self._rows[row] >= 0

    def group_at(self, row: int) -> int:
        """Logical group of display ``row``."""
        value = self._rows[row]
        return value if value >= 0 else self._timeline.group_of(-value - 1)

    def physical_rows(self, row: int) -> list[int]:
        """Timeline rows behind display ``row``."""
        value = self._rows[row]
        if value < 0:
            return [-value - 1]
        return list(self._folded(value).rows)

    def display_row_of_group(self, group: int) -> int | None:
        """Display row of ``group``, or None when hidden by the filter."""
        return self._find_group(group)

    def is_expandable(self, row: int) -> bool:
        """Whether display ``row`` is a folded group of several frames."""
        value = self._rows[row]
        return value >= 0 and self._folded(value).count > 1

    def is_expanded(self, row: int) -> bool:
        """Whether the group at display ``row`` shows its frames."""
        value = self._rows[row]
        return value >= 0 and value in self._expanded

    def toggle_expanded(self, row: int) -> None:
        """Expand or collapse the folded group at display ``row``."""
        if not 0 <= row < len(self._rows):
            return
        value = self._rows[row]
        group = value if value >= 0 else self._timeline.group_of(-value - 1)
        if value < 0:
            row = self._find_group(group) or 0
        if group in self._expanded:
            self._collapse(row, group)
        elif self._folded(group).count > 1:
            self._expand(row, group)

    def entry(self, row: int) -> TimelineEntry:
        """The first (or only) frame behind display ``row``."""
        return self._timeline[self.physical_rows(row)[0]]

    def folded(self, row: int) -> FoldedEntry | None:
        """The logical entry at display ``row`` (None for a frame row)."""
        value = self._rows[row]
        return self._folded(value) if value >= 0 else None

    def matches(self, row: int) -> bool:
        """Whether display ``row`` matches the search (highlight mode)."""
        return self.group_at(row) in self._matched_groups

    def match_rows(self) -> list[int]:
        """Display rows of every highlighted match, in order."""
        if not self._filter.highlight:
            return list(range(len(self._rows)))
        return [
            i for i, value in enumerate(self._rows) if value >= 0 and value in self._matched_groups
        ]

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: _MODEL_INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _MODEL_INDEX = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(section)
        return None

    def flags(self, index: _MODEL_INDEX) -> Qt.ItemFlag:
        return _ITEM_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: _MODEL_INDEX, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for seven roles of every visible cell on every repaint: the painted roles
        # come from the row's rendered tuple, the two this model never has return at once.
        slot = _RENDERED_ROLES.get(role)
        if slot is None and role in _NEVER_ROLES:
            return None
        row = index.row()  # -1 for an invalid index
        if not 0 <= row < len(self._rows):
            return None
        value = self._rows[row]
        if slot is not None:
            rendered = self._rendered.get(value)
            if rendered is None:
                rendered = self._render(value)
            return rendered[slot][index.column()]
        column = index.column()
        if role == _BACKGROUND_ROLE:
            if self._filter.highlight and self._group(value) in self._matched_groups:
                return self._brush(self._theme.match_background)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(value, column)
        if role == EntryRole:
            return self._folded(value) if value >= 0 else self._timeline[-value - 1]
        if role == PhysicalRowsRole:
            return tuple(self.physical_rows(row))
        if role == MatchRole:
            return self._group(value) in self._matched_groups
        return None

    def multiData(self, index: _MODEL_INDEX, roleDataSpan: Any) -> None:  # noqa: N802, N803
        # The delegate asks for all seven roles of a cell at once; Qt's default answers
        # with one data() call per role, each a separate entry into Python (and with the
        # session on the engine thread, a separate wait for the GIL). One entry per cell.
        row = index.row()
        if not 0 <= row < len(self._rows):
            for role_data in roleDataSpan:
                role_data.clearData()
            return
        value = self._rows[row]
        rendered = self._rendered.get(value)
        if rendered is None:
            rendered = self._render(value)
        column = index.column()
        for role_data in roleDataSpan:
            role = role_data.role()
            slot = _RENDERED_ROLES.get(role)
            if slot is not None:
                role_data.setData(rendered[slot][column])
            elif role in _NEVER_ROLES:
                role_data.clearData()
            else:
                role_data.setData(self.data(index, role))

    # ------------------------------------------------------------------ rendering
    def _render(self, value: int) -> _Rendered:
        """Display texts and colours of display row ``value``, computed once and kept."""
        if len(self._rendered) >= RENDER_CACHE_ROWS:
            self._rendered.clear()
        columns = range(len(COLUMNS))
        rendered = (
            tuple(self._display(value, column) for column in columns),
            tuple(self._foreground(value, column) for column in columns),
            self._fonts,
            _ALIGNMENTS,
        )
        self._rendered[value] = rendered
        return rendered

    def _brush(self, color: str) -> QBrush:
        brush = self._brushes.get(color)
        if brush is None:
            brush = self._brushes[color] = QBrush(QColor(color))
        return brush

    def _group(self, value: int) -> int:
        return value if value >= 0 else self._timeline.group_of(-value - 1)

    def _folded(self, group: int) -> FoldedEntry:
        cached = self._fold_cache.get(group)
        if cached is None:
            cached = self._timeline.logical_entry(group)
            if cached.count > 1:  # single frames are cheap; cache only the folds
                self._fold_cache[group] = cached
        return cached

    def _display(self, value: int, column: int) -> str | None:
        if value < 0:
            return frame_text(self._timeline[-value - 1], column)
        fold = self._folded(value)
        first = self._timeline[fold.rows[0]]
        return fold_text(fold, first, column, expanded=value in self._expanded)

    def _foreground(self, value: int, column: int) -> QBrush | None:
        entry = self._timeline[-value - 1] if value < 0 else self._timeline[self._first_row(value)]
        color = foreground_color(entry, column, value < 0, self._theme)
        return self._brush(color) if color is not None else None

    def _first_row(self, group: int) -> int:
        cached = self._fold_cache.get(group)
        if cached is not None:
            return cached.rows[0]
        return self._timeline.logical_rows(group)[0]

    def _tooltip(self, value: int, column: int) -> str | None:
        if column == TIME:
            row = -value - 1 if value < 0 else self._first_row(value)
            return full_time(self._timeline[row].wall_time)
        if column == TYPE and value >= 0 and self._folded(value).count > 1:
            return "Folded run of delta frames: double-click or press Space to expand"
        if column == SUMMARY:
            text = self._display(value, SUMMARY) or ""
            return text if len(text) > 60 else None
        return None

    # ------------------------------------------------------------------ batching
    def use_shared_tick(self, request: Callable[[], None]) -> None:
        """Batch on the app's shared tick instead of this model's own timer.

        ``request`` asks for the next tick; the owner connects the tick to
        :meth:`process_if_pending`. Views that stream together then relayout and repaint
        together: one paint per tick instead of one per view's timer.
        """
        self._request_tick = request
        self._timer.stop()

    @Slot(object)
    def frames_appended(self, event: object = None) -> None:
        """Rows were appended to the store (the engine's ``FramesAppended``): show them
        with the next batch."""
        del event  # the rows are read from the store, which already holds them
        self._on_appended()

    @Slot()
    def timeline_cleared(self) -> None:
        """The store was emptied (the engine's ``TimelineReset``)."""
        self._on_cleared()

    @Slot()
    def process_if_pending(self) -> None:
        """Show what arrived since the last batch, if anything did (the tick's slot)."""
        if self._pending:
            self.process_pending()

    def _on_appended(self) -> None:
        self._pending = True
        if self._request_tick is not None:
            self._request_tick()
        elif not self._timer.isActive():
            self._timer.start()

    def _on_changed(self, row: int) -> None:
        self._changed_groups.add(self._timeline.group_of(row))
        self._on_appended()

    @Slot()
    def process_pending(self) -> None:
        """Show everything that arrived since the last batch (also called by tests)."""
        self._timer.stop()
        self._pending = False
        timeline = self._timeline
        total_rows = len(timeline)
        total_groups = timeline.logical_count()
        if total_rows < self._seen_rows:  # cleared behind our back
            self._rebuild()
            return
        # Existing groups that grew (their text, count and size changed).
        changed = {g for g in self._changed_groups if g < self._seen_groups}
        self._changed_groups.clear()
        for row in range(self._seen_rows, total_rows):
            group = timeline.group_of(row)
            if group < self._seen_groups:
                changed.add(group)
        new_groups = range(self._seen_groups, total_groups)
        matched_new: set[int] = set()
        if self._filter.active and total_rows > self._seen_rows:
            for row in timeline.search(self._filter.core(start=self._seen_rows)):
                matched_new.add(timeline.group_of(row))
        first_new_row = self._seen_rows
        self._seen_rows = total_rows
        self._seen_groups = total_groups
        for group in changed:
            self._fold_cache.pop(group, None)
            self._rendered.pop(group, None)
        self._matched_groups |= matched_new
        # Groups to append at the end.
        if self._filter.active and not self._filter.highlight:
            shown_new = [g for g in new_groups if g in matched_new]
            late = sorted(
                g for g in matched_new if g < new_groups.start and self._find_group(g) is None
            )
            for group in late:
                self._insert_group_sorted(group)
        else:
            shown_new = list(new_groups)
        for group in sorted(changed):
            self._refresh_group(group, first_new_row)
        if shown_new:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(shown_new) - 1)
            self._rows.extend(shown_new)
            self.endInsertRows()
            self.batch_inserted.emit(len(shown_new))

    def _refresh_group(self, group: int, first_new_row: int) -> None:
        position = self._find_group(group)
        if position is None:
            return
        if group in self._expanded:
            members = self._timeline.logical_rows(group)
            new_members = [r for r in members if r >= first_new_row]
            end = position + 1
            while end < len(self._rows) and self._rows[end] < 0:
                end += 1
            shown = {-(v) - 1 for v in self._rows[position + 1 : end]}
            missing = [r for r in new_members if r not in shown]
            if missing:
                self.beginInsertRows(QModelIndex(), end, end + len(missing) - 1)
                self._rows[end:end] = array("q", (-(r + 1) for r in missing))
                self.endInsertRows()
        self.dataChanged.emit(self.index(position, 0), self.index(position, len(COLUMNS) - 1))

    def _find_group(self, group: int) -> int | None:
        simple = not self._expanded and not (self._filter.active and not self._filter.highlight)
        return find_group(self._rows, group, simple=simple)

    def _insert_group_sorted(self, group: int) -> None:
        groups = [v for v in self._rows if v >= 0]
        before = bisect.bisect_left(groups, group)
        if before < len(groups):
            position = self._find_group(groups[before])
            assert position is not None
        else:
            position = len(self._rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, group)
        self.endInsertRows()

    def _expand(self, row: int, group: int) -> None:
        members = self._timeline.logical_rows(group)
        self.beginInsertRows(QModelIndex(), row + 1, row + len(members))
        self._rows[row + 1 : row + 1] = array("q", (-(r + 1) for r in members))
        self._expanded.add(group)
        self._rendered.pop(group, None)  # the ▸ of its Type turns into ▾
        self.endInsertRows()
        self.dataChanged.emit(self.index(row, TYPE), self.index(row, TYPE))

    def _collapse(self, row: int, group: int) -> None:
        end = row + 1
        while end < len(self._rows) and self._rows[end] < 0:
            end += 1
        if end > row + 1:
            self.beginRemoveRows(QModelIndex(), row + 1, end - 1)
            del self._rows[row + 1 : end]
            self._expanded.discard(group)
            self.endRemoveRows()
        self._expanded.discard(group)
        self._rendered.pop(group, None)
        self.dataChanged.emit(self.index(row, TYPE), self.index(row, TYPE))

    def _rebuild(self) -> None:
        """Recompute every display row (filter change, clear, new timeline)."""
        self.beginResetModel()
        timeline = self._timeline
        self._timer.stop()
        self._pending = False
        self._fold_cache.clear()
        self._rendered.clear()
        self._changed_groups.clear()
        self._seen_rows = len(timeline)
        self._seen_groups = timeline.logical_count()
        self._matched_groups = set()
        if self._filter.active:
            self._matched_groups = {
                timeline.group_of(r) for r in timeline.search(self._filter.core())
            }
        if self._filter.active and not self._filter.highlight:
            groups: list[int] | range = sorted(self._matched_groups)
        else:
            groups = range(self._seen_groups)
        rows = array("q")
        expanded = {g for g in self._expanded if g < self._seen_groups}
        self._expanded = expanded
        if expanded:
            for group in groups:
                rows.append(group)
                if group in expanded:
                    rows.extend(-(r + 1) for r in timeline.logical_rows(group))
        else:
            rows.extend(groups)
        self._rows = rows
        self.endResetModel()

    def _on_cleared(self) -> None:
        self._expanded.clear()
        self._rebuild()
