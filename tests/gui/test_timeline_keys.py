"""Folded timeline rows open from the keyboard and from their ▸ (issue 16, item 12)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt

from navtalk_desktop.ui.timeline.timeline_model import TYPE, TimelineTableModel
from navtalk_desktop.ui.timeline.timeline_view import TimelineView
from tests.gui.test_timeline import _manual_timeline, _populate

FOLDED_ROW = 2  # the run of transcript deltas

WAIT_MS = 20_000  # generous: a loaded machine can be slow to paint


def _view(qtbot: Any) -> tuple[TimelineView, TimelineTableModel]:
    timeline = _manual_timeline()
    model = TimelineTableModel(timeline)
    _populate(timeline)
    model.process_pending()
    view = TimelineView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.configure_columns()
    view.toggle_requested.connect(model.toggle_expanded)
    view.resize(900, 300)
    with qtbot.waitExposed(view, timeout=WAIT_MS):
        view.show()
    assert model.is_expandable(FOLDED_ROW)
    return view, model


def test_right_arrow_unfolds_and_left_arrow_folds(qtbot: Any) -> None:
    view, model = _view(qtbot)
    view.setCurrentIndex(model.index(FOLDED_ROW, TYPE))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: model.is_expanded(FOLDED_ROW), timeout=WAIT_MS)
    assert model.index(FOLDED_ROW, TYPE).data().startswith("▾")
    # From a frame under the run, Left folds the run again.
    view.setCurrentIndex(model.index(FOLDED_ROW + 1, TYPE))
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: not model.is_expanded(FOLDED_ROW), timeout=WAIT_MS)
    # Right on a row that cannot unfold moves on as usual.
    view.setCurrentIndex(model.index(0, TYPE))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex().column() == TYPE + 1


def test_a_click_on_the_arrow_unfolds_a_run(qtbot: Any) -> None:
    view, model = _view(qtbot)
    cell = view.visualRect(model.index(FOLDED_ROW, TYPE))
    arrow = QPoint(cell.left() + 6, cell.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=arrow)
    qtbot.waitUntil(lambda: model.is_expanded(FOLDED_ROW), timeout=WAIT_MS)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=arrow)
    qtbot.waitUntil(lambda: not model.is_expanded(FOLDED_ROW), timeout=WAIT_MS)
    # A click elsewhere on the row only selects it.
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(cell.right() - 4, cell.center().y())
    )
    assert view.currentIndex().row() == FOLDED_ROW
    assert not model.is_expanded(FOLDED_ROW)
